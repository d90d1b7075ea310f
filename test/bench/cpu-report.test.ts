// The bench's CPU-per-request reporting (issue #18): the /proc meter and the `cpu:A/B` ratios, including a part of a
// scenario measured as several processes (nginx-forward-auth's `authgate`). No servers; bounded loops only.
import t from 'tap'
import { spawn } from 'node:child_process'
import { startCpuMeter, cpuTimes, machineBusySeconds, startOtherLoadMeter } from './lib/cpu.mjs'
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
  // Read one after the other: a clock tick (10 ms, 1 000 µs over 10 requests) may fall between the two reads.
  t.ok(Math.abs((parts.a ?? 0) - (parts.b ?? 0)) <= 2000, `the same process twice reads the same, within two ticks (${parts.a}, ${parts.b})`)
  t.equal(total, (parts.a ?? 0) + (parts.b ?? 0))
  t.ok(system >= 0 && system <= total)
  t.ok(Number.isNaN(cpuTimes(undefined).user), 'no pid: NaN, never a number that looks measured')
  t.ok(Number.isNaN(cpuTimes(2 ** 22 + 12345).user), 'a pid that does not exist: NaN')
})

t.test('a child\'s CPU counts in its parent\'s figure (/proc/PID/task/*/children: nginx\'s worker, cluster workers)', { skip: process.platform !== 'linux' && 'needs /proc' }, async (t) => {
  const meter = startCpuMeter({ parent: process.pid })
  // The child burns ≥ 300 ms of CPU (bounded by 20 s of wall time), says so, and stays alive until killed: a child
  // that has exited is no longer listed, its time is then only in the parent's cutime.
  const child = spawn(process.execPath, ['-e', `
    const deadline = Date.now() + 20000
    let spin = 0
    while (Date.now() < deadline && process.cpuUsage().user < 300000) spin += Math.sqrt(spin + 1)
    process.stdout.write('busy done ' + spin + '\\n')
    setInterval(() => {}, 1000)
  `], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { child.kill('SIGKILL') })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error('the busy child did not finish in 25 s')) }, 25_000)
    child.stdout.on('data', (chunk: Buffer) => { if (chunk.toString().includes('busy done')) { clearTimeout(timer); resolve() } })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the busy child exited early (${code})`)) })
  })
  const childSeconds = cpuTimes(child.pid)
  const { total } = meter.stop(1)
  const childUs = (childSeconds.user + childSeconds.system) * 1e6
  t.ok(childUs >= 250_000, `the child used ≥ 250 ms (${childUs} µs)`)
  t.ok(total >= childUs, `the parent's figure (${total} µs) includes the child's (${childUs} µs)`)
})

t.test('work outside the bench\'s process tree shows as other load', { skip: process.platform !== 'linux' && 'needs /proc' }, async (t) => {
  t.ok(Number.isFinite(machineBusySeconds()) && machineBusySeconds() > 0)
  const meter = startOtherLoadMeter()
  const started = Date.now()
  // A process outside this tree: a child starts a detached grandchild and exits, so the grandchild is reparented
  // (to init) and is nobody's descendant here. It burns ≥ 300 ms of CPU (bounded by 20 s of wall time) and exits.
  const launcher = spawn(process.execPath, ['-e', `
    const { spawn } = require('node:child_process')
    const burner = spawn(process.execPath, ['-e', 'const d = Date.now() + 20000; let s = 0; while (Date.now() < d && process.cpuUsage().user < 300000) s += Math.sqrt(s + 1)'], { detached: true, stdio: 'ignore' })
    burner.unref()
    process.stdout.write(burner.pid + '\\n')
  `], { stdio: ['ignore', 'pipe', 'inherit'] })
  const burnerPid = await new Promise<number>((resolve, reject) => {
    let text = ''
    const timer = setTimeout(() => { reject(new Error('no burner pid within 10 s')) }, 10_000)
    launcher.stdout.on('data', (chunk: Buffer) => { text += chunk.toString(); if (text.includes('\n')) { clearTimeout(timer); resolve(Number(text.trim())) } })
  })
  t.teardown(() => { try { process.kill(burnerPid, 'SIGKILL') } catch { /* done */ } })
  // Wait (bounded) for the burner to finish.
  const deadline = Date.now() + 25_000
  for (;;) {
    try { process.kill(burnerPid, 0) } catch { break }
    if (Date.now() > deadline) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const other = meter.stop()
  const seconds = (Date.now() - started) / 1000
  t.ok(Number.isFinite(other) && other >= 0)
  // The burner's ≥ 300 ms (read in 10 ms ticks: allow 280) over however long the wait took, as % of a core, at
  // least; more when the machine is busy with anything else.
  const floor = (0.28 / seconds) * 100
  t.ok(other >= floor, `the burner's CPU counts as other load: ${other.toFixed(1)} % of a core ≥ ${floor.toFixed(1)} % over ${seconds.toFixed(1)} s`)
})
