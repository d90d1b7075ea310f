// Issue #11 item 2: every check that runs before authentication does work linear in its input. Each pre-auth
// function is timed on ~64 KiB adversarial inputs (runs of `.`, ` `, `%`, `/`, `;` and mixes) against ~1 KiB
// ones of the same shape; a ratio of work above LIMIT (a linear function is near 1, a quadratic one near 64)
// fails. Ratios, not wall-clock limits: the machine may be slow, the growth may not be super-linear.
import t, { type Test } from 'tap'
import { buildApp } from '../src/app.js'
import { parseConfig } from '../src/config.js'
import { generateKey } from '@authgate/fastify/tokens'
import { readBearerToken } from '@authgate/fastify/proxy'
import { filterCookieHeader, createHeaderPolicy } from '../src/headers.js'
import { foldPath } from '../src/path-fold.js'
import { createPrefixSpellingCheck, normaliseTarget } from '../src/paths.js'
import { createTargetRewriter } from '../src/request-target.js'
import { EARLY_FACTOR, FACTOR, measureGrowth, run, type Growth } from './work-ratio.js'

/** Far above linear (≈1) and far below quadratic (≈64 at 64× the size; ≈8 at 8×, where it shows first). */
const LIMIT = 20
const EARLY_LIMIT = EARLY_FACTOR / 2

/** Units repeated into a run, each also between a head and a tail that defeat early exits (`A` upper case, `x`). */
const UNITS = ['.', ' ', '%', '/', ';', '%20', '%2E%2e', '.%20', './', ';.', '%%2', ' .', '%3F', '%C4%B1', '%E2%80%A5/', 'a=b; ', '_', '=']
const SHAPES: Array<[string, string]> = [['/A', 'x'], ['/api/admin', '.json'], ['', '']]

function inputs (): Array<{ name: string, make: (length: number) => string }> {
  const out: Array<{ name: string, make: (length: number) => string }> = []
  for (const unit of UNITS) {
    for (const [head, tail] of SHAPES) {
      out.push({ name: `${JSON.stringify(head)} + run of ${JSON.stringify(unit)} + ${JSON.stringify(tail)}`, make: (length) => run(head, unit, length, tail) })
    }
  }
  return out
}

function superLinear (growth: Growth): boolean {
  return growth.ratio > (growth.factor === EARLY_FACTOR ? EARLY_LIMIT : LIMIT)
}

/** Asserts each function linear, stopping at the first that is not (every further call of it may take seconds). */
function assertAllLinear (t: Test, functions: Record<string, (input: string) => unknown>): void {
  for (const [name, fn] of Object.entries(functions)) if (!assertLinear(t, name, fn)) return
}

function assertLinear (t: Test, name: string, fn: (input: string) => unknown): boolean {
  let worst = { ratio: 0, input: '' }
  for (const input of inputs()) {
    let growth = measureGrowth(fn, input.make, EARLY_LIMIT)
    // A suspicious ratio is measured again: one busy moment on a shared machine (or a cold first call) must not
    // fail the test; super-linear work shows both times.
    if (superLinear(growth)) growth = measureGrowth(fn, input.make, EARLY_LIMIT, 11)
    if (superLinear(growth)) {
      t.fail(`${name}: super-linear on ${input.name} (${growth.factor}× the input took ${growth.ratio.toFixed(1)}× the work of ${growth.factor} small calls)`)
      return false
    }
    if (growth.factor === FACTOR && growth.ratio > worst.ratio) worst = { ratio: growth.ratio, input: input.name }
  }
  t.pass(`${name}: linear (worst ratio ${worst.ratio.toFixed(2)} on ${worst.input})`)
  return true
}

const key = generateKey('EdDSA')
const config = parseConfig({
  tokens: { keys: [key], issuer: 'authgate-test', audience: 'upstream' },
  server: { maxUrlLength: 65_536 },
  routes: [
    { prefix: '/', upstream: 'http://127.0.0.1:9', auth: 'none' },
    { prefix: '/api', upstream: 'http://127.0.0.1:9', auth: 'optional' },
    { prefix: '/api/admin', upstream: 'http://127.0.0.1:9', auth: 'required', roles: ['admin'] },
    { prefix: '/Api/V1.0', upstream: 'http://127.0.0.1:9', auth: 'required' }
  ]
}, { file: 'pre-auth-linear' })

t.test('paths.ts: normaliseTarget, the prefix-spelling check and the fold', async (t) => {
  const plain = createPrefixSpellingCheck([
    { prefix: '/', auth: 'none', roles: [] }, { prefix: '/api', auth: 'optional', roles: [] },
    { prefix: '/api/admin', auth: 'required', roles: ['admin'] }, { prefix: '/admin', auth: 'required', roles: ['admin'] }
  ])
  assertAllLinear(t, {
    normaliseTarget,
    'prefix-spelling check (plain prefixes)': plain,
    'prefix-spelling check (prefixes that fold)': createPrefixSpellingCheck(config.routes),
    foldPath,
    'the whole rewriteUrl step': createTargetRewriter(config)
  })
})

t.test('headers.ts: the drop rule and the Cookie filter', async (t) => {
  const policy = createHeaderPolicy(config)
  assertAllLinear(t, {
    'drop rule': policy.isDropped,
    filterCookieHeader: (value) => filterCookieHeader(value, policy.cookieNames),
    'filterCookieHeader (auth cookie present)': (value) => filterCookieHeader(`authgate_rt=x; ${value}`, policy.cookieNames)
  })
})

t.test('@authgate/fastify: bearer and token pre-parsing, cookie parsing, the whole authenticate step', async (t) => {
  const app = await buildApp(config, { logger: false })
  t.teardown(() => app.close())
  await app.ready()
  const parseCookie = (app as unknown as { parseCookie: (header: string) => unknown }).parseCookie
  assertAllLinear(t, {
    readBearerToken: (value) => readBearerToken(`Bearer ${value}`),
    'token verify': (value) => app.authgate.tokens.verify(value),
    'token verify (header-shaped)': (value) => app.authgate.tokens.verify(`${value}.e30.sig`),
    authenticate: (value) => app.authgate.authenticate({ authorization: `Bearer ${value}` }, ['Authorization', `Bearer ${value}`]),
    'Cookie header parsing (@fastify/cookie)': parseCookie
  })
})
