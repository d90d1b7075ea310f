// Gateway configuration files for the scenarios, in the documented format (docs/design.md#gateway): what a user would
// write, so the benchmark exercises the same config path as `authgate start`.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const ISSUER = 'authgate'
export const AUDIENCE = 'upstream'
/** Tokens are minted once at start and must outlive a full run (about 10 minutes); the gateway's limit follows. */
export const TOKEN_TTL_SECONDS = 3600

/**
 * @param {{ dir: string, name: string, algorithm: string, keysDir: string, upstreamUrl: string, port?: number,
 *   workers?: number, mongo?: { url: string, database: string }, rateLimit?: false,
 *   trustedIssuers?: Array<Record<string, unknown>>, logLevel?: string }} options
 *   rateLimit: false turns the login/refresh limits off (the login storm comes from one loopback address, "one IP");
 *   trustedIssuers: tokens.trustedIssuers as written in the file (gateway-auth-external)
 *   logLevel: `warn` unless given (tools/compare.mjs --log-level=info measures the access lines)
 * @returns {string} path of the written file
 */
export function writeGatewayConfig ({ dir, name, algorithm, keysDir, upstreamUrl, port, workers, mongo, rateLimit, trustedIssuers, logLevel = 'warn' }) {
  const config = {
    ...(rateLimit === false ? { rateLimit: false } : {}),
    server: { host: '127.0.0.1', port: port ?? 0, ...(workers === undefined ? {} : { workers }) },
    // warn, not info: a log line per request would measure pino and the pipe, not the gateway's auth path.
    log: { level: logLevel },
    ...(mongo ? { store: { mongodb: { url: mongo.url, database: mongo.database } } } : {}),
    tokens: { algorithm, keysDir, issuer: ISSUER, audience: AUDIENCE, accessTtl: `${TOKEN_TTL_SECONDS}s`, ...(trustedIssuers ? { trustedIssuers } : {}) },
    routes: [
      { prefix: '/public', upstream: upstreamUrl, auth: 'none' },
      { prefix: '/api', upstream: upstreamUrl, auth: 'required' }
    ]
  }
  const path = join(dir, `gateway-${name}.json`)
  writeFileSync(path, JSON.stringify(config, null, 2) + '\n')
  return path
}
