// The stored identity of an email: what makes two spellings the same account. Registration (POST /register,
// `authgate user add`, the embedded demo: all through addUser) refuses what cannot be a sincere address and stores
// the identity key; login looks users up by the same key. Without this, `ＶICTIM@x` (fullwidth), `vic<ZWSP>tim@x`
// or `vıctim@x` (dotless ı) registered as accounts of their own beside `victim@x`, looking identical on screen.
//
// The key: the local part in Unicode NFKC (compatibility forms: fullwidth letters and `＠`, ligatures, long ſ, the
// Kelvin sign), case folded (upper then lower case, which also folds ß→ss and ı→i), NFKC again; the domain as DNS
// sees it (url.domainToASCII: IDNA/UTS 46, so `exämple.test` and `xn--exmple-cua.test` are one domain, while
// `straße.de` and `strasse.de` stay two). Login's per-account lockout counts attempts under this same key.
//
// Refused at registration, so no second spelling can exist: invisible characters, combining marks left over after
// normalisation on Latin/Greek/Cyrillic or punctuation (`i` + U+0307, `m` + U+0338), non-ASCII punctuation and
// symbols (U+2010/U+2011 hyphens, U+2212 minus for `-`), mixed scripts within one part, and domains IDNA refuses.
import { domainToASCII } from 'node:url'
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
/**
 * A combining mark on a character of an alphabet whose accented letters NFC composes (or on punctuation/digits):
 * what is left is a stacked look-alike (`i` + U+0307 is `i` on screen). Scripts written with marks (Devanagari,
 * Thai, Arabic…) keep theirs.
 */
const STACKED_MARK = /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{Script=Common}]\p{M}/u
/** Punctuation or a symbol outside ASCII: the Common-script look-alikes of `-`, `.`, `_`, `'`… */
const NON_ASCII_PUNCTUATION = /(?!\p{ASCII})[\p{P}\p{S}]/u
/** A domain as written: anything else in ASCII (`%`, `_`, `[`) is no host name, or is decoded by IDNA. */
const DOMAIN_ASCII = /^(?:[A-Za-z0-9.-]|\P{ASCII})+$/u
const DNS_DOMAIN = /^[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})*$/
/** U+3002 (and, after NFKC, U+FF61): a dot to IDNA, so `x。com` would name the same domain as `x.com`. */
const IDEOGRAPHIC_FULL_STOP = '\u3002'

function foldLocal (local: string): string {
  return local.toUpperCase().toLowerCase().normalize('NFKC')
}

/**
 * A fragment of an email (the admin user search) folded like identity keys' local parts, so `ALICE` finds
 * `alice@x`. A domain fragment is folded the same way (lower case), which matches keys' ASCII domains.
 */
export function foldEmailFragment (fragment: string): string {
  return foldLocal(fragment.normalize('NFKC').trim())
}

/** The identity key of an email: equal keys are one account. Total (never throws): login uses it on any input. */
export function normaliseEmail (email: string): string {
  const compatible = email.normalize('NFKC').trim()
  const at = compatible.lastIndexOf('@')
  // Not an address registration accepts: any key will do, it names no account (keys of accounts have an `@`
  // and a domain domainToASCII accepted, so this cannot collide with one).
  if (at === -1) return foldLocal(compatible)
  const written = compatible.slice(at + 1)
  // `%70` would be decoded by domainToASCII: only what registration accepts is converted.
  const ascii = DOMAIN_ASCII.test(written) ? domainToASCII(written) : ''
  const domain = ascii === '' ? foldLocal(written) : ascii
  return `${foldLocal(compatible.slice(0, at))}@${domain}`
}

/**
 * The key an email had before the identity key above (NFC, trimmed, lower-cased). TODO(next-major): login falls
 * back to it once, so accounts registered before the change stay reachable; their keys are never rewritten.
 */
export function legacyEmailKey (email: string): string {
  return email.normalize('NFC').trim().toLowerCase()
}

/** Why `email` cannot be registered, or undefined when it can. `email` is already NFKC and trimmed. */
function problemOf (email: string): string | undefined {
  if (email.length > MAX_EMAIL_LENGTH) return `email must hold at most ${MAX_EMAIL_LENGTH} characters`
  const at = email.indexOf('@')
  if (WHITESPACE.test(email) || at <= 0 || at !== email.lastIndexOf('@') || at === email.length - 1) return 'email must be an email address'
  const local = email.slice(0, at)
  const domain = email.slice(at + 1)
  const labels = domain.split('.')
  if (labels.some((label) => label === '')) return 'email domain must not have empty labels or a trailing dot'
  if (labels.some((label) => label.includes(IDEOGRAPHIC_FULL_STOP))) return 'email domain must separate labels with "."'
  if (NON_ASCII_PUNCTUATION.test(email)) return 'email must not contain punctuation or symbols outside ASCII (look-alikes of "-", ".")'
  if (STACKED_MARK.test(email) || STACKED_MARK.test(foldLocal(email))) return 'email must not contain combining marks on letters (use the composed letter)'
  // Lookalikes across scripts (a Cyrillic `а` among Latin letters): refused within one part of the address.
  if ([local, ...labels].some((part) => LATIN_LETTER.test(part) && NON_LATIN_LETTER.test(part))) {
    return 'email must not mix Latin letters with letters of another script in one part'
  }
  if (!DOMAIN_ASCII.test(domain) || !DNS_DOMAIN.test(domainToASCII(domain))) return 'email domain must be a valid domain name'
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
