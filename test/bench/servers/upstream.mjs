// The upstream every proxy scenario forwards to: Fastify answering any GET with a fixed JSON body of about
// 100 bytes, logging off, so the measured differences are the proxies', not the upstream's.
// Prints one line `{"ready":true,"port":N}` once listening on 127.0.0.1.
import Fastify from 'fastify'

const BODY = JSON.stringify({ ok: true, service: 'bench-upstream', message: 'a fixed answer of about one hundred bytes' })

const app = Fastify({ logger: false })
app.get('/*', async (_request, reply) => {
  reply.header('content-type', 'application/json; charset=utf-8')
  return BODY
})

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) })
const address = app.server.address()
console.log(JSON.stringify({ ready: true, port: typeof address === 'object' && address ? address.port : 0, bytes: BODY.length }))

for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => { void app.close().then(() => process.exit(0)) })
