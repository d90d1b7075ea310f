// `login-storm`: what a burst of logins does to the Bearer traffic of the same gateway. Bearer requests are sent at
// a fixed rate (open loop: one every 1000/rate ms whether or not earlier ones answered, so a stalled gateway shows
// as latency, not as fewer requests), first alone ("idle"), then while `concurrency` clients log in back to back
// ("storm"). The p99 of the Bearer latencies in both phases and their ratio are the result (issue #7: the storm may
// at most double it). Login hashes argon2id (≈ 8 ms of CPU each): if that ran on the event loop, every Bearer
// request queued behind it would wait.
import { performance } from 'node:perf_hooks'
import { createAgent, send } from './http-client.mjs'
import { percentile } from './stats.mjs'

const JSON_HEADERS = { 'content-type': 'application/json' }

/**
 * Bearer GETs at `rate` per second for `seconds`; resolves with every latency (ms) and the failures.
 * @returns {Promise<{ latencies: number[], ok: number, errors: number, codes: Record<string, number> }>}
 */
async function bearerAtRate ({ port, path, token, rate, seconds }) {
  const agent = createAgent(64)
  const tally = { latencies: /** @type {number[]} */ ([]), ok: 0, errors: 0, codes: /** @type {Record<string, number>} */ ({}) }
  const interval = 1000 / rate
  const total = Math.floor(rate * seconds)
  const started = performance.now()
  const pending = []
  for (let index = 0; index < total; index++) {
    const wait = started + index * interval - performance.now()
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
    pending.push(send({ port, agent, method: 'GET', path, headers: { authorization: `Bearer ${token}` } }).then((answer) => {
      tally.latencies.push(answer.ms)
      tally.codes[answer.status] = (tally.codes[answer.status] ?? 0) + 1
      if (answer.status >= 200 && answer.status < 300) tally.ok++
      else tally.errors++
    }, (error) => {
      tally.errors++
      const key = String(error instanceof Error ? error.message : error)
      tally.codes[key] = (tally.codes[key] ?? 0) + 1
    }))
  }
  await Promise.all(pending)
  agent.destroy()
  return tally
}

/** `concurrency` clients logging in back to back until `stop()`; counts answers. */
function loginLoops ({ port, prefix, user, concurrency }) {
  const agent = createAgent(concurrency)
  const tally = { ok: 0, errors: 0, codes: /** @type {Record<string, number>} */ ({}) }
  let stopped = false
  const body = JSON.stringify(user)
  const loops = Array.from({ length: concurrency }, async () => {
    while (!stopped) {
      try {
        const answer = await send({ port, agent, method: 'POST', path: `${prefix}/login`, headers: JSON_HEADERS, body })
        tally.codes[answer.status] = (tally.codes[answer.status] ?? 0) + 1
        if (answer.status === 200) tally.ok++
        else tally.errors++
      } catch (error) {
        tally.errors++
        const key = String(error instanceof Error ? error.message : error)
        tally.codes[key] = (tally.codes[key] ?? 0) + 1
      }
    }
  })
  return {
    tally,
    stop: async () => { stopped = true; await Promise.all(loops); agent.destroy() }
  }
}

/**
 * One measurement: `seconds` of Bearer traffic alone, then `seconds` of the same during the storm.
 * `rps` is logins answered 200 per second during the storm; `p50`/`p99` are the Bearer latencies during the storm.
 */
export async function runLoginStorm ({ port, token, user, prefix, path, rate, concurrency, seconds }) {
  // The scenario before this one may leave work behind on the server core (queued logins of `login` hash on after
  // autocannon stops): a pause, so "idle" is idle.
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const idle = await bearerAtRate({ port, path, token, rate, seconds })
  const storm = loginLoops({ port, prefix, user, concurrency })
  // Let the storm reach the gateway (first logins queue on the hash) before the Bearer traffic is measured.
  await new Promise((resolve) => setTimeout(resolve, 200))
  const started = performance.now()
  const during = await bearerAtRate({ port, path, token, rate, seconds })
  const stormSeconds = (performance.now() - started) / 1000
  const loginsBefore = storm.tally.ok
  await storm.stop()
  const idleSorted = idle.latencies.sort((a, b) => a - b)
  const stormSorted = during.latencies.sort((a, b) => a - b)
  const idleP99 = percentile(idleSorted, 99)
  const stormP99 = percentile(stormSorted, 99)
  const codes = {}
  for (const [prefixed, source] of [['bearer idle', idle.codes], ['bearer storm', during.codes], ['login', storm.tally.codes]]) {
    for (const [code, n] of Object.entries(source)) codes[`${prefixed} ${code}`] = n
  }
  return {
    rps: loginsBefore / stormSeconds,
    p50: percentile(stormSorted, 50),
    p99: stormP99,
    errors: idle.errors + during.errors + storm.tally.errors,
    requests: idle.ok + idle.errors + during.ok + during.errors + storm.tally.ok + storm.tally.errors,
    idleP99,
    stormP99,
    p99Ratio: stormP99 / idleP99,
    // The Bearer requests go on to the upstream, the logins do not (requests answered per process, --cpu-prof).
    requestsBy: { upstream: idle.ok + idle.errors + during.ok + during.errors },
    statusCodes: codes
  }
}
