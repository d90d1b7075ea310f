// The lockout's fold of an email (issue #11, item 5): every spelling a lenient legacy lookup may take for the same
// account — case, accents, compatibility forms, invisible and format characters, a trailing dot — gives one key;
// different accounts keep different keys; and the fold is linear in its input (it runs before authentication).
import t from 'tap'
import { lockoutEmailKey, lockoutUserKey } from '../src/limits/lockout-key.js'

const SPELLINGS: Array<(email: string) => string> = [
  (email) => email.toUpperCase(),
  (email) => email.replace('i', 'ï'),
  (email) => email.replace('i', 'i\u0301'),
  (email) => email.replace('i', 'ı'),
  (email) => email.replace('i', 'İ'),
  (email) => email.replace('c', 'c\u200b'),
  (email) => email.replace('c', 'c\u00ad'),
  (email) => email.replace('c', 'c\u2060'),
  (email) => email.replace('c', 'c\ufeff'),
  (email) => email.replace('t', '\u202et'),
  (email) => email.replace(/[a-z]/g, (letter) => String.fromCharCode(letter.charCodeAt(0) + 0xfee0)),
  (email) => `${email}.`,
  (email) => ` ${email}\t`,
  (email) => email.replace('s', 'ſ'),
  (email) => email.replace('o', 'ø'),
  (email) => email.replace('k', '\u212a')
]

t.test('every spelling of one account folds to one key', async (t) => {
  const base = 'victim.kosta@example.com'
  const key = lockoutEmailKey(base)
  t.equal(key, 'email:victim.kosta@example.com')
  for (const [index, spell] of SPELLINGS.entries()) {
    t.equal(lockoutEmailKey(spell(base)), key, `spelling ${index}: ${JSON.stringify(spell(base))}`)
    // Two transformations at once fold too (the fold is applied to what the legacy lookup would compare).
    const other = SPELLINGS[(index + 5) % SPELLINGS.length] as (email: string) => string
    t.equal(lockoutEmailKey(other(spell(base))), key, `spellings ${index}+${(index + 5) % SPELLINGS.length}`)
  }
  t.equal(lockoutEmailKey('straße@example.com'), lockoutEmailKey('STRASSE@example.com'), 'ß folds to ss')
})

t.test('the fold agrees with a root collation at base strength over the BMP', async (t) => {
  // What a lenient legacy lookup takes for an ASCII letter or digit (or for two: ß, æ, ĳ), or ignores, must fold to
  // the same key. The ASCII strings of one or two characters, sorted by the collator, are binary-searched.
  const collator = new Intl.Collator('und', { sensitivity: 'base' })
  const ascii = Array.from('abcdefghijklmnopqrstuvwxyz0123456789')
  const candidates = [...ascii, ...ascii.flatMap((first) => ascii.map((second) => first + second))].sort(collator.compare)
  const equivalent = (character: string): string | undefined => {
    if (collator.compare(`a${character}b`, 'ab') === 0) return ''
    let low = 0
    let high = candidates.length - 1
    while (low <= high) {
      const middle = (low + high) >> 1
      const candidate = candidates[middle] as string
      const order = collator.compare(character, candidate)
      if (order === 0) return candidate
      if (order < 0) high = middle - 1
      else low = middle + 1
    }
    return undefined
  }
  const missing: string[] = []
  let checked = 0
  for (let code = 0x80; code <= 0xffff; code++) {
    if (code >= 0xd800 && code <= 0xdfff) continue
    const character = String.fromCharCode(code)
    const plain = equivalent(character)
    if (plain === undefined) continue
    checked++
    // Inside a word: combining letters (U+0363 …) are letters to the collator, not marks to strip.
    if (lockoutEmailKey(`q${character}q`) !== lockoutEmailKey(`q${plain}q`)) missing.push(`'\\u${code.toString(16).padStart(4, '0')}': '${plain}'`)
  }
  t.ok(checked > 2000, `${checked} code points the collator takes for ASCII or ignores`)
  t.same(missing, [], 'lockout-fold-table.ts lacks these')
})

t.test('decimal digits of every script fold to their value; ŀ, ẞ and ß fold whatever the case', async (t) => {
  t.equal(lockoutEmailKey('user٤٢@example.com'), lockoutEmailKey('user42@example.com'), 'Arabic-Indic')
  t.equal(lockoutEmailKey('user४२@example.com'), lockoutEmailKey('user42@example.com'), 'Devanagari')
  t.equal(lockoutEmailKey('user\u{1d7d2}@example.com'), lockoutEmailKey('user4@example.com'), 'mathematical (astral)')
  t.equal(lockoutEmailKey('user\u{104a4}@example.com'), lockoutEmailKey('user4@example.com'), 'Osmanya (astral, no decomposition)')
  t.equal(lockoutEmailKey('paŀla@example.com'), lockoutEmailKey('palla@example.com'))
  t.equal(lockoutEmailKey('PAĿLA@example.com'), lockoutEmailKey('palla@example.com'))
  t.equal(lockoutEmailKey('STRAẞE@example.com'), lockoutEmailKey('strasse@example.com'))
  t.equal(lockoutEmailKey('straße@example.com'), lockoutEmailKey('strase@example.com'), 'MySQL general collations: ß = s')
  t.equal(lockoutEmailKey('vict\u0365m@example.com'), lockoutEmailKey('victim@example.com'), 'combining letter i')
  t.equal(lockoutEmailKey('vic\u0640tim@example.com'), lockoutEmailKey('victim@example.com'), 'tatweel')
})

t.test('different accounts keep different keys; ids are keys of their own', async (t) => {
  t.not(lockoutEmailKey('victim@example.com'), lockoutEmailKey('victor@example.com'))
  t.not(lockoutEmailKey('a.b@example.com'), lockoutEmailKey('ab@example.com'), 'dots inside are not folded (they name other accounts)')
  t.not(lockoutUserKey('victim@example.com'), lockoutEmailKey('victim@example.com'), 'an id never shares a key with an email')
})

t.test('the fold is linear in its input: 64 KiB of adversarial runs cost about 64× 1 KiB', async (t) => {
  const work = (text: string): number => {
    let rounds = 0
    const started = process.hrtime.bigint()
    while (process.hrtime.bigint() - started < 20_000_000n) { lockoutEmailKey(text); rounds++ }
    return Number(process.hrtime.bigint() - started) / rounds
  }
  for (const unit of ['.', ' ', '\u200b', 'i\u0301', '.x', '٤', 's', '\u0365']) {
    const small = work(unit.repeat(1024 / unit.length))
    const large = work(unit.repeat(65_536 / unit.length))
    // Quadratic growth would be ~4096×; linear is ~64× (allow generous noise: GC, a shared core).
    t.ok(large / small < 1000, `${JSON.stringify(unit)} runs: ratio ${(large / small).toFixed(0)}`)
  }
})
