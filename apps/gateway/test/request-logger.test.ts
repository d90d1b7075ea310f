// request-logger.ts: a request's logger becomes pino's child on its first line at an enabled level, and writes exactly
// what that child writes; below the level nothing is created. Through the gateway: the lines a request writes carry
// its reqId, at `info` (access lines) and at `warn` (a failing upstream).
import Fastify, { type FastifyBaseLogger } from 'fastify'
import t from 'tap'
import { deferredChildLogger } from '../src/request-logger.js'
import { closedPort } from '@authgate/test-kit/ports'
import { startGateway, startUpstream } from './helpers.js'

interface Line { level: number, msg?: string, reqId?: string, [key: string]: unknown }

function rootLogger (level: string): { log: FastifyBaseLogger, lines: Line[], children: () => number } {
  const lines: Line[] = []
  const app = Fastify({ logger: { level, stream: { write: (line: string) => { lines.push(JSON.parse(line) as Line) } } } })
  const log = app.log
  let made = 0
  // Counted on the root only: pino's children inherit this property, and a child's child must be made from it.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with its `this` below
  const child = log.child
  log.child = function (this: FastifyBaseLogger, bindings, options) { if (this === log) made++; return child.call(this, bindings, options) }
  return { log, lines, children: () => made }
}

function requestLogger (parent: FastifyBaseLogger, options = {}): FastifyBaseLogger {
  return deferredChildLogger.call(Fastify(), parent, { reqId: 'req-1' }, options, {} as never)
}

t.test('below the level: no child is made and nothing is written', async (t) => {
  const { log, lines, children } = rootLogger('warn')
  const logger = requestLogger(log)
  logger.trace('t')
  logger.debug({ a: 1 }, 'd')
  logger.info('i')
  logger.silent('s')
  t.equal(children(), 0, 'no pino child')
  t.same(lines, [])
  t.equal(logger.level, 'warn', 'the level is the parent\'s')
})

t.test('the first enabled line makes the child once; lines are the child\'s, bindings and arguments included', async (t) => {
  const { log, lines, children } = rootLogger('info')
  const logger = requestLogger(log)
  logger.info({ event: 'access', status: 200 }, 'request')
  logger.warn('format %s', 'ok')
  logger.error(new Error('boom'))
  t.equal(children(), 1, 'one child for the request')
  t.same(lines.map((line) => [line.level, line.reqId, line.msg]), [[30, 'req-1', 'request'], [40, 'req-1', 'format ok'], [50, 'req-1', 'boom']])
  t.equal(lines[0]?.event, 'access')
  t.match(lines[2], { err: { type: 'Error', message: 'boom' } }, 'errors serialised as pino\'s child does')
  const grand = logger.child({ step: 'x' })
  grand.warn('nested')
  t.match(lines[3], { reqId: 'req-1', step: 'x', msg: 'nested' }, 'a child of it carries both bindings')
})

t.test('a route\'s own level makes the child at once, at that level', async (t) => {
  const { log, lines, children } = rootLogger('warn')
  const logger = requestLogger(log, { level: 'debug' })
  t.equal(children(), 1)
  t.equal(logger.level, 'debug')
  logger.debug('d')
  t.same(lines.map((line) => line.msg), ['d'])
  logger.level = 'error'
  logger.warn('dropped')
  t.same(lines.map((line) => line.msg), ['d'], 'setting the level sets the child\'s')
})

t.test('through the gateway: access lines at info and upstream failures at warn carry the request id', async (t) => {
  const upstream = await startUpstream(t)
  for (const level of ['info', 'warn'] as const) {
    const lines: Line[] = []
    const { origin } = await startGateway(t, {
      log: { level },
      routes: [{ prefix: '/ok', upstream: upstream.url, auth: 'none' }, { prefix: '/down', upstream: `http://127.0.0.1:${await closedPort()}`, auth: 'none' }]
    }, { logger: undefined, logStream: { write: (line: string) => { lines.push(JSON.parse(line) as Line) } } })
    const ok = await fetch(`${origin}/ok/x`)
    const down = await fetch(`${origin}/down/x`)
    t.equal(ok.status, 200)
    t.equal(down.status, 502)
    const okId = ok.headers.get('x-request-id')
    const downId = down.headers.get('x-request-id')
    const ofRequest = (id: string | null): Line[] => lines.filter((line) => line.reqId === id)
    if (level === 'info') t.ok(ofRequest(okId).some((line) => line.event === 'access' && line.status === 200), 'info: the access line of the 200')
    else t.same(ofRequest(okId), [], 'warn: the 200 writes nothing')
    t.ok(ofRequest(downId).some((line) => line.level >= 40), `${level}: the 502 writes a warning or an error with its reqId`)
  }
})
