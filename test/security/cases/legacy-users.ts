// Cases of issue #11 on a gateway whose users live in a legacy system (`users.source: upstream`, lib/legacy-system.ts):
// the lockout counts what the legacy system considers one account (D.53), a demotion or deletion there reaches the
// sessions (C.46), and an identity that headers cannot carry is refused at login, never a 502 per request (B.23).
// Appended to section D (cases/login.ts).
import type { AttackCase, Expectation, Outcome } from '../lib/case.js'
import { legacyUsersConfig, startLegacySystem, type LegacySystem, type LegacyUser } from '../lib/legacy-system.js'
import { everyVariant } from '../lib/variants.js'
import { PASSWORD, type AttackTarget } from '../lib/target.js'

const LIMITED: Expectation = { status: 429, code: 'AUTH_RATE_LIMITED', upstream: 'n/a' }
const WRONG_PASSWORD = 'not the password at all'
const ACCOUNT_FAILURES = 5

function login (target: AttackTarget, email: string, password: string): Promise<Outcome> {
  return target.request('/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) })
}

function refreshCookie (outcome: Outcome): string {
  const list = outcome.headers['set-cookie']
  const line = (Array.isArray(list) ? list : [list ?? '']).find((value) => value.startsWith('authgate_rt=')) ?? ''
  return line.slice(0, line.indexOf(';'))
}

function unless (outcome: Outcome, problem: string | undefined): Outcome {
  return problem === undefined ? outcome : { ...outcome, status: -1, body: `${problem}: ${outcome.body}` }
}

/** Runs `attack` against a fresh gateway in front of a fresh legacy system, closed afterwards. */
async function withLegacy (target: AttackTarget, attack: (gateway: AttackTarget, legacy: LegacySystem) => Promise<Outcome>): Promise<Outcome> {
  const legacy = await startLegacySystem()
  try {
    const gateway = await target.fresh({ config: { users: legacyUsersConfig(legacy) } })
    return await attack(gateway, legacy)
  } finally {
    await legacy.close()
  }
}

const VARIANTS = ['VICTIM@example.com', 'vïctim@example.com', 'vic\u200btim@example.com', 'vic\u00adtim@example.com', 'ｖｉｃｔｉｍ@ｅｘａｍｐｌｅ.com']

// Arabic-Indic 7, ŀ, capital sharp s, combining small letter a (U+0363) for `a`, tatweel.
const MORE_VARIANTS = ['palla.strasse\u0667@example.com', 'pa\u0140la.strasse7@example.com', 'palla.stra\u1e9ee7@example.com', 'p\u0363lla.strasse7@example.com', 'pal\u0640la.strasse7@example.com']

export const legacyUserCases: AttackCase[] = [
  {
    id: 'D.53',
    name: `brute force in spellings a lenient legacy lookup folds together (${VARIANTS.map((email) => JSON.stringify(email)).join(', ')}), then the right password as \`Víctim@Example.com\``,
    expect: LIMITED,
    attack: async (target) => withLegacy(target, async (gateway, legacy) => {
      legacy.users.set('victim@example.com', { id: 'legacy-victim', password: PASSWORD, roles: [] })
      legacy.users.set('bystander@example.com', { id: 'legacy-bystander', password: PASSWORD, roles: [] })
      for (const email of VARIANTS.slice(0, ACCOUNT_FAILURES)) {
        const miss = await login(gateway, email, WRONG_PASSWORD)
        if (miss.status !== 401) return unless(miss, `${JSON.stringify(email)} answered ${miss.status}`)
      }
      const right = await login(gateway, 'Víctim@Example.com', PASSWORD)
      const bystander = await login(gateway, 'bystander@example.com', PASSWORD)
      return unless(right, bystander.status === 200 ? undefined : `another account answered ${bystander.status}`)
    }),
    also: 'one count for every spelling (NFKD, marks, case, zero-width and soft hyphen, fullwidth); another account logs in'
  },
  {
    id: 'D.53',
    name: `brute force in spellings only a collation folds (${MORE_VARIANTS.map((email) => JSON.stringify(email)).join(', ')}), then the right password`,
    expect: LIMITED,
    attack: async (target) => withLegacy(target, async (gateway, legacy) => {
      legacy.users.set('palla.strasse7@example.com', { id: 'legacy-palla', password: PASSWORD, roles: [] })
      for (const email of MORE_VARIANTS) {
        const miss = await login(gateway, email, WRONG_PASSWORD)
        if (miss.status !== 401) return unless(miss, `${JSON.stringify(email)} answered ${miss.status}`)
      }
      return login(gateway, 'PALLA.STRASSE7@example.com', PASSWORD)
    }),
    also: 'digits of other scripts, `ŀ` (which NFKD splits), `ẞ`, a combining letter, the tatweel: one count (the legacy lookup here is ICU\'s root collation at base strength)'
  },
  {
    id: 'D.53',
    name: 'brute force locks the account; the right password under an alias the legacy system resolves to the same user id',
    expect: { status: 401, code: 'AUTH_INVALID_CREDENTIALS', upstream: 'n/a' },
    attack: async (target) => withLegacy(target, async (gateway, legacy) => {
      const victim = { id: 'legacy-victim-2', password: PASSWORD, roles: [] }
      legacy.users.set('victim2@example.com', victim)
      legacy.users.set('v.alias@example.com', victim)
      const first = await login(gateway, 'victim2@example.com', PASSWORD)
      if (first.status !== 200) return unless(first, `the victim's own login answered ${first.status}`)
      for (let attempt = 0; attempt < ACCOUNT_FAILURES; attempt++) {
        const miss = await login(gateway, 'victim2@example.com', `${WRONG_PASSWORD} ${attempt}`)
        if (miss.status !== 401) return unless(miss, `failure ${attempt + 1} answered ${miss.status}`)
      }
      const right = await login(gateway, 'v.alias@example.com', PASSWORD)
      const wrong = await login(gateway, 'v.alias@example.com', WRONG_PASSWORD)
      return unless(right, right.status === wrong.status && right.body === wrong.body ? undefined : `a wrong password answered ${wrong.status} ${wrong.body}`)
    }),
    check: (outcome) => { if (outcome.headers['set-cookie'] !== undefined) throw new Error('a session cookie was set during the lockout') },
    also: 'the lockout follows the user id the legacy system answered with: the right password is answered exactly as a wrong one (no oracle), no session cookie'
  },
  {
    id: 'C.46',
    name: 'a legacy user demoted, then deleted: refresh with the session of their admin days',
    expect: { status: 401, code: 'AUTH_REFRESH_INVALID', upstream: 'n/a' },
    attack: async (target) => withLegacy(target, async (gateway, legacy) => {
      const user: LegacyUser = { id: 'legacy-admin', password: PASSWORD, roles: ['admin'] }
      legacy.users.set('admin@example.com', user)
      const laptop = await login(gateway, 'admin@example.com', PASSWORD)
      const phone = await login(gateway, 'admin@example.com', PASSWORD)
      if (laptop.status !== 200 || phone.status !== 200) return unless(laptop, 'the logins failed')
      user.roles = []
      const refreshed = await gateway.request('/auth/refresh', { method: 'POST', headers: { cookie: refreshCookie(laptop) } })
      const { accessToken } = JSON.parse(refreshed.body) as { accessToken: string }
      const demoted = await gateway.request('/admin/panel', { headers: { authorization: `Bearer ${accessToken}` } })
      if (demoted.status !== 403) return unless(demoted, `the demoted user's refreshed token answered ${demoted.status} on /admin`)
      user.deleted = true
      const gone = await gateway.request('/auth/refresh', { method: 'POST', headers: { cookie: refreshCookie(refreshed) } })
      const { accessToken: phoneToken } = JSON.parse(phone.body) as { accessToken: string }
      const other = await gateway.request('/api/x', { headers: { authorization: `Bearer ${phoneToken}` } })
      return unless(gone, other.status === 401 ? undefined : `the other session's access token answered ${other.status}`)
    }),
    also: 'the refreshed token of the demoted user gets 403 on `/admin`; after the deletion every session is revoked (another device\'s access token 401)'
  },
  {
    id: 'B.23',
    name: 'a legacy login naming an id headers cannot carry (`用户`, `café`, `a,b`, CR/LF + `x-user-roles: admin`, 300 characters, edge space)',
    expect: { status: 503, code: 'AUTH_STORE_UNAVAILABLE', upstream: 'n/a' },
    attack: async (target) => withLegacy(target, async (gateway, legacy) => {
      const ids = ['用户', 'caf\u00e9', 'a,b', 'x\r\nx-user-roles: admin', 'x'.repeat(300), ' lead']
      return everyVariant(ids, { status: 503, code: 'AUTH_STORE_UNAVAILABLE', upstream: 'n/a' }, async (id) => {
        legacy.users.clear()
        legacy.users.set('odd@example.com', { id, password: PASSWORD, roles: [] })
        return login(gateway, 'odd@example.com', PASSWORD)
      })
    }),
    check: (outcome) => { if (!outcome.body.includes('cannot forward')) throw new Error('the answer does not say why') },
    also: 'the answer says why (the legacy data needs fixing); no session is issued, so no request can later fail with 502'
  },
  {
    id: 'B.23',
    name: 'a token (signed by the gateway) whose id or roles headers cannot carry (`用户`, `a,b`, role `админ`, a zero-width space, 4.5 KB of roles), on `/api`',
    expect: { status: 403, code: 'AUTH_FORBIDDEN', upstream: 'untouched' },
    attack: async (target) => {
      const tokens = [target.token('用户'), target.token('a,b'), target.token('u1', ['админ']), target.token('u1', ['ops\u200b']), target.token('u1', Array.from({ length: 45 }, (_, index) => `role-${index}-${'r'.repeat(92)}`))]
      return everyVariant(tokens, { status: 403, code: 'AUTH_FORBIDDEN', upstream: 'untouched' }, async (token) => target.request('/api/whoami', { headers: { authorization: `Bearer ${token}` } }))
    },
    also: 'a clear 403, never the 502 of a header the proxy cannot write'
  }
]
