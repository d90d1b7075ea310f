// The keys the per-account lockout counts under (docs/security.md D.53). The email is folded conservatively, for
// counting only (the user source still gets the email as typed): a legacy system whose lookup ignores accent, case,
// width or invisible characters (MySQL's default collations do) accepts `vïctim@…`, `VICTIM@…` or `victim@…` with a
// zero-width space for `victim@…`, and each spelling must not bring a fresh budget of guesses. Folding too much only
// makes two spellings share one count, the safe direction. The user id the source answered with is a key of its own
// (login-lockout.ts).

import { COLLATION_EQUIVALENTS } from './lockout-fold-table.js'

const EQUIVALENT = new RegExp(`[${Object.keys(COLLATION_EQUIVALENTS).join('')}]`, 'gu')
/** Marks, invisible and format characters (zero-width, soft hyphen, bidi controls), controls and spaces. */
const INVISIBLE = /[\p{M}\p{Default_Ignorable_Code_Point}\p{Cf}\p{Cc}\p{White_Space}]/gu
const DECIMAL_DIGIT = /\p{Nd}/u
const DECIMAL_DIGITS = /\p{Nd}/gu

function equivalents (text: string): string {
  return text.replace(EQUIVALENT, (character) => COLLATION_EQUIVALENTS[character] ?? character)
}

function strip (text: string): string {
  // NFKD: compatibility forms (fullwidth letters, ligatures, the Kelvin sign) become their plain letters, and
  // accented letters a base letter plus marks, which are then removed.
  return text.normalize('NFKD').replace(INVISIBLE, '')
}

/** Any decimal digit (Arabic-Indic, Devanagari, …) as its ASCII digit: collations compare digits by value. */
function asciiDigit (digit: string): string {
  // Unicode encodes every decimal digit in runs of ten from 0 to 9 (some runs adjoin): the value is the distance
  // from the start of the run, modulo ten. At most 60 steps back (the longest run is 50).
  const code = digit.codePointAt(0) ?? 0
  if (code < 0x80) return digit
  let back = 0
  while (back < 60 && DECIMAL_DIGIT.test(String.fromCodePoint(code - back - 1))) back++
  return String(back % 10)
}

/** The lockout key of an email as typed. */
export function lockoutEmailKey (email: string): string {
  // The table first: some of its letters (ŀ, the combining letters) decompose or vanish under NFKD. Then upper and
  // lower case, a full fold (ß → SS → ss, ſ → s, İ → i), and the table again for what the fold produced (ẞ → ß).
  let folded = equivalents(strip(strip(equivalents(email)).toUpperCase().toLowerCase()))
    .replace(DECIMAL_DIGITS, asciiDigit)
    // Runs of s as one: MySQL's general collations take ß for s, the others for ss.
    .replace(/s+/g, 's')
  // A trailing dot names the same domain (a plain scan: a regex anchored at the end backtracks over long runs).
  let end = folded.length
  while (end > 0 && folded.charCodeAt(end - 1) === 0x2e) end--
  folded = folded.slice(0, end)
  return `email:${folded}`
}

/** The lockout key of a user id as the user source answered it. */
export function lockoutUserKey (userId: string): string {
  return `user:${userId}`
}
