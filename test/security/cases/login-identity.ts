// Section D, issue #11 item 13: emails that look like a registered one (fullwidth letters, dotless ı, long ſ, a
// Cyrillic letter among Latin ones) or hide characters (zero-width, soft hyphen, bidi controls, a trailing dot in
// the domain). Included in login.ts's group; `post` is login.ts's (a chosen loopback source address per request,
// so the per-IP registration limit never decides a variant).
import type { AttackCase, Expectation, Outcome } from '../lib/case.js'
import { everyVariant } from '../lib/variants.js'
import { PASSWORD, type AttackTarget } from '../lib/target.js'

type Post = (target: AttackTarget, path: string, body: unknown, options?: { from?: string }) => Promise<Outcome>

const TAKEN: Expectation = { status: 409, code: 'AUTH_EMAIL_TAKEN', upstream: 'n/a' }
const BAD_REQUEST: Expectation = { status: 400, code: 'AUTH_BAD_REQUEST', upstream: 'n/a' }
const VICTIM = 'd50-victim@example.test'

/** The same address to a reader, spelled otherwise. */
const SAME_IDENTITY: readonly string[] = [
  'Ｄ50-ＶＩＣＴＩＭ@example.test', // fullwidth letters and digits
  'd50-victim＠example．test', // fullwidth at sign and full stop
  'd50-vıctim@example.test', // dotless ı
  'd50-victim@example.teſt', // long ſ
  'D50-VICTIM@EXAMPLE.TEST',
  ' d50-victim@example.test '
]

/** Addresses that hide what they are: each is refused with a message. */
const HIDDEN: readonly string[] = [
  'd50-vic\u200btim@example.test', // zero-width space
  'd50-vic\u200dtim@example.test', // zero-width joiner
  'd50-vic\u00adtim@example.test', // soft hyphen
  'd50-vic\u202etim@example.test', // right-to-left override
  'd50-vic\u2066tim@example.test', // left-to-right isolate
  '\ufeffd50-victim@example.test', // byte order mark
  'd50-vic\u0007tim@example.test', // BEL
  'd50-vic\u0000tim@example.test', // NUL
  'd50-vic\u00a0tim@example.test', // no-break space
  'd50-vic\u3164tim@example.test', // Hangul filler
  'd50-victim\ufe0f@example.test', // variation selector
  'd50-victim\udb40\udc41@example.test', // tag letter A
  'd50-victim@example.test.', // trailing dot
  'd50-victim@example..test',
  'd50-victim@example\u3002test', // ideographic full stop
  'd50-vict\u0456m@example.test', // Cyrillic і among Latin letters
  'd50-victim@ex\u0430mple.test', // Cyrillic а in a domain label
  'd50-victim@@example.test',
  'd50-vi\u0307ctim@example.test', // `i` + combining dot above
  'd50-v\u0130ctim@example.test', // İ: case folds to `i` + combining dot above
  'd50-victim\u0338@example.test', // combining long solidus overlay
  'd50\u2010victim@example.test', // hyphen U+2010 for `-`
  'd50\u2011victim@example.test', // non-breaking hyphen
  'd50\u2212victim@example.test', // minus sign
  'd50-victim@ex\u2010ample.test', // a look-alike hyphen in the domain
  'd50-victim@exam%70le.test' // percent-encoding in the domain (IDNA would decode it)
]

/** One IDN domain, in Unicode and in its DNS (punycode) form: one identity. */
const IDN_VICTIM = 'd50-victim@ex\u00e4mple.test'
const IDN_SAME = 'd50-victim@xn--exmple-cua.test'

export function identityCases (post: Post): AttackCase[] {
  const register = (target: AttackTarget, email: string, from: string): Promise<Outcome> =>
    post(target, '/auth/register', { email, password: PASSWORD }, { from })
  return [
    {
      id: 'D.50',
      name: 'registration of look-alike spellings of a registered email (fullwidth, `＠`, dotless ı, long ſ, case, spaces)',
      expect: TAKEN,
      attack: async (target) => {
        const gateway = await target.fresh()
        const first = await register(gateway, VICTIM, '127.0.0.60')
        if (first.status !== 201) return first
        return everyVariant(SAME_IDENTITY.map((email, index) => ({ email, index })), TAKEN,
          ({ email, index }) => register(gateway, email, `127.0.0.${61 + index}`))
      },
      also: 'every spelling is the same identity (409 `AUTH_EMAIL_TAKEN`): NFKC, case folded'
    },
    {
      id: 'D.50',
      name: 'login with a look-alike spelling of a registered email (fullwidth letters)',
      expect: { status: 200, upstream: 'n/a' },
      attack: async (target) => {
        const gateway = await target.fresh()
        const registered = await register(gateway, VICTIM, '127.0.0.80')
        const id = registered.status === 201 ? (JSON.parse(registered.body) as { user: { id: string } }).user.id : ''
        const login = await post(gateway, '/auth/login', { email: 'Ｄ50-ＶＩＣＴＩＭ@example.test', password: PASSWORD }, { from: '127.0.0.80' })
        const user = login.status === 200 ? (JSON.parse(login.body) as { user: { id: string } }).user.id : ''
        return user === id && id !== '' ? login : { ...login, status: -1, body: `logged in as ${user || 'nobody'}, registered ${id}` }
      },
      also: 'the one account logs in: login looks users up by the same identity key'
    },
    {
      id: 'D.50',
      name: 'registration of an IDN domain in its punycode spelling (`exämple.test` registered, `xn--exmple-cua.test` tried)',
      expect: TAKEN,
      attack: async (target) => {
        const gateway = await target.fresh()
        const first = await register(gateway, IDN_VICTIM, '127.0.0.90')
        return first.status === 201 ? register(gateway, IDN_SAME, '127.0.0.91') : first
      },
      also: 'the domain part is compared as DNS names it (url.domainToASCII): one mailbox, one key'
    },
    {
      id: 'D.50',
      name: 'registration of `strasse.de` beside `straße.de` (two domains under IDNA2008, never folded together)',
      expect: { status: 201, upstream: 'n/a' },
      attack: async (target) => {
        const gateway = await target.fresh()
        const first = await register(gateway, 'd50@stra\u00dfe.de', '127.0.0.92')
        return first.status === 201 ? register(gateway, 'd50@strasse.de', '127.0.0.93') : first
      },
      also: 'a case fold of the whole address would have refused the second as taken (409)'
    },
    {
      id: 'D.50',
      name: 'registration with hidden or deceptive characters (zero-width, soft hyphen, bidi, BOM, controls, NBSP, fillers, tags, trailing dot, mixed scripts, stacked combining marks, non-ASCII hyphens and minus, `%` in the domain)',
      expect: BAD_REQUEST,
      attack: async (target) => {
        const gateway = await target.fresh()
        return everyVariant(HIDDEN.map((email, index) => ({ email, index })), BAD_REQUEST, async ({ email, index }) => {
          const outcome = await register(gateway, email, `127.0.1.${1 + index}`)
          // The refusal says why (a message), never a bare "invalid".
          return outcome.status === 400 && !/email/.test(outcome.body) ? { ...outcome, status: -1, body: `no reason given: ${outcome.body}` } : outcome
        })
      },
      also: 'each refused 400 `AUTH_BAD_REQUEST` with a message naming the email problem'
    }
  ]
}
