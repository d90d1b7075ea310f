// Measurement schedule: probe and warm up every scenario, then measured rounds in which every scenario runs once,
// in an order rotated each round, so slow drift of the machine (other load, thermal) falls on all scenarios alike
// instead of on whichever ran last. Each probe, warm-up and measured run happens after `plan.isolate(scenario)`
// (run.mjs: every bench process the scenario does not need frozen), whose `resume` runs afterwards whatever happens.
import { performance } from 'node:perf_hooks'
import { aggregate } from './stats.mjs'
import { startCpuMeter, startOtherLoadMeter } from './cpu.mjs'

/** Above this share of failed requests, an HTTP scenario's number is not a throughput but a failure. */
const MAX_ERROR_SHARE = 0.01
/** Refresh rotations must never fail: one error there is a bug, not noise. */
const ZERO_ERROR_SCENARIOS = new Set(['refresh', 'refresh-memory', 'refresh-storm'])

function message (error) {
  return String(error instanceof Error ? error.message : error).split('\n')[0] ?? 'failed'
}

/**
 * Scenarios that verify tokens of an external issuer against its JWKS: the keys are fetched once and cached, so a
 * run that fetched them again means the cache failed, and the figure measured the fetches, not the verification.
 */
const MAX_JWKS_FETCHES_PER_RUN = { 'gateway-auth-external': 1 }

/** Why a run does not count, or undefined when it is acceptable. */
export function verdict (name, sample) {
  if (sample.requests === 0) return 'no request completed'
  // `refresh@mongo-java-server` is `refresh` on another database (lib/database-matrix.mjs): the same rule.
  const base = name.split('@')[0] ?? name
  const maxFetches = Object.hasOwn(MAX_JWKS_FETCHES_PER_RUN, base) ? MAX_JWKS_FETCHES_PER_RUN[base] : undefined
  if (maxFetches !== undefined && sample.jwksFetches !== undefined && !(sample.jwksFetches <= maxFetches)) {
    return `the JWKS was fetched ${sample.jwksFetches} times in one run (at most ${maxFetches}): the key cache does not hold`
  }
  if (ZERO_ERROR_SCENARIOS.has(base) && (sample.errors > 0 || sample.falseReuse > 0 || sample.forks > 0)) {
    return `${sample.errors} failed refreshes (${sample.falseReuse ?? 0} false reuse detections, ${sample.forks ?? 0} forks): ${JSON.stringify(sample.statusCodes)}`
  }
  if (sample.errors / sample.requests > MAX_ERROR_SHARE) {
    return `${sample.errors} of ${sample.requests} requests failed: ${JSON.stringify(sample.statusCodes)}`
  }
  return undefined
}

/**
 * A warm-up's verdict. One that completed nothing and failed nothing (a cold server on a loaded machine, within
 * --quick's 1 s) is not a failure: the probe got its 2xx, and a measured run that completes nothing still fails.
 * One that completed nothing but saw errors is broken.
 */
export function warmupVerdict (name, sample) {
  if (sample.requests === 0 && sample.errors === 0) return undefined
  return verdict(name, sample)
}

/**
 * A run's CPU figures: the sum over the scenario's processes, its kernel share, and each process apart when there
 * are several (nginx-forward-auth: nginx and authgate).
 * @param {{ total: number, system: number, parts: Record<string, number> }} measured
 */
function cpuFields ({ total, system, parts }) {
  return { cpuUsPerRequest: total, cpuSystemUsPerRequest: system, ...(Object.keys(parts).length > 1 ? { cpuParts: parts } : {}) }
}

/**
 * CPU µs used by each process during `elapsedMs`, as % of one core: what the processes a scenario needs but does not
 * meter (its upstream, its database) used beside it, on the same core.
 * @param {Record<string, number>} usedUs
 */
function shareOfCore (usedUs, elapsedMs) {
  return Object.fromEntries(Object.entries(usedUs).map(([label, us]) => [label, (us / (elapsedMs * 1000)) * 100]))
}

/**
 * @typedef {{ resume: () => void, describe?: string, alongside?: Record<string, number> }} Isolation  what isolate() did
 *   (`describe`: for the log), and its undoing; `alongside`: processes left running that the scenario does not meter
 *   (its upstream, its database), whose CPU during each run is reported as `alongsideCpu` (% of a core)
 */

/**
 * Runs `work` inside `isolate(scenario)`, after `settleMs` (processes resumed from an earlier freeze run their due
 * timers then: keep-alive sockets closing, driver heartbeats, a revocation poll; none of that is the scenario's).
 * Resumes afterwards whatever happens.
 * @template T
 * @param {{ isolate?: (scenario: any) => Isolation | Promise<Isolation>, settleMs?: number }} plan
 * @param {any} scenario
 * @param {(isolation: Isolation | undefined) => Promise<T>} work
 * @returns {Promise<T>}
 */
export async function isolated ({ isolate, settleMs = 0 }, scenario, work) {
  const isolation = await isolate?.(scenario)
  try {
    if (isolation && settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs))
    return await work(isolation)
  } finally {
    isolation?.resume()
  }
}

/**
 * @param {Array<{ name: string, skipped?: string, cpu?: Record<string, number | undefined>, probe?: () => Promise<unknown>,
 *   run?: (seconds: number) => Promise<any> }>} scenarios  `cpu`: processes whose CPU time per request is measured
 * @param {{ warmupSeconds: number, runSeconds: number, rounds: number, log: (line: string) => void,
 *   isolate?: (scenario: any) => Isolation | Promise<Isolation>, settleMs?: number, onRun?: (scenario: any, sample: any) => void }} plan
 *   onRun: given every run's sample, warm-up included (requests answered per process, for --cpu-prof)
 * @returns {Promise<Record<string, Record<string, any>>>} per scenario: the aggregate, or `{ skipped }` / `{ failed }`
 */
export async function measureAll (scenarios, plan) {
  const { warmupSeconds, runSeconds, rounds, log } = plan
  /** @type {Record<string, Record<string, any>>} */
  const outcome = {}
  /** @type {Map<string, any[]>} */
  const samples = new Map()
  const active = []
  for (const scenario of scenarios) {
    if (scenario.skipped !== undefined || !scenario.probe || !scenario.run) {
      outcome[scenario.name] = { skipped: scenario.skipped ?? 'not defined' }
      log(`- ${scenario.name}: skipped (${outcome[scenario.name]?.skipped})`)
      continue
    }
    try {
      const { warmup, isolation } = await isolated(plan, scenario, async (isolation) => {
        await scenario.probe?.()
        const warmup = await /** @type {NonNullable<typeof scenario.run>} */ (scenario.run)(warmupSeconds)
        plan.onRun?.(scenario, warmup)
        return { warmup, isolation }
      })
      // A warm-up that fails says the scenario is broken before any number is taken.
      const bad = warmupVerdict(scenario.name, warmup)
      if (bad) throw new Error(`warm-up: ${bad}`)
      active.push(scenario)
      samples.set(scenario.name, [])
      log(`- ${scenario.name}: probe ok, warmed up ${warmupSeconds} s (${Math.round(warmup.rps)} req/s)${isolation?.describe ? `; ${isolation.describe}` : ''}`)
    } catch (error) {
      outcome[scenario.name] = { failed: message(error) }
      log(`! ${scenario.name}: ${outcome[scenario.name]?.failed}`)
    }
  }

  for (let round = 0; round < rounds; round++) {
    const order = active.slice(round % Math.max(1, active.length)).concat(active.slice(0, round % Math.max(1, active.length)))
    for (const scenario of order) {
      if (outcome[scenario.name]?.failed) continue
      try {
        const sample = await isolated(plan, scenario, async (isolation) => {
          const meter = scenario.cpu ? startCpuMeter(scenario.cpu) : undefined
          const alongside = isolation?.alongside && Object.keys(isolation.alongside).length ? startCpuMeter(isolation.alongside) : undefined
          const others = startOtherLoadMeter()
          const started = performance.now()
          const sample = await /** @type {NonNullable<typeof scenario.run>} */ (scenario.run)(runSeconds)
          if (meter) Object.assign(sample, cpuFields(meter.stop(sample.requests)))
          if (alongside) sample.alongsideCpu = shareOfCore(alongside.stop(1).parts, performance.now() - started)
          sample.otherLoad = others.stop()
          return sample
        })
        plan.onRun?.(scenario, sample)
        samples.get(scenario.name)?.push(sample)
        const cpu = sample.cpuUsPerRequest === undefined ? '' : `, ${Math.round(sample.cpuUsPerRequest)} µs CPU/req`
        const other = Number.isFinite(sample.otherLoad) ? `; other work on the machine: ${Math.round(sample.otherLoad)} % of a core` : ''
        log(`  round ${round + 1}/${rounds} ${scenario.name}: ${Math.round(sample.rps)} req/s, p99 ${Number(sample.p99).toFixed(1)} ms, ${sample.errors} errors${cpu}${other}`)
        const bad = verdict(scenario.name, sample)
        if (bad) { outcome[scenario.name] = { failed: bad }; log(`! ${scenario.name}: ${bad}`) }
      } catch (error) {
        outcome[scenario.name] = { failed: message(error) }
        log(`! ${scenario.name}: ${outcome[scenario.name]?.failed}`)
      }
    }
  }

  for (const scenario of active) {
    const runs = samples.get(scenario.name) ?? []
    // A failed scenario keeps its numbers next to the reason: the lead sees both what broke and how it looked.
    outcome[scenario.name] = runs.length ? { ...aggregate(runs), ...outcome[scenario.name] } : (outcome[scenario.name] ?? { failed: 'no runs' })
  }
  // In the order the scenarios are defined, whatever happened to them.
  return Object.fromEntries(scenarios.map((scenario) => [scenario.name, outcome[scenario.name] ?? { failed: 'not measured' }]))
}
