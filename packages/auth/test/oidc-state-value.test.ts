// The OIDC `state` is made and checked by authgate's own format (oidc/state-value.ts), not by the shape a protocol
// library happens to give it today: a callback must never be refused for the length of a state we could have made.
import t from 'tap'
import { isStateValue, newStateValue } from '../src/oidc/state-value.js'

t.test('every state we make passes the callback\'s check, and each is new', async (t) => {
  const made = new Set<string>()
  for (let i = 0; i < 200; i++) {
    const value = newStateValue()
    if (!isStateValue(value)) t.fail(`refused our own state ${value.length} characters long`)
    made.add(value)
  }
  t.equal(made.size, 200, 'no repeats')
})

t.test('states of other lengths in the same alphabet are accepted (a longer random state, an older shorter one)', async (t) => {
  for (const length of [22, 32, 43, 64, 86, 128]) t.ok(isStateValue('aZ09_-'.repeat(30).slice(0, length)), `${length} characters`)
})

t.test('anything outside base64url or the length bound is refused before a hash or a store lookup', async (t) => {
  for (const value of ['', 'A'.repeat(21), 'A'.repeat(129), 'A'.repeat(100_000), `${'A'.repeat(42)}=`, `${'A'.repeat(42)}+`, `${'A'.repeat(42)}/`, `${'A'.repeat(42)}.`, `${'A'.repeat(42)} `, `${'A'.repeat(42)}\n`, `${'A'.repeat(42)}é`]) {
    t.notOk(isStateValue(value), JSON.stringify(value.slice(0, 50)))
  }
})
