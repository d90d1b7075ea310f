// The auth endpoints alone (Fastify + @authgate/fastify on the benchmark database), for the `refresh`,
// `refresh-storm` and `login` scenarios when the gateway cannot serve them with rate limits off: from one loopback
// address every benchmark client is "one IP", and the built-in limits (rightly) answer 429 within a second.
// Run with the TypeScript loader. Input: BENCH_AUTH (JSON). Prints `{"ready":true,"port":N}`.
// `user`: adds the benchmark user to a fresh database first (the extra databases of the side-by-side comparison;
// the main one is prepared by setup/prepare.mjs).
// GET /bench/database-commands counts the commands the store sent to the database (the driver's command
// monitoring, through the store's onCommandStarted hook), so the bench can report round trips per rotation.
// `memory: true` (refresh-memory): the in-memory store instead, with `user` added to it; no database at all, so
// the refresh figure is the code's own ceiling and round trips per rotation are 0.
import Fastify from 'fastify'
import { MongoClient } from 'mongodb'
import authgate from '@authgate/fastify'
import { addUser } from '@authgate/fastify/admin'
import { createStore } from '@authgate/fastify/stores'

/** @type {{ mongoUrl?: string, database?: string, memory?: boolean, algorithm: string, keysDir: string, issuer: string,
 *   audience: string, user?: { email: string, password: string } }} */
const input = JSON.parse(process.env.BENCH_AUTH ?? '{}')
const SETUP_DEADLINE_MS = 30_000

// The store is built from the url, as in production: its own client, with its deadlines and reconnects. Round trips
// are counted through the store's command-monitoring hook (onCommandStarted), not through a client of our own.
let commandsStarted = 0
const mongodb = { url: input.mongoUrl, database: input.database, onCommandStarted: () => { commandsStarted++ } }

/** @type {import('@authgate/fastify').StoreOption} */
let store = { mongodb }
if (input.memory) {
  // One store instance for the user and the plugin: the in-memory store lives in this process only.
  const memory = createStore({ memory: true })
  await memory.init()
  if (!input.user) throw new Error('BENCH_AUTH: memory needs a user')
  await addUser(memory, { email: input.user.email, password: input.user.password, roles: ['user'] })
  store = memory
} else if (input.user) {
  // Set-up only (the measured store keeps its production deadlines): a JVM database that has just started, beside a
  // dozen servers starting on a loaded machine, took longer than the 3 s defaults and the server exited.
  const setup = new MongoClient(input.mongoUrl, { serverSelectionTimeoutMS: SETUP_DEADLINE_MS })
  try {
    await setup.db(input.database).dropDatabase()
  } finally {
    await setup.close()
  }
  const setupStore = createStore({ mongodb: { url: input.mongoUrl, database: input.database, serverSelectionTimeoutMS: SETUP_DEADLINE_MS, maxTimeMS: SETUP_DEADLINE_MS } })
  try {
    await setupStore.init()
    await addUser(setupStore, { email: input.user.email, password: input.user.password, roles: ['user'] })
  } finally {
    await setupStore.close()
  }
}

const app = Fastify({ logger: { level: 'warn' } })
await app.register(authgate, {
  store,
  tokens: { algorithm: input.algorithm, keysDir: input.keysDir, issuer: input.issuer, audience: input.audience },
  rateLimit: false
})
app.get('/bench/database-commands', async () => ({ started: commandsStarted }))

await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()
console.log(JSON.stringify({ ready: true, port: typeof address === 'object' && address ? address.port : 0 }))

for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => { void app.close().then(() => process.exit(0)) })
