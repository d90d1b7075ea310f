// `Expect: 100-continue` (issue #11, item 16): Node answers `100 Continue` as soon as the head arrives, inviting the
// body before anything was checked. The gateway takes that decision over: a proxied request gets it when its route
// admits it (authenticated, and a slot free: route-gate.ts); the plugin's own endpoints under the auth prefix, which
// read credentials from the body, get it once their onRequest checks have passed; every other answer goes out
// without it, and Node then closes the connection instead of reading a body nobody asked for.
import type { ServerResponse } from 'node:http'
import type { FastifyInstance, preParsingHookHandler } from 'fastify'

type ExpectingResponse = ServerResponse & { _expect_continue?: boolean, _sent100?: boolean }

/** Sends `100 Continue` if the client asked for it and has not had it yet (Node's own flags). */
export function continueIfExpected (response: ServerResponse): void {
  const expecting = response as ExpectingResponse
  if (expecting._expect_continue === true && expecting._sent100 !== true) response.writeContinue()
}

const sendContinue: preParsingHookHandler = function (request, reply, payload, done) {
  // A body announced over the limit is refused (413) by Fastify's parser without reading it: no invitation first.
  const length = request.headers['content-length']
  if (length === undefined || !(Number(length) > request.routeOptions.bodyLimit)) continueIfExpected(reply.raw)
  done(null, payload)
}

/** Call before the routes are registered: the onRoute hook only sees routes added after it. */
export function deferContinue (app: FastifyInstance, authPrefix: string): void {
  const server = app.server
  // With a 'checkContinue' listener Node leaves the 100 to us and hands the request on unanswered.
  server.on('checkContinue', (request, response) => { server.emit('request', request, response) })
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith(`${authPrefix}/`)) return
    const existing = route.preParsing
    route.preParsing = existing === undefined ? [sendContinue] : [sendContinue, ...[existing].flat()]
  })
}
