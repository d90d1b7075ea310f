// Which peers forward-auth believes (peer-trust.ts): verdicts are remembered per address, and stay right past the
// memo's bound (it starts over; nothing is kept that a new address could turn into a wrong verdict).
import t from 'tap'
import { createPeerTrust } from '../src/peer-trust.js'

t.test('loopback and server.trustProxy addresses are trusted, others not, the same on every ask', async (t) => {
  const trusted = createPeerTrust(['10.1.2.3', '192.168.0.0/16'])
  for (let round = 0; round < 2; round++) {
    t.equal(trusted('127.0.0.1'), true)
    t.equal(trusted('::1'), true)
    t.equal(trusted('::ffff:127.0.0.1'), true)
    t.equal(trusted('10.1.2.3'), true)
    t.equal(trusted('192.168.7.7'), true)
    t.equal(trusted('10.1.2.4'), false)
    t.equal(trusted('203.0.113.9'), false)
    t.equal(trusted(undefined), false)
  }
  const proxiesOnly = createPeerTrust(['10.1.2.3'], { loopback: false })
  t.equal(proxiesOnly('127.0.0.1'), false)
  t.equal(proxiesOnly('10.1.2.3'), true)
  t.equal(createPeerTrust(false, { loopback: false })('127.0.0.1'), false)
  t.equal(createPeerTrust(1)('203.0.113.9'), true)
  t.equal(createPeerTrust(true)(undefined), false)
})

t.test('past the memo bound (a client on ever new addresses) the verdicts stay right', async (t) => {
  const trusted = createPeerTrust('10.1.2.3')
  t.equal(trusted('10.1.2.3'), true)
  for (let index = 0; index < 1000; index++) {
    if (trusted(`203.0.${index >> 8}.${index & 255}`)) t.fail(`203.0.${index >> 8}.${index & 255} trusted`)
  }
  t.equal(trusted('10.1.2.3'), true)
  t.equal(trusted('127.0.0.1'), true)
  t.equal(trusted('203.0.0.1'), false)
})
