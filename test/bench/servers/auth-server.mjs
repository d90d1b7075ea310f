// The auth endpoints alone (Fastify + @authgate/fastify on the benchmark database), for the `refresh`,
// `refresh-storm` and `login` scenarios when the gateway cannot serve them with rate limits off: from one loopback
// address every benchmark client is "one IP", and the built-in limits (rightly) answer 429 within a second.
// Run with the TypeScript loader. Input: BENCH_AUTH (JSON). Prints `{"ready":true,"port":N}`.
import Fastify from 'fastify'
import authgate from '@authgate/fastify'

/** @type {{ mongoUrl: string, database: string, algorithm: string, keysDir: string, issuer: string, audience: string }} */
const input = JSON.parse(process.env.BENCH_AUTH ?? '{}')

const app = Fastify({ logger: { level: 'warn' } })
await app.register(authgate, {
  store: { mongodb: { url: input.mongoUrl, database: input.database } },
  tokens: { algorithm: input.algorithm, keysDir: input.keysDir, issuer: input.issuer, audience: input.audience },
  rateLimit: false
})

await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()
console.log(JSON.stringify({ ready: true, port: typeof address === 'object' && address ? address.port : 0 }))

for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => { void app.close().then(() => process.exit(0)) })
