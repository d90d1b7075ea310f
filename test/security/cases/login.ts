// docs/security.md section D (Login and credentials), sent to the gateway of lib/target.ts. Requests go through
// node:http so a case can pick its loopback source address (127.0.0.x): the per-IP limit is keyed on the socket
// address, so this is how "from any IP" and "per IP, not global" are shown without trusting X-Forwarded-For. Cases
// on the shared gateway use their own source address too, so together they stay under its per-IP limits (10
// registrations and 30 logins a minute) and each case fails or passes on its own.
import type { AttackCase, CaseGroup, Expectation, Outcome } from '../lib/case.js'
import { everyVariant } from '../lib/variants.js'
import { codeOf, median, post, timed, type PostOptions } from '../lib/post.js'
import { PASSWORD, type AttackTarget } from '../lib/target.js'
import { identityCases } from './login-identity.js'
import { legacyUserCases } from './legacy-users.js'
import { oidcCases } from './oidc.js'
import { newIpCases } from './new-ip.js'
import { accountRecoveryCases } from './account-recovery.js'
import { adminCases } from './admin.js'
import type { SessionStore } from '@authgate/fastify'
import { SESSION_STORE } from '../../../packages/auth/src/http/augmentation.js'

const BAD_REQUEST: Expectation = { status: 400, code: 'AUTH_BAD_REQUEST', upstream: 'n/a' }
const WRONG: Expectation = { status: 401, code: 'AUTH_INVALID_CREDENTIALS', upstream: 'n/a' }
const LIMITED: Expectation = { status: 429, code: 'AUTH_RATE_LIMITED', upstream: 'n/a' }
const WRONG_PASSWORD = 'not the password at all'
// The plugin's defaults (the gateway configuration does not change them): 5 failures per account in 15 min, 30
// login attempts per IP per minute.
const ACCOUNT_FAILURES = 5
const LOGINS_PER_IP = 30
const HASH_PREFIX = '$argon2id$v=19$m=19456,t=2,p=1$'

function login (target: AttackTarget, email: unknown, password: unknown, options?: PostOptions): Promise<Outcome> {
  return post(target, '/auth/login', { email, password }, options)
}

async function register (target: AttackTarget, email: string, password = PASSWORD, options?: PostOptions): Promise<void> {
  const answer = await post(target, '/auth/register', { email, password }, options)
  if (answer.status !== 201) throw new Error(`setup: register answered ${answer.status} ${answer.code ?? ''}`)
}

/** The outcome as it is, or marked failed (status -1) with the reason, so the runner reports it. */
function unless (outcome: Outcome, problem: string | undefined): Outcome {
  return problem === undefined ? outcome : { ...outcome, status: -1, body: `${problem}: ${outcome.body}` }
}

function retryAfter (outcome: Outcome): number {
  return Number(outcome.headers['retry-after'])
}

/** Headers with the per-request ones (date, the rate-limit counters) removed: what could tell two users apart. */
// The values that differ between any two requests. The request id is fresh per request; its presence and shape
// are still compared, so neither answer can carry one the other lacks.
function comparable (headers: Outcome['headers']): Record<string, unknown> {
  const { date: _date, 'x-ratelimit-remaining': _remaining, 'x-ratelimit-reset': _reset, 'x-request-id': requestId, ...rest } = headers
  return requestId === undefined ? rest : { ...rest, 'x-request-id': String(requestId).replace(/[0-9a-f]/g, 'x') }
}

/**
 * Unknown email vs wrong password, interleaved (so load on the machine hits both alike), each from a rotating
 * loopback address (so the per-IP limit stays out of the way); the known account logs in correctly after every few
 * failures so its lockout never starts. Bounded: at most PAIRS pairs and DEADLINE_MS.
 */
function timingCase (): AttackCase {
  const PAIRS = 50
  const MIN_PAIRS = 20
  const DEADLINE_MS = 60_000
  const MAX_DIFFERENCE = 0.2
  let verdict = ''
  return {
    id: 'D.49',
    name: `timing: unknown email vs wrong password, up to ${PAIRS} back-to-back pairs`,
    expect: WRONG,
    attack: async (target) => {
      const gateway = await target.fresh()
      const known = 'd49-timing@example.com'
      await register(gateway, known)
      const unknown: number[] = []
      const wrong: number[] = []
      const started = performance.now()
      let last: Outcome | undefined
      for (let run = -2; run < PAIRS && performance.now() - started < DEADLINE_MS; run++) {
        const from = `127.0.0.${10 + ((run + 2) % 40)}`
        const sendUnknown = (): Promise<[Outcome, number]> => timed(() => login(gateway, `d49-ghost-${run + 2}@example.com`, WRONG_PASSWORD, { from }))
        const sendWrong = (): Promise<[Outcome, number]> => timed(() => login(gateway, known, WRONG_PASSWORD, { from }))
        const pair = run % 2 === 0 ? [await sendUnknown(), await sendWrong()] : (([w, u]) => [u, w])([await sendWrong(), await sendUnknown()])
        const [[ghost, ghostMs], [miss, missMs]] = pair as [[Outcome, number], [Outcome, number]]
        if (ghost.status !== 401 || miss.status !== 401) return unless(ghost.status !== 401 ? ghost : miss, `run ${run}: not a plain 401`)
        last = ghost
        if (run >= 0) { unknown.push(ghostMs); wrong.push(missMs) }
        if ((run + 2) % (ACCOUNT_FAILURES - 1) === ACCOUNT_FAILURES - 2) {
          const reset = await login(gateway, known, PASSWORD, { from })
          if (reset.status !== 200) return unless(reset, 'the correct password did not log in between failures')
        }
      }
      if (last === undefined || unknown.length < MIN_PAIRS) return unless(last ?? { status: 0, code: undefined, headers: {}, body: '' }, `only ${unknown.length} runs before the deadline`)
      const [a, b] = [median(unknown), median(wrong)]
      // Judged on the median of per-pair ratios: the two requests of a pair run back to back, so load from other
      // processes on the machine affects both alike, where it can shift one whole median.
      const ratio = median(unknown.map((ms, index) => ms / (wrong[index] ?? ms)))
      const difference = 1 - Math.min(ratio, 1 / ratio)
      verdict = `unknown ${a.toFixed(1)} ms, wrong password ${b.toFixed(1)} ms over ${unknown.length} runs each; median pair ratio ${ratio.toFixed(3)} (${(difference * 100).toFixed(1)} %)`
      return difference < MAX_DIFFERENCE ? last : unless(last, `timings differ by more than ${MAX_DIFFERENCE * 100} %: ${verdict}`)
    },
    check: () => { if (verdict === '') throw new Error('no measurement') },
    also: `back-to-back pairs differ by < ${MAX_DIFFERENCE * 100} % in median (an unknown email pays a dummy argon2 verification)`
  }
}

const groupCases: AttackCase[] = [
  {
    id: 'D.49',
    name: 'enumeration: unknown email vs wrong password for an existing one',
    expect: WRONG,
    attack: async (target) => {
      await register(target, 'd49-known@example.com')
      return login(target, 'd49-nobody@example.com', WRONG_PASSWORD)
    },
    check: async (unknown, target) => {
      const wrong = await login(target, 'd49-known@example.com', WRONG_PASSWORD)
      if (wrong.status !== unknown.status || wrong.body !== unknown.body) throw new Error(`answers differ: ${wrong.status} ${wrong.body} vs ${unknown.status} ${unknown.body}`)
      const [a, b] = [JSON.stringify(comparable(unknown.headers)), JSON.stringify(comparable(wrong.headers))]
      if (a !== b) throw new Error(`headers differ: ${a} vs ${b}`)
      if (unknown.headers['set-cookie'] !== undefined) throw new Error('a failed login set a cookie')
    },
    also: 'identical status, body and headers (but `Date`, the rate-limit counters and the per-request `X-Request-Id`); no cookie'
  },
  timingCase(),
  {
    id: 'D.49',
    name: 'a stranger registers on a gateway configured without `auth.registration` (`POST /auth/register` and other spellings), then logs in and calls `/api`',
    expect: { status: [400, 404], upstream: 'untouched' },
    attack: async (target) => {
      // The default gateway configuration: no `auth` section at all.
      const gateway = await target.fresh({ config: { auth: {} } })
      const credentials = JSON.stringify({ email: 'stranger@example.com', password: PASSWORD })
      const paths = ['/auth/register', '/auth/register/', '/auth//register', '/auth/Register', '/auth/%72egister', '/auth/register?x=1', '/api/../auth/register']
      const outcome = await everyVariant(paths, { status: [400, 404], upstream: 'untouched' },
        (path) => gateway.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: credentials }))
      const login = await gateway.request('/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: credentials })
      const api = await gateway.request('/api/whoami')
      const problems = [
        ...(login.status === 401 && login.code === 'AUTH_INVALID_CREDENTIALS' ? [] : [`the stranger's login answered ${login.status}`]),
        ...(api.status === 401 ? [] : [`/api without a token answered ${api.status}`]),
        ...(gateway.upstream.seen.length === 0 ? [] : ['something reached the upstream'])
      ]
      return problems.length === 0 ? outcome : { ...outcome, status: 0, body: problems.join('; ') }
    },
    also: 'no user is created: logging in with those credentials answers 401 `AUTH_INVALID_CREDENTIALS`'
  },
  {
    id: 'D.50',
    name: 'the stored password hash after registration',
    expect: { status: 201, upstream: 'n/a' },
    attack: (target) => post(target, '/auth/register', { email: 'd50-hash@example.com', password: PASSWORD }),
    check: async (outcome, target) => {
      const user = await (target.app.authgate as unknown as Record<typeof SESSION_STORE, SessionStore>)[SESSION_STORE].findUserByEmail('d50-hash@example.com')
      const hash = user?.passwordHash ?? ''
      if (!hash.startsWith(HASH_PREFIX)) throw new Error(`stored hash does not start with ${HASH_PREFIX}`)
      if (hash.includes(PASSWORD) || outcome.body.includes(PASSWORD) || outcome.body.includes('$argon2')) throw new Error('password or hash leaked')
    },
    also: `stored as \`${HASH_PREFIX}…\`; neither password nor hash in the answer`
  },
  {
    id: 'D.51',
    name: 'a 1 MB password to `/auth/login` and `/auth/register`',
    expect: { status: 413, code: 'AUTH_BAD_REQUEST', upstream: 'n/a' },
    attack: (target) => everyVariant(['/auth/login', '/auth/register'], { status: 413, code: 'AUTH_BAD_REQUEST', upstream: 'n/a' }, async (path) => {
      const [outcome, ms] = await timed(() => post(target, path, { email: 'd51-huge@example.com', password: 'p'.repeat(1024 * 1024) }, { from: '127.0.0.51' }))
      return unless(outcome, ms > 2000 ? `took ${Math.round(ms)} ms` : undefined)
    }),
    also: 'refused by the body limit within 2 s, before any hashing'
  },
  {
    id: 'D.51',
    name: 'a 0-byte, 2 KB, missing or `null` password',
    expect: BAD_REQUEST,
    attack: async (target) => {
      const from = '127.0.0.52'
      await register(target, 'd51-empty@example.com', PASSWORD, { from })
      const passwords = ['', 'p'.repeat(2048), undefined, null]
      const variants = ['/auth/login', '/auth/register'].flatMap((path) => passwords.map((password) => ({ path, password })))
      return everyVariant(variants, BAD_REQUEST, ({ path, password }) => post(target, path, { email: 'd51-empty@example.com', password }, { from }))
    }
  },
  {
    id: 'D.51',
    name: 'a 72-character Unicode password set composed (NFC), typed decomposed (NFD)',
    expect: { status: 200, upstream: 'n/a' },
    attack: async (target) => {
      const composed = 'pässwörd-é-ñ-'.repeat(6).slice(0, 72)
      await register(target, 'd51-unicode@example.com', composed, { from: '127.0.0.53' })
      return login(target, 'd51-unicode@example.com', composed.normalize('NFD'), { from: '127.0.0.53' })
    },
    check: (outcome) => { if (codeOf(outcome.body) !== undefined || !outcome.body.includes('accessToken')) throw new Error('no session issued') },
    also: 'a session is issued: NFC applied at both set and check'
  },
  {
    id: 'D.52',
    name: 'NoSQL operators: `{"email":{"$ne":null},"password":{"$ne":null}}`, `$gt`, `$regex`, arrays, extra `$where`',
    expect: BAD_REQUEST,
    attack: async (target) => {
      const from = '127.0.0.54'
      await register(target, 'd52-victim@example.com', PASSWORD, { from })
      const victim = 'd52-victim@example.com'
      const bodies: Array<[string, unknown]> = [
        ['/auth/login', { email: { $ne: null }, password: { $ne: null } }],
        ['/auth/login', { email: { $gt: '' }, password: PASSWORD }],
        ['/auth/login', { email: victim, password: { $ne: null } }],
        ['/auth/login', { email: { $regex: '.*' }, password: PASSWORD }],
        ['/auth/login', { email: [victim], password: [PASSWORD] }],
        ['/auth/login', { email: victim, password: PASSWORD, $where: '1 == 1' }],
        ['/auth/login', `{"email":"${victim}","password":"${PASSWORD}","__proto__":{"roles":["admin"]}}`],
        ['/auth/register', { email: { $ne: null }, password: PASSWORD }]
      ]
      return everyVariant(bodies, BAD_REQUEST, async ([path, body]) => {
        const outcome = await post(target, path, body, { from })
        return unless(outcome, outcome.headers['set-cookie'] === undefined ? undefined : 'a cookie was set')
      })
    },
    also: 'never a session cookie'
  },
  {
    id: 'D.53',
    name: `brute force on one account: ${ACCOUNT_FAILURES} wrong passwords, then the right one, from the same and another IP`,
    expect: LIMITED,
    attack: async (target) => {
      const gateway = await target.fresh()
      const victim = 'd53-account@example.com'
      await register(gateway, victim)
      for (let attempt = 0; attempt < ACCOUNT_FAILURES; attempt++) {
        const miss = await login(gateway, victim, `${WRONG_PASSWORD} ${attempt}`)
        if (miss.status !== 401) return unless(miss, `failure ${attempt + 1} answered ${miss.status}`)
      }
      const sameIp = await login(gateway, victim, PASSWORD)
      if (sameIp.status !== 429) return unless(sameIp, 'the right password during lockout (same IP) was not refused')
      const otherIp = await login(gateway, victim, PASSWORD, { from: '127.0.0.2' })
      const bystander = 'd53-bystander@example.com'
      await register(gateway, bystander)
      const other = await login(gateway, bystander, PASSWORD, { from: '127.0.0.2' })
      return unless(otherIp, other.status === 200 ? undefined : `another account answered ${other.status}`)
    },
    check: (outcome) => {
      const wait = retryAfter(outcome)
      if (!(wait >= 1 && wait <= 900)) throw new Error(`Retry-After ${String(outcome.headers['retry-after'])} is not 1–900 s`)
    },
    also: 'the right password is refused too (no oracle); `Retry-After` 1–900 s (a lockout, not permanent); other accounts log in'
  },
  {
    id: 'D.53',
    name: `brute force from one IP: ${LOGINS_PER_IP + 1} logins in a minute over many accounts, rotating \`X-Forwarded-For\``,
    expect: LIMITED,
    attack: async (target) => {
      const gateway = await target.fresh()
      for (let attempt = 0; attempt < LOGINS_PER_IP; attempt++) {
        const miss = await login(gateway, `d53-spray-${attempt}@example.com`, WRONG_PASSWORD, { headers: { 'x-forwarded-for': `203.0.113.${attempt + 1}` } })
        if (miss.status !== 401) return unless(miss, `attempt ${attempt + 1} answered ${miss.status}`)
      }
      const limited = await login(gateway, 'd53-spray-last@example.com', WRONG_PASSWORD, { headers: { 'x-forwarded-for': '198.51.100.7' } })
      const elsewhere = await login(gateway, 'd53-spray-last@example.com', WRONG_PASSWORD, { from: '127.0.0.3' })
      return unless(limited, elsewhere.status === 401 ? undefined : `another IP answered ${elsewhere.status}`)
    },
    check: (outcome) => { if (!(retryAfter(outcome) >= 1)) throw new Error('no Retry-After') },
    also: '`Retry-After` set; another source IP is not limited (per IP, not global)'
  }
]

export const group: CaseGroup = {
  section: 'D',
  title: 'Login and credentials',
  cases: [...groupCases, ...identityCases(post), ...legacyUserCases, ...oidcCases, ...newIpCases, ...accountRecoveryCases, ...adminCases]
}
