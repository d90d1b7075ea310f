// The bench's CPU-per-request reporting (issue #18): the /proc meter and the `cpu:A/B` ratios, including a part of a
// scenario measured as several processes (nginx-forward-auth's `authgate`). No servers; bounded loops only.
import t from 'tap'
import { startCpuMeter, cpuTimes } from './lib/cpu.mjs'
import { computeCpuRatios } from './lib/report.mjs'

t.test('cpu:A/B ratios: whole scenarios, one process of a scenario, and null when a side has no figure', async (t) => {
  const scenarios = {
    'gateway-auth-eddsa': { rps: 100, cpuUsPerRequest: 100 },
    'fast-proxy-lite': { rps: 100, cpuUsPerRequest: 80 },
    'nginx-forward-auth': { rps: 100, cpuUsPerRequest: 60, cpuParts: { nginx: 40, authgate: 20 } },
    broken: { failed: 'probe answered 500', cpuUsPerRequest: 50 },
    skipped: { skipped: 'no nginx' },
    unmeasured: { rps: 100, cpuUsPerRequest: null }
  }
  const ratios = computeCpuRatios(scenarios, [
    ['gateway-auth-eddsa', 'fast-proxy-lite'],
    ['nginx-forward-auth.authgate', 'gateway-auth-eddsa'],
    ['nginx-forward-auth', 'fast-proxy-lite'],
    ['broken', 'fast-proxy-lite'],
    ['skipped', 'fast-proxy-lite'],
    ['unmeasured', 'fast-proxy-lite'],
    ['nginx-forward-auth.unknown', 'fast-proxy-lite'],
    ['absent', 'fast-proxy-lite']
  ])
  t.same(ratios, {
    'cpu:gateway-auth-eddsa/fast-proxy-lite': 1.25,
    'cpu:nginx-forward-auth.authgate/gateway-auth-eddsa': 0.2,
    'cpu:nginx-forward-auth/fast-proxy-lite': 0.75,
    'cpu:broken/fast-proxy-lite': null,
    'cpu:skipped/fast-proxy-lite': null,
    'cpu:unmeasured/fast-proxy-lite': null,
    'cpu:nginx-forward-auth.unknown/fast-proxy-lite': null,
    'cpu:absent/fast-proxy-lite': null
  })
})

t.test('the meter reads this process from /proc: CPU spent shows per request, apart and summed', { skip: process.platform !== 'linux' && 'needs /proc' }, async (t) => {
  const meter = startCpuMeter({ a: process.pid, b: process.pid })
  // Burn a bounded amount of CPU (at least 50 ms of it, at most 2 s of wall time): the clock ticks are 10 ms.
  const started = process.cpuUsage()
  const deadline = Date.now() + 2000
  let spin = 0
  while (Date.now() < deadline && process.cpuUsage(started).user < 50_000) spin += Math.sqrt(spin + 1)
  t.ok(spin > 0)
  const { total, parts, system } = meter.stop(10)
  t.ok(parts.a !== undefined && parts.a >= 2000, `≥ 20 ms over 10 requests is ≥ 2 000 µs each (${parts.a})`)
  t.equal(parts.a, parts.b, 'the same process twice reads the same')
  t.equal(total, (parts.a ?? 0) + (parts.b ?? 0))
  t.ok(system >= 0 && system <= total)
  t.ok(Number.isNaN(cpuTimes(undefined).user), 'no pid: NaN, never a number that looks measured')
  t.ok(Number.isNaN(cpuTimes(2 ** 22 + 12345).user), 'a pid that does not exist: NaN')
})
