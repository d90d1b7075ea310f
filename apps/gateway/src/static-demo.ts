// The embedded mode's demo page (`authgate start` without a config; the page ships in this package's demo/): the demo
// directory at /demo/, the built client as /demo/client.js and the client's other dist modules next to it
// (dist/index.js imports its siblings by relative path). Plain file names only: no directories, no traversal.
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { sendGatewayError } from './errors.js'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon'
}
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

export interface DemoFiles {
  /** The demo page directory (index.html, scripts, styles). */
  dir: string
  /** The client build directory: `index.js` is served as /demo/client.js, siblings by name. */
  clientDist?: string
}

export function registerDemoFiles (app: FastifyInstance, files: DemoFiles): void {
  app.get('/demo', async (_request, reply) => reply.redirect('/demo/'))
  app.get('/demo/*', async (request, reply) => {
    const name = (request.params as { '*': string })['*'] || 'index.html'
    if (name !== basename(name) || !SAFE_NAME.test(name)) return sendGatewayError(reply, 'GATEWAY_NOT_FOUND')
    const type = CONTENT_TYPES[name.slice(name.lastIndexOf('.'))]
    const candidates = name === 'client.js' && files.clientDist !== undefined
      ? [join(files.clientDist, 'index.js')]
      : [join(files.dir, name), ...(files.clientDist === undefined ? [] : [join(files.clientDist, name)])]
    const file = candidates.find((candidate) => existsSync(candidate))
    if (type === undefined || file === undefined) return sendGatewayError(reply, 'GATEWAY_NOT_FOUND')
    return reply.type(type).header('cache-control', 'no-store').header('x-content-type-options', 'nosniff').send(await readFile(file))
  })
}
