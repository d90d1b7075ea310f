// One reading of "the user's email" for every answer that shows it (/auth/me, refresh, login, sessions, tokens):
// the users collection records "no email" as '' (UserRecord.email is a string: OIDC users without a verified
// email), and a user source or provider may hand over '' or junk. Those are absent, never an email that is empty.

/** The longest address any caller stores (RFC 5321 path limit plus slack for the local part). */
const MAX_SHOWN_EMAIL = 320
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/** `value` when it reads as an email address (non-blank, bounded, one `@` inside, no control characters), else null. */
export function presentEmail (value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_SHOWN_EMAIL) return null
  if (value.trim() !== value || CONTROL.test(value)) return null
  const at = value.indexOf('@')
  return at > 0 && at === value.lastIndexOf('@') && at < value.length - 1 ? value : null
}
