// One-shot setup child (run with the TypeScript loader, see test/kit/typescript/node-args.mjs): generates one key set per algorithm
// with the plugin's own generateKey/writeKeysDir, mints a Bearer token with each (the same claims the gateway
// checks), and, given a database, adds the benchmark user (argon2 hash and all, as `authgate user add` does).
// Input: BENCH_SETUP (JSON). Output: one line `{"ready":true,...}`.
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { MongoClient } from 'mongodb'
import { addUser } from '@authgate/fastify/admin'
import { createStore } from '@authgate/fastify/stores'
import { createAccessTokenService, generateKey, writeKeysDir } from '@authgate/fastify/tokens'
import { revokedSessionId } from './revoked-ids.mjs'

/** @type {{ dir: string, algorithms: string[], issuer: string, audience: string, ttlSeconds: number, revoked: number,
 *   mongo?: { url: string, database: string, user: { email: string, password: string } } }} */
const input = JSON.parse(process.env.BENCH_SETUP ?? '{}')

/** @type {Record<string, { keysDir: string, token: string, revokedTokens?: string[] }>} */
const tokens = {}
for (const algorithm of input.algorithms) {
  const key = generateKey(/** @type {any} */ (algorithm))
  const keysDir = join(input.dir, `keys-${algorithm}`)
  writeKeysDir(keysDir, [key])
  const service = createAccessTokenService({
    algorithm: /** @type {any} */ (algorithm),
    keys: [key],
    issuer: input.issuer,
    audience: input.audience,
    accessTtl: input.ttlSeconds,
    clockTolerance: 5
  })
  const { token } = service.sign({ sub: 'bench-user', sid: `bench-session-${randomUUID()}`, roles: ['user'] })
  tokens[algorithm] = { keysDir, token }
  if (algorithm === 'EdDSA' && input.revoked > 0) {
    // Tokens of the newest and the oldest seeded revoked session: gateway-auth-revocation must refuse both.
    tokens[algorithm].revokedTokens = [0, input.revoked - 1].map((index) =>
      service.sign({ sub: 'bench-revoked-user', sid: revokedSessionId(index), roles: ['user'] }).token)
  }
}

let userId = null
if (input.mongo) {
  const { url, database, user } = input.mongo
  // A fresh database each run: an external MONGODB_URL keeps data between runs (the user would already exist).
  const client = new MongoClient(url)
  await client.db(database).dropDatabase()
  await client.close()
  const store = createStore({ mongodb: { url, database } })
  await store.init()
  userId = (await addUser(store, { email: user.email, password: user.password, roles: ['user'] })).id
  await store.close()
}

console.log(JSON.stringify({ ready: true, tokens, userId }))
process.exit(0)

