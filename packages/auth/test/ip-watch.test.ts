// Units of the new-IP check (issue #15 item 2): how addresses group into networks, and the watch's queue staying
// bounded and giving up on a store that never answers.
import t from 'tap'
import { networkOf } from '../src/notifications/ip-network.js'
import { createIpWatch, type IpSighting } from '../src/notifications/ip-watch.js'
import type { NetworkSighting, NetworkVerdict } from '../src/stores/ip-memory.js'
import type { AuthgateEventMap } from '../src/events.js'

const DEFAULT = { v4: 24, v6: 64 }

t.test('networkOf: one spelling per network, whatever the spelling of the address', async (t) => {
  t.equal(networkOf('203.0.113.7', DEFAULT), '203.0.113.0/24')
  t.equal(networkOf('::ffff:203.0.113.9', DEFAULT), '203.0.113.0/24', 'an IPv4 client on a dual-stack socket is the same network')
  t.equal(networkOf('::FFFF:203.0.113.9', DEFAULT), '203.0.113.0/24')
  t.equal(networkOf('2001:db8:1:2:3:4:5:6', DEFAULT), '2001:db8:1:2::/64')
  t.equal(networkOf('2001:0db8:0001:0002::9', DEFAULT), '2001:db8:1:2::/64', 'leading zeros and :: do not matter')
  t.equal(networkOf('2001:db8:0:0:1::', DEFAULT), '2001:db8::/64')
  t.equal(networkOf('fe80::1%eth0', DEFAULT), 'fe80::/64', 'a zone id is dropped')
  t.equal(networkOf('::1', DEFAULT), '::/64')
  t.equal(networkOf('10.1.2.3', { v4: 12, v6: 64 }), '10.0.0.0/12')
  t.equal(networkOf('10.31.2.3', { v4: 12, v6: 64 }), '10.16.0.0/12', 'a prefix inside an octet')
  t.equal(networkOf('2001:db8:abcd:1234::1', { v4: 24, v6: 52 }), '2001:db8:abcd:1000::/52')
  t.equal(networkOf('2001:db8::1', { v4: 24, v6: 128 }), '2001:db8::1/128')
  t.equal(networkOf('10.1.2.3', { v4: 32, v6: 64 }), '10.1.2.3/32')
  for (const junk of ['', 'unknown', '1.2.3', '999.1.1.1', '1.2.3.4.5', 'gggg::1', '::ffff:1.2.3']) t.equal(networkOf(junk, DEFAULT), null, `${JSON.stringify(junk)}: not an address`)
})

function sighting (index: number): IpSighting {
  return { userId: 'u1', sessionId: 's1', ip: `10.${index}.0.1`, userAgent: 'ua', via: 'login', at: new Date() }
}

t.test('the watch: a hanging store holds one call per slot; the queue is bounded; calls are given up after the timeout', async (t) => {
  let calls = 0
  const warnings: string[] = []
  const emitted: Array<AuthgateEventMap['newIp']> = []
  const watch = createIpWatch({
    store: { recordNetwork: async (_seen: NetworkSighting): Promise<NetworkVerdict> => { calls++; return new Promise(() => {}) } },
    events: { emit: (_name, event) => { emitted.push(event as AuthgateEventMap['newIp']) } },
    logger: { warn: ((fields: { event?: string }) => { warnings.push(fields.event ?? '') }) },
    memoryMs: 60_000, prefix: DEFAULT, maxNetworks: 5, maxPending: 3, concurrency: 1, timeoutMs: 100
  })
  // The watch's give-up timers are unref'd (a hung store must not hold a closing process): keep this one alive.
  const alive = setInterval(() => {}, 1000)
  t.teardown(() => { clearInterval(alive) })
  const started = performance.now()
  for (let index = 0; index < 10; index++) watch.seen(sighting(index))
  t.ok(performance.now() - started < 50, 'seen never waits')
  t.equal(calls, 1, 'one call in flight')
  t.same(warnings, ['ip_queue_full'], 'the dropped sightings are said once (throttled)')
  await watch.idle()
  t.equal(calls, 4, 'the in-flight one and the 3 queued; the other 6 were dropped')
  t.ok(warnings.includes('ip_record_failed'), 'a call given up is logged')
  t.same(emitted, [])
  watch.stop()
  watch.seen(sighting(99))
  t.equal(calls, 4, 'nothing after stop')
})

t.test('the watch: a new network with a previous address is emitted; the first sighting and unparsable addresses are not', async (t) => {
  const emitted: Array<AuthgateEventMap['newIp']> = []
  const verdicts: NetworkVerdict[] = [{ isNew: false, previousIp: null }, { isNew: true, previousIp: '10.0.0.1' }]
  let calls = 0
  const watch = createIpWatch({
    store: { recordNetwork: async () => { calls++; return verdicts.shift() ?? { isNew: false, previousIp: 'x' } } },
    events: { emit: (_name, event) => { emitted.push(event as AuthgateEventMap['newIp']) } },
    logger: { warn: (() => {}) },
    memoryMs: 60_000, prefix: DEFAULT, maxNetworks: 5
  })
  watch.seen({ ...sighting(0), ip: '' })
  watch.seen(sighting(0))
  watch.seen(sighting(1))
  await watch.idle()
  t.equal(calls, 2, 'a closed socket\'s empty address is not looked up')
  t.match(emitted, [{ userId: 'u1', previousIp: '10.0.0.1', ip: '10.1.0.1', network: '10.1.0.0/24', via: 'login' }])
})

t.test('the watch: the user\'s last address again skips the store for a while; any other address or user does not', async (t) => {
  let calls = 0
  const watch = createIpWatch({
    store: { recordNetwork: async () => { calls++; return { isNew: false, previousIp: '10.0.0.1' } } },
    events: { emit: () => {} },
    logger: { warn: () => {} },
    memoryMs: 90 * 86_400_000, prefix: DEFAULT, maxNetworks: 5
  })
  const at = Date.now()
  watch.seen({ ...sighting(0), at: new Date(at) })
  await watch.idle()
  watch.seen({ ...sighting(0), at: new Date(at + 60_000) })
  await watch.idle()
  t.equal(calls, 1, 'the same address a minute later: no store call')
  watch.seen({ ...sighting(0), ip: '10.0.0.99', at: new Date(at + 60_000) })
  await watch.idle()
  t.equal(calls, 2, 'another address of the same /24: asked (it becomes the previous address)')
  watch.seen({ ...sighting(0), at: new Date(at + 61_000) })
  watch.seen({ ...sighting(0), userId: 'u2', at: new Date(at + 61_000) })
  await watch.idle()
  t.equal(calls, 4, 'back to the first address (no longer the last), another user: asked')
  watch.seen({ ...sighting(0), at: new Date(at + 62_000) })
  await watch.idle()
  t.equal(calls, 4, 'the last address again: skipped')
  watch.seen({ ...sighting(0), at: new Date(at + 5 * 3_600_000) })
  await watch.idle()
  t.equal(calls, 4, 'five hours later (refreshes every 15 minutes): still skipped')
  watch.seen({ ...sighting(0), at: new Date(at + 62_000 + 6 * 3_600_000) })
  await watch.idle()
  t.equal(calls, 5, 'past six hours: asked again (lastSeenAt moves on)')
})

t.test('the watch: a verdict arriving after the give-up is still told (the write landed: no later sighting would tell)', async (t) => {
  const emitted: Array<AuthgateEventMap['newIp']> = []
  let answer: (verdict: NetworkVerdict) => void = () => {}
  const watch = createIpWatch({
    store: { recordNetwork: async () => new Promise<NetworkVerdict>((resolve) => { answer = resolve }) },
    events: { emit: (_name, event) => { emitted.push(event as AuthgateEventMap['newIp']) } },
    logger: { warn: () => {} },
    memoryMs: 60_000, prefix: DEFAULT, maxNetworks: 5, timeoutMs: 50
  })
  const alive = setInterval(() => {}, 1000)
  t.teardown(() => { clearInterval(alive) })
  watch.seen(sighting(1))
  await watch.idle()
  t.same(emitted, [], 'given up, nothing yet')
  answer({ isNew: true, previousIp: '10.0.0.1' })
  await new Promise((resolve) => setImmediate(resolve))
  t.match(emitted, [{ userId: 'u1', previousIp: '10.0.0.1', ip: '10.1.0.1' }], 'the late verdict is emitted')
})

t.test('the watch: with a short memory the skip is a hundredth of it, so a network cannot outlive its memory', async (t) => {
  let calls = 0
  const watch = createIpWatch({
    store: { recordNetwork: async () => { calls++; return { isNew: false, previousIp: '10.0.0.1' } } },
    events: { emit: () => {} },
    logger: { warn: () => {} },
    memoryMs: 3_600_000, prefix: DEFAULT, maxNetworks: 5
  })
  const at = Date.now()
  watch.seen({ ...sighting(0), at: new Date(at) })
  await watch.idle()
  watch.seen({ ...sighting(0), at: new Date(at + 35_000) })
  await watch.idle()
  t.equal(calls, 1, 'within 36 s (a hundredth of an hour): skipped')
  watch.seen({ ...sighting(0), at: new Date(at + 37_000) })
  await watch.idle()
  t.equal(calls, 2, 'past it: asked')
})

t.test('the watch: a custom store that throws synchronously, or a listener that throws on a late verdict, is logged, never an unhandled rejection', async (t) => {
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }
  process.on('unhandledRejection', onUnhandled)
  t.teardown(() => { process.off('unhandledRejection', onUnhandled) })
  const warnings: string[] = []
  const logger = { warn: ((fields: { event?: string }) => { warnings.push(fields.event ?? '') }) }
  const options = { logger, memoryMs: 60_000, prefix: DEFAULT, maxNetworks: 5, maxPending: 3, concurrency: 1 }
  // Not async: the interface allows a plain function that throws.
  const throwing = createIpWatch({
    ...options, timeoutMs: 1000,
    store: { recordNetwork: (_seen: NetworkSighting): Promise<NetworkVerdict> => { throw new Error('store broke') } },
    events: { emit: () => {} }
  })
  throwing.seen(sighting(1))
  await throwing.idle()
  t.ok(warnings.includes('ip_record_failed'), 'the throw is logged')
  // A verdict arriving after the give-up whose listener throws.
  let answer: (verdict: NetworkVerdict) => void = () => {}
  const late = createIpWatch({
    ...options, timeoutMs: 20,
    store: { recordNetwork: async () => new Promise<NetworkVerdict>((resolve) => { answer = resolve }) },
    events: { emit: () => { throw new Error('listener broke') } }
  })
  const alive = setInterval(() => {}, 1000)
  t.teardown(() => { clearInterval(alive) })
  late.seen(sighting(2))
  await late.idle()
  answer({ isNew: true, previousIp: '10.9.0.1' })
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.same(unhandled, [], 'no unhandled rejection')
  throwing.stop()
  late.stop()
})
