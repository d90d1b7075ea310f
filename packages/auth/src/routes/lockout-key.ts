// The keys the per-account lockout counts under (SECURITY-CASES D.53). The email is folded conservatively, for
// counting only (the user source still gets the email as typed): a legacy system whose lookup ignores accent, case,
// width or invisible characters (MySQL's default collations do) accepts `vïctim@…`, `VICTIM@…` or `victim@…` with a
// zero-width space for `victim@…`, and each spelling must not bring a fresh budget of guesses. Folding too much only
// makes two spellings share one count, the safe direction. The user id the source answered with is a key of its own
// (login-lockout.ts).

/** Letters that no Unicode decomposition takes to ASCII, but accent-insensitive collations do. */
const LETTERS: Readonly<Record<string, string>> = {
  ø: 'o', đ: 'd', ł: 'l', ħ: 'h', ŧ: 't', æ: 'ae', œ: 'oe', ð: 'd', þ: 'th', ŀ: 'l', ı: 'i', ĸ: 'k'
}
const LETTER = /[øđłħŧæœðþŀıĸ]/gu
/** Marks, invisible and format characters (zero-width, soft hyphen, bidi controls), controls and spaces. */
const INVISIBLE = /[\p{M}\p{Default_Ignorable_Code_Point}\p{Cf}\p{Cc}\p{White_Space}]/gu

function strip (text: string): string {
  // NFKD: compatibility forms (fullwidth letters, ligatures, the Kelvin sign) become their plain letters, and
  // accented letters a base letter plus marks, which are then removed.
  return text.normalize('NFKD').replace(INVISIBLE, '')
}

/** The lockout key of an email as typed. */
export function lockoutEmailKey (email: string): string {
  // Upper then lower case: a full fold for the letters that matter here (ß → ss, ſ → s, dotless ı, İ → i).
  let folded = strip(strip(email).toUpperCase().toLowerCase()).replace(LETTER, (letter) => LETTERS[letter] ?? letter)
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
