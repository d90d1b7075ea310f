// The README's error table and the error codes cannot drift apart (as Fastify checks its Errors.md).
import { readFileSync } from 'node:fs'
import t from 'tap'
import { AUTH_ERRORS } from '../src/errors.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

t.test('every error code is documented with its status', async (t) => {
  for (const [code, { statusCode }] of Object.entries(AUTH_ERRORS)) {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${code}\` |`))
    t.ok(row, `${code} has a row`)
    t.ok(row?.includes(`| ${statusCode}`), `${code} documents ${statusCode}`)
  }
  const documented = [...readme.matchAll(/^\| `(AUTH_[A-Z_]+)` \|/gm)].map((match) => match[1])
  t.same(documented.filter((code) => !(code! in AUTH_ERRORS)), [], 'no stale codes in the README')
})
