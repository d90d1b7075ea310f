// presentEmail (stores/user-email.ts): '' (how the users collection records "no email") and junk from a user source
// or provider read as absent wherever an email is shown.
import t from 'tap'
import { presentEmail } from '../src/stores/user-email.js'

t.test('addresses pass unchanged', async (t) => {
  for (const email of ['a@example.com', 'Ünïcode@exämple.org', `${'x'.repeat(300)}@e.com`]) t.equal(presentEmail(email), email)
})

t.test('empty, blank, junk and non-strings are absent', async (t) => {
  for (const value of ['', ' ', 'not an address', '@example.com', 'a@', 'a@b@c', ' a@example.com', 'a@example.com\n', 'a\u0000@example.com', `${'x'.repeat(320)}@e.com`, null, undefined, 42, ['a@example.com'], { toString: () => 'a@example.com' }]) {
    t.equal(presentEmail(value), null, JSON.stringify(value))
  }
})
