// The CLI loads a command's module only once its verb is chosen (issue #12 review): `authgate --help`, `--version`
// and top-level usage errors (no verb, an unknown one) load the argument parser alone, not the config reader, the
// plugin or Fastify, which cost ~1 s of CPU per run. A resolve hook records every module this process loads from then on.
import t from 'tap'
import { register } from 'node:module'
import { MessageChannel } from 'node:worker_threads'

const loaded: string[] = []
const channel = new MessageChannel()
channel.port1.on('message', (url: string) => { loaded.push(url) })
channel.port1.unref()
const hooks = `
let port
export function initialize (data) { port = data.port }
export async function resolve (specifier, context, next) {
  const result = await next(specifier, context)
  port.postMessage(result.url)
  return result
}`
register(`data:text/javascript,${encodeURIComponent(hooks)}`, { parentURL: import.meta.url, data: { port: channel.port2 }, transferList: [channel.port2] })

/** The messages of the hook thread arrive asynchronously: wait until none came for a while. */
async function settled (): Promise<void> {
  let count = -1
  for (let tries = 0; tries < 50 && count !== loaded.length; tries++) {
    count = loaded.length
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const COMMAND_MODULES = /\/src\/(cli\/(start|keys|keys-ring|users|config-check|doctor|password-input)|config|app|server)\.ts$|\/(fastify|@authgate\/fastify|packages\/auth\/src)\//

t.test('--version, --help and usage errors load no command module; a verb loads its own', async (t) => {
  const { main } = await import('../src/cli/main.js')
  const silence = (): () => void => {
    const write = process.stdout.write.bind(process.stdout)
    const error = console.error
    process.stdout.write = () => true
    console.error = () => {}
    return () => { process.stdout.write = write; console.error = error }
  }
  for (const argv of [['--version'], ['--help'], ['-h', '--version'], ['strat'], ['--verison'], []]) {
    const restore = silence()
    try {
      await main(argv)
    } finally {
      restore()
    }
  }
  await settled()
  t.ok(loaded.some((url) => url.endsWith('/src/cli/main.ts')), 'the hook sees the CLI being loaded')
  t.same(loaded.filter((url) => COMMAND_MODULES.test(url)), [], 'no command module, config reader, plugin or Fastify loaded')

  const restore = silence()
  let code: number
  try {
    code = await main(['config', '--help'])
  } finally {
    restore()
  }
  t.equal(code, 0)
  await settled()
  t.ok(loaded.some((url) => url.endsWith('/src/cli/config-check.ts')), '`config --help` loads the config verb')
  t.notOk(loaded.some((url) => /\/src\/cli\/(start|users|doctor)\.ts$/.test(url)), 'and not the other verbs')
})
