// The README's nginx auth_request block is the configuration the e2e test and the bench run: the block in
// apps/gateway/README.md must be exactly what test/nginx/forward-auth-config.mjs generates for the example addresses.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { forwardAuthServer, README_EXAMPLE } from './forward-auth-config.mjs'

t.test('apps/gateway/README.md shows the generated nginx forward-auth configuration verbatim', async (t) => {
  const readme = readFileSync(fileURLToPath(new URL('../../apps/gateway/README.md', import.meta.url)), 'utf8')
  const section = readme.indexOf('### nginx `auth_request`')
  t.ok(section >= 0, 'the README has the nginx auth_request section')
  const start = readme.indexOf('```nginx\n', section) + '```nginx\n'.length
  const block = readme.slice(start, readme.indexOf('```', start))
  t.equal(block, forwardAuthServer(README_EXAMPLE))
})

t.test('the addresses and the keep-alive pool are filled in where the README has its examples', async (t) => {
  const config = forwardAuthServer({ listen: '127.0.0.1:9000', authgate: '127.0.0.1:9001', app: '127.0.0.1:9002', keepalive: 64 })
  t.match(config, 'upstream authgate { server 127.0.0.1:9001; keepalive 64; }')
  t.match(config, 'upstream app      { server 127.0.0.1:9002; keepalive 64; }')
  t.match(config, '  listen 127.0.0.1:9000;\n')
  t.notMatch(config, /8080|3001|listen 80;/)
})
