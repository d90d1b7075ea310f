// The baseline the gateway is compared with (`proxy-plain`): @fastify/http-proxy with its defaults, no auth,
// logging off. Upstream from UPSTREAM_URL. Prints `{"ready":true,"port":N}` once listening on 127.0.0.1.
import Fastify from 'fastify'
import proxy from '@fastify/http-proxy'

const upstream = process.env.UPSTREAM_URL
if (!upstream) throw new Error('UPSTREAM_URL is required')

const app = Fastify({ logger: false })
await app.register(proxy, { upstream })

await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()
console.log(JSON.stringify({ ready: true, port: typeof address === 'object' && address ? address.port : 0 }))

for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => { void app.close().then(() => process.exit(0)) })
