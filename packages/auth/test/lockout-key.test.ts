// The lockout's fold of an email (issue #11, item 5): every spelling a lenient legacy lookup may take for the same
// account — case, accents, compatibility forms, invisible and format characters, a trailing dot — gives one key;
// different accounts keep different keys; and the fold is linear in its input (it runs before authentication).
import t from 'tap'
import { lockoutEmailKey, lockoutUserKey } from '../src/routes/lockout-key.js'

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
  for (const unit of ['.', ' ', '\u200b', 'i\u0301', '.x']) {
    const small = work(unit.repeat(1024 / unit.length))
    const large = work(unit.repeat(65_536 / unit.length))
    // Quadratic growth would be ~4096×; linear is ~64× (allow noise).
    t.ok(large / small < 400, `${JSON.stringify(unit)} runs: ratio ${(large / small).toFixed(0)}`)
  }
})
