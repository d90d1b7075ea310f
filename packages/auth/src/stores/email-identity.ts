// The stored identity of an email: what makes two spellings the same account. Registration (POST /register,
// `authgate user add`, the embedded demo: all through addUser) refuses what cannot be a sincere address and stores
// the identity key; login looks users up by the same key. Without this, `ＶICTIM@x` (fullwidth), `vic<ZWSP>tim@x`
// or `vıctim@x` (dotless ı) registered as accounts of their own beside `victim@x`, looking identical on screen.
//
// The key: Unicode NFKC (compatibility forms: fullwidth letters and `＠`, ligatures, long ſ, the Kelvin sign),
// then case folded (upper then lower case, which also folds ß→ss and ı→i), then NFKC again. The account-lockout
// counter uses a separate, more aggressive fold (accents removed) for counting only; this one decides identity.
import { AuthError } from '../errors.js'

export const MAX_EMAIL_LENGTH = 254

/**
 * Control, format (zero-width, soft hyphen, bidi), surrogate, private-use and unassigned characters, and every
 * default-ignorable one (variation selectors, Hangul fillers…): invisible on screen, so never part of an address.
 */
const INVISIBLE = /[\p{C}\p{Default_Ignorable_Code_Point}]/u
const WHITESPACE = /\s/u
/** A letter of a script other than Latin (Common and Inherited belong to every script). */
const NON_LATIN_LETTER = /[^\p{Script=Latin}\p{Script=Common}\p{Script=Inherited}\P{L}]/u
const LATIN_LETTER = /\p{Script=Latin}/u
/** U+3002 (and, after NFKC, U+FF61): a dot to IDNA, so `x。com` would name the same domain as `x.com`. */
const IDEOGRAPHIC_FULL_STOP = '\u3002'

/** The identity key of an email: equal keys are one account. Total (never throws): login uses it on any input. */
export function normaliseEmail (email: string): string {
  return email.normalize('NFKC').trim().toUpperCase().toLowerCase().normalize('NFKC')
}

/** Why `email` cannot be registered, or undefined when it can. `email` is already NFKC and trimmed. */
function problemOf (email: string): string | undefined {
  if (email.length > MAX_EMAIL_LENGTH) return `email must hold at most ${MAX_EMAIL_LENGTH} characters`
  const at = email.indexOf('@')
  if (WHITESPACE.test(email) || at <= 0 || at !== email.lastIndexOf('@') || at === email.length - 1) return 'email must be an email address'
  const local = email.slice(0, at)
  const labels = email.slice(at + 1).split('.')
  if (labels.some((label) => label === '')) return 'email domain must not have empty labels or a trailing dot'
  if (labels.some((label) => label.includes(IDEOGRAPHIC_FULL_STOP))) return 'email domain must separate labels with "."'
  // Lookalikes across scripts (a Cyrillic `а` among Latin letters): refused within one part of the address.
  if ([local, ...labels].some((part) => LATIN_LETTER.test(part) && NON_LATIN_LETTER.test(part))) {
    return 'email must not mix Latin letters with letters of another script in one part'
  }
  return undefined
}

/**
 * The email as stored (NFKC, trimmed: fullwidth and other compatibility forms become their plain letters) and its
 * identity key. Rejects with AuthError AUTH_BAD_REQUEST, its message saying what is wrong.
 */
export function parseEmail (input: string): { email: string, key: string } {
  const compatible = input.normalize('NFKC')
  // Checked before trimming: trim() also removes U+FEFF and line breaks, which must be refused, not tidied away.
  const problem = INVISIBLE.test(compatible) ? 'email must not contain control, format or invisible characters' : problemOf(compatible.trim())
  const email = compatible.trim()
  if (problem !== undefined) throw new AuthError('AUTH_BAD_REQUEST', { message: problem })
  return { email, key: normaliseEmail(email) }
}
