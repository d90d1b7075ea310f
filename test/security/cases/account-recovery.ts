// Password reset and email verification (issue #15 item 1), appended to section D (cases/login.ts). The gateway
// mails its links through a real SMTP server on loopback (packages/auth/test/helpers/smtp.ts); the cases read the
// mails that arrived. Links are built from server.publicOrigin only (D.74), tokens are single-use and purpose-bound
// (D.73), guessing answers 400 and never 500 (D.72), and `forgot` says nothing about who has an account (D.75).
import type { AttackCase, Outcome } from '../lib/case.js'
import { median, post, timed } from '../lib/post.js'
import { PASSWORD, type AttackTarget } from '../lib/target.js'
import { RESET_MAIL, startSmtp, tokenOfMail, type TestSmtp } from '../../../packages/auth/test/helpers/smtp.js'

const PUBLIC_ORIGIN = 'https://app.example.com'
const NEW_PASSWORD = 'a brand new passphrase'
// The plugin's defaults (the gateway configuration does not change them).
const RECOVERY_PER_IP = 20
const RECOVERY_PER_ACCOUNT = 5

function unless (outcome: Outcome, problem: string | undefined): Outcome {
  return problem === undefined ? outcome : { ...outcome, status: -1, body: `${problem}: ${outcome.body}` }
}

/** A gateway that mails its links to a fresh SMTP server (both torn down with the test). */
async function mailingGateway (target: AttackTarget, config: Record<string, unknown> = {}): Promise<{ gateway: AttackTarget, smtp: TestSmtp }> {
  const smtp = await startSmtp()
  target.teardown(() => smtp.close())
  const gateway = await target.fresh({
    config: {
      server: { publicOrigin: PUBLIC_ORIGIN, ...(config.server as object | undefined) },
      mail: { smtp: { url: smtp.url, from: 'no-reply@example.com' } },
      ...Object.fromEntries(Object.entries(config).filter(([key]) => key !== 'server'))
    }
  })
  return { gateway, smtp }
}

const registered = async (gateway: AttackTarget, email: string): Promise<void> => {
  const answer = await post(gateway, '/auth/register', { email, password: PASSWORD })
  if (answer.status !== 201) throw new Error(`setup: register answered ${answer.status}`)
}

/** `forgot` for a known vs an unknown email, in back-to-back pairs: the same bound as the login timing case (D.49). */
function forgotTimingCase (): AttackCase {
  const PAIRS = 40
  const MIN_PAIRS = 20
  const DEADLINE_MS = 60_000
  const MAX_DIFFERENCE = 0.2
  let verdict = ''
  return {
    id: 'D.75',
    name: `timing: \`POST /auth/password/forgot\` for a known vs an unknown email, up to ${PAIRS} back-to-back pairs`,
    expect: { status: 202, upstream: 'n/a' },
    attack: async (target) => {
      // The per-IP and per-account limits would stop the run: a gateway without them, measuring the answer alone.
      const { gateway } = await mailingGateway(target, { rateLimit: false })
      const known = 'd75-timing@example.com'
      await registered(gateway, known)
      const knownMs: number[] = []
      const unknownMs: number[] = []
      const started = performance.now()
      let last: Outcome | undefined
      for (let run = -2; run < PAIRS && performance.now() - started < DEADLINE_MS; run++) {
        const sendKnown = (): Promise<[Outcome, number]> => timed(() => post(gateway, '/auth/password/forgot', { email: known }))
        const sendUnknown = (): Promise<[Outcome, number]> => timed(() => post(gateway, '/auth/password/forgot', { email: `d75-ghost-${run + 2}@example.com` }))
        const [[a, aMs], [b, bMs]] = run % 2 === 0 ? [await sendKnown(), await sendUnknown()] : (([u, k]) => [k, u])([await sendUnknown(), await sendKnown()]) as [[Outcome, number], [Outcome, number]]
        if (a.status !== 202 || b.status !== 202) return unless(a.status !== 202 ? a : b, `run ${run}: not a 202`)
        last = b
        if (run >= 0) { knownMs.push(aMs); unknownMs.push(bMs) }
      }
      if (last === undefined || knownMs.length < MIN_PAIRS) return unless(last ?? { status: 0, code: undefined, headers: {}, body: '' }, `only ${knownMs.length} runs before the deadline`)
      const ratio = median(knownMs.map((ms, index) => ms / (unknownMs[index] ?? ms)))
      const difference = 1 - Math.min(ratio, 1 / ratio)
      verdict = `known ${median(knownMs).toFixed(2)} ms, unknown ${median(unknownMs).toFixed(2)} ms over ${knownMs.length} runs; median pair ratio ${ratio.toFixed(3)} (${(difference * 100).toFixed(1)} %)`
      return difference < MAX_DIFFERENCE ? last : unless(last, `timings differ by more than ${MAX_DIFFERENCE * 100} %: ${verdict}`)
    },
    check: () => { if (verdict === '') throw new Error('no measurement') },
    also: `back-to-back pairs differ by < ${MAX_DIFFERENCE * 100} % in median (the lookup, the token and the mail happen after the answer)`
  }
}

export const accountRecoveryCases: readonly AttackCase[] = [
  {
    id: 'D.72',
    name: 'reset-token guessing: a random well-formed token, malformed ones (`../x`, `{"$ne":null}` as text, spaces, 42/44 characters, 511 characters) at `/password/reset` and `/email/verify`',
    expect: { status: 400, code: 'AUTH_RESET_INVALID', upstream: 'n/a' },
    attack: async (target) => {
      const { gateway } = await mailingGateway(target)
      const guesses = ['A'.repeat(43), '../../etc/passwd', '{"$ne":null}', ' '.repeat(43), 'x'.repeat(42), 'x'.repeat(44), 'y'.repeat(511), 'Zm9v%00'.padEnd(43, 'a')]
      let last: Outcome | undefined
      for (const [index, token] of guesses.entries()) {
        const from = `127.0.0.${30 + index}`
        for (const path of ['/auth/password/reset', '/auth/email/verify']) {
          const body = path.endsWith('reset') ? { token, password: NEW_PASSWORD } : { token }
          last = await post(gateway, path, body, { from })
          if (last.status !== 400 || last.code !== 'AUTH_RESET_INVALID') return unless(last, `${path} with ${JSON.stringify(token.slice(0, 20))}: ${last.status} ${last.code ?? ''}`)
        }
      }
      return last as Outcome
    },
    also: 'every guess answers 400 `AUTH_RESET_INVALID` (one code whatever was wrong), never 500'
  },
  {
    id: 'D.72',
    name: 'reset token of the wrong type or size: an object (`{"$ne": null}`), an array, a number, 600 characters',
    expect: { status: 400, code: 'AUTH_BAD_REQUEST', upstream: 'n/a' },
    attack: async (target) => {
      const { gateway } = await mailingGateway(target)
      let last: Outcome | undefined
      for (const [index, token] of [{ $ne: null }, ['a'], 42, 'z'.repeat(600)].entries()) {
        last = await post(gateway, '/auth/password/reset', { token, password: NEW_PASSWORD }, { from: `127.0.0.${40 + index}` })
        if (last.status !== 400 || last.code !== 'AUTH_BAD_REQUEST') return unless(last, `${JSON.stringify(token).slice(0, 20)}: ${last.status}`)
      }
      return last as Outcome
    },
    also: 'refused before any store lookup'
  },
  {
    id: 'D.73',
    name: 'reset-token reuse: the mailed link followed twice, and as an email-verification token',
    expect: { status: 400, code: 'AUTH_RESET_INVALID', upstream: 'n/a' },
    attack: async (target) => {
      const { gateway, smtp } = await mailingGateway(target)
      const email = 'd73-reuse@example.com'
      await registered(gateway, email)
      await post(gateway, '/auth/password/forgot', { email })
      const { token } = tokenOfMail(await smtp.next(email, RESET_MAIL))
      const crossed = await post(gateway, '/auth/email/verify', { token })
      if (crossed.code !== 'AUTH_RESET_INVALID') return unless(crossed, 'a reset token verified an email')
      const first = await post(gateway, '/auth/password/reset', { token, password: NEW_PASSWORD })
      if (first.status !== 204) return unless(first, 'the first use did not reset')
      return post(gateway, '/auth/password/reset', { token, password: 'the attacker\'s passphrase' })
    },
    also: 'the wrong-purpose use did not consume it (the first reset then worked, 204); the second use is refused'
  },
  {
    id: 'D.74',
    name: 'host-header poisoning of the reset link: `Host: evil.example`, `X-Forwarded-Host: evil.example` (gateway behind a trusted proxy)',
    expect: { status: 202, upstream: 'n/a' },
    attack: async (target) => {
      const { gateway, smtp } = await mailingGateway(target, { server: { trustProxy: true } })
      const email = 'd74-poison@example.com'
      await registered(gateway, email)
      const outcome = await post(gateway, '/auth/password/forgot', { email }, { headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http' } })
      const { link } = tokenOfMail(await smtp.next(email, RESET_MAIL))
      return unless(outcome, link.startsWith(`${PUBLIC_ORIGIN}/reset-password#token=`) && !link.includes('evil') ? undefined : `the mailed link is ${link.split('#')[0] ?? ''}`)
    },
    also: `the mailed link starts with server.publicOrigin (${PUBLIC_ORIGIN}), the token in the fragment`
  },
  {
    id: 'D.75',
    name: 'enumeration: `POST /auth/password/forgot` for an existing and an unknown email',
    expect: { status: 202, upstream: 'n/a' },
    attack: async (target) => {
      const { gateway } = await mailingGateway(target)
      await registered(gateway, 'd75-known@example.com')
      const known = await post(gateway, '/auth/password/forgot', { email: 'd75-known@example.com' }, { from: '127.0.0.51' })
      const unknown = await post(gateway, '/auth/password/forgot', { email: 'd75-nobody@example.com' }, { from: '127.0.0.52' })
      const strip = (headers: Outcome['headers']): string => {
        const { date: _d, 'x-ratelimit-remaining': _r, 'x-ratelimit-reset': _s, 'x-request-id': _i, ...rest } = headers
        return JSON.stringify(rest)
      }
      if (known.body !== unknown.body || known.status !== unknown.status) return unless(unknown, `answers differ: ${known.status} ${known.body}`)
      return unless(unknown, strip(known.headers) === strip(unknown.headers) ? undefined : 'headers differ')
    },
    also: 'identical status, body and headers (but `Date`, the rate-limit counters and the request id)'
  },
  forgotTimingCase(),
  {
    id: 'D.76',
    name: `\`forgot\` for one account from ${RECOVERY_PER_ACCOUNT + 1} different IPs`,
    expect: { status: 429, code: 'AUTH_RATE_LIMITED', upstream: 'n/a' },
    attack: async (target) => {
      const { gateway } = await mailingGateway(target)
      let last: Outcome | undefined
      for (let index = 0; index <= RECOVERY_PER_ACCOUNT; index++) {
        last = await post(gateway, '/auth/password/forgot', { email: 'D76-Victim@Example.com'.replace('Victim', index % 2 === 0 ? 'Victim' : 'victim') }, { from: `127.0.0.${60 + index}` })
        if (index < RECOVERY_PER_ACCOUNT && last.status !== 202) return unless(last, `request ${index + 1} was not accepted`)
      }
      return last as Outcome
    },
    also: `the first ${RECOVERY_PER_ACCOUNT} answer 202; the count is per account (its spellings fold together), whatever the IP`
  },
  {
    id: 'D.76',
    name: `\`forgot\` for ${RECOVERY_PER_IP + 1} different emails from one IP; \`reset\` with ${RECOVERY_PER_IP + 1} guesses from one IP`,
    expect: { status: 429, code: 'AUTH_RATE_LIMITED', upstream: 'n/a' },
    attack: async (target) => {
      const { gateway } = await mailingGateway(target)
      let last: Outcome | undefined
      for (let index = 0; index <= RECOVERY_PER_IP; index++) {
        last = await post(gateway, '/auth/password/forgot', { email: `d76-${index}@example.com` }, { from: '127.0.0.70' })
        if (index < RECOVERY_PER_IP && last.status !== 202) return unless(last, `request ${index + 1} was not accepted`)
      }
      if (last?.status !== 429) return last as Outcome
      for (let index = 0; index <= RECOVERY_PER_IP; index++) {
        last = await post(gateway, '/auth/password/reset', { token: 'B'.repeat(43), password: NEW_PASSWORD }, { from: '127.0.0.71' })
        if (index < RECOVERY_PER_IP && last.code !== 'AUTH_RESET_INVALID') return unless(last, `guess ${index + 1}: ${last.status}`)
      }
      return last
    },
    also: `per IP, each endpoint: ${RECOVERY_PER_IP} per 15 minutes by default (rateLimit.recovery)`
  },
  {
    id: 'D.77',
    name: 'broken JSON, a JSON array, extra members (`{"email": "…", "$where": "1"}`) and a non-JSON type at `/password/forgot`, `/password/reset`, `/email/verify`',
    expect: { status: [400, 415], upstream: 'n/a' },
    attack: async (target) => {
      const { gateway } = await mailingGateway(target)
      let last: Outcome | undefined
      const bodies = ['{"email":', '["a@example.com"]', JSON.stringify({ email: 'a@example.com', $where: '1' }), JSON.stringify({ token: 'A'.repeat(43), password: NEW_PASSWORD, extra: 1 })]
      let index = 0
      for (const path of ['/auth/password/forgot', '/auth/password/reset', '/auth/email/verify']) {
        for (const body of bodies) {
          last = await post(gateway, path, body, { from: `127.0.0.${80 + (index++ % 10)}` })
          if (last.status !== 400) return unless(last, `${path} ${body.slice(0, 20)}: ${last.status}`)
        }
        last = await post(gateway, path, 'email=a@example.com', { from: '127.0.0.91', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
        if (last.status !== 415) return unless(last, `${path} as a form: ${last.status}`)
      }
      return last as Outcome
    },
    also: 'each answered 400 `AUTH_BAD_REQUEST` (a form body 415), never 500'
  },
  {
    id: 'D.78',
    name: 'a 64 KB body at `/password/forgot`, `/password/reset`, `/password/change` (signed in) and `/email/verify`',
    expect: { status: 413, upstream: 'n/a' },
    attack: async (target) => {
      const { gateway } = await mailingGateway(target)
      // Signed in: /password/change answers 401 to an anonymous caller before its body is read.
      const { accessToken } = await gateway.login('d78@example.com')
      let last: Outcome | undefined
      const big = JSON.stringify({ email: `${'a'.repeat(64 * 1024)}@example.com` })
      for (const [index, path] of ['/auth/password/forgot', '/auth/password/reset', '/auth/password/change', '/auth/email/verify'].entries()) {
        last = await post(gateway, path, big, { from: `127.0.0.${100 + index}`, headers: { authorization: `Bearer ${accessToken}` } })
        if (last.status !== 413) return unless(last, `${path}: ${last.status}`)
      }
      return last as Outcome
    },
    also: 'refused by the body limit (16 KB) before any parsing'
  },
  {
    id: 'D.79',
    name: '`auth.requireVerifiedEmail`: an unverified account logs in with a wrong, then the right password',
    expect: { status: 403, code: 'AUTH_EMAIL_UNVERIFIED', upstream: 'n/a' },
    attack: async (target) => {
      const { gateway } = await mailingGateway(target, { auth: { registration: true, requireVerifiedEmail: true } })
      await registered(gateway, 'd79@example.com')
      const wrong = await post(gateway, '/auth/login', { email: 'd79@example.com', password: 'not the password at all' })
      if (wrong.status !== 401) return unless(wrong, 'a wrong password was not a plain 401')
      return post(gateway, '/auth/login', { email: 'd79@example.com', password: PASSWORD })
    },
    check: (outcome) => { if (outcome.headers['set-cookie'] !== undefined) throw new Error('a cookie was set') },
    also: 'the wrong password answers 401 as for any account (the 403 only follows a verified password); no cookie'
  }
]
