// Readable devices (issue #15 item 5): GET /auth/sessions shows each session's user agent as `{ browser, os,
// deviceType }`, parsed once per distinct agent (not on every list), from a bounded input; an agent nobody can read
// (garbage, empty, absent, 10 KB) gives nulls, never an error.
import t from 'tap'
import { bearer, buildApp, login, PASSWORD, register, signIn } from './helpers/app.js'
import { parseCount, readableDevice, READABLE_DEVICE_CACHE } from '../src/sessions/readable-device.js'

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36'
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1'
const NOTHING = { browser: null, os: null, deviceType: null }

t.test('the session list shows each session\'s browser, OS and device type', async (t) => {
  const app = await buildApp(t, 'memory', { options: { rateLimit: false } })
  const { at } = await signIn(app, 'devices@example.com', { 'user-agent': CHROME })
  const agents = [IPHONE, ')))((( \u0001garbage', '', 'x'.repeat(10_000)]
  for (const agent of agents) t.equal((await login(app, 'devices@example.com', PASSWORD, agent === '' ? {} : { 'user-agent': agent })).statusCode, 200)
  const list = async (): Promise<Array<{ userAgent: string, client: unknown, current: boolean }>> => {
    const response = await app.inject({ method: 'GET', url: '/auth/sessions', headers: bearer(at) })
    t.equal(response.statusCode, 200)
    return response.json()
  }
  const sessions = await list()
  t.equal(sessions.length, 5)
  t.same(sessions.find((s) => s.current)?.client, { browser: 'Chrome 130', os: 'Linux', deviceType: 'desktop' })
  t.same(sessions.find((s) => s.userAgent === IPHONE)?.client, { browser: 'Safari 17', os: 'iOS 17.1', deviceType: 'mobile' })
  const others = sessions.filter((s) => !s.current && s.userAgent !== IPHONE)
  t.equal(others.length, 3)
  for (const session of others) t.same(session.client, NOTHING, `nothing readable in ${JSON.stringify(session.userAgent.slice(0, 20))}…: nulls`)
  const parsed = parseCount.value
  await list()
  await list()
  t.equal(parseCount.value, parsed, 'listing again parses nothing: each agent was parsed once')
})

t.test('readableDevice: bounded input, any value, a bounded cache', async (t) => {
  t.same(readableDevice(undefined), NOTHING)
  t.same(readableDevice(null), NOTHING)
  t.same(readableDevice(42 as unknown as string), NOTHING)
  t.same(readableDevice('   '), NOTHING)
  const started = performance.now()
  t.same(readableDevice(`${CHROME} ${'(('.repeat(500_000)}`).browser, 'Chrome 130', 'a 1 MB agent is cut to its first 512 characters before parsing')
  t.ok(performance.now() - started < 1000)
  t.same(readableDevice(`${'x'.repeat(600)} ${CHROME}`), NOTHING, 'what lies past 512 characters is never parsed')
  const before = parseCount.value
  for (let i = 0; i < READABLE_DEVICE_CACHE + 10; i++) readableDevice(`agent-${i}`)
  t.equal(parseCount.value - before, READABLE_DEVICE_CACHE + 10)
  readableDevice(`agent-${READABLE_DEVICE_CACHE + 9}`)
  t.equal(parseCount.value - before, READABLE_DEVICE_CACHE + 10, 'a recent agent is still cached')
  readableDevice('agent-0')
  t.equal(parseCount.value - before, READABLE_DEVICE_CACHE + 11, 'the oldest was forgotten: the cache stays bounded')
})

t.test('a registration alone lists nothing to parse; the list of a fresh user works', async (t) => {
  const app = await buildApp(t, 'memory', { options: { rateLimit: false } })
  await register(app, 'fresh@example.com')
  const response = await login(app, 'fresh@example.com', PASSWORD, { 'user-agent': IPHONE })
  const list = await app.inject({ method: 'GET', url: '/auth/sessions', headers: bearer(response.json<{ accessToken: string }>().accessToken) })
  t.match(list.json(), [{ client: { deviceType: 'mobile' } }])
})
