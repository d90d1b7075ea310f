// Load generation with autocannon's programmatic API, and the probe that runs before it: a benchmark that measures
// 401s, 404s or refused connections must fail loudly, not report a fast number.
import autocannon from 'autocannon'
import { request } from 'node:http'

/**
 * @typedef {{ method?: string, path: string, headers?: Record<string, string>, body?: string }} Target
 * @typedef {{ rps: number, p50: number, p99: number, errors: number, requests: number, statusCodes: Record<string, number> }} Sample
 */

/**
 * One request, to check the scenario answers 2xx before it is measured.
 * @param {number} port
 * @param {Target} target
 * @returns {Promise<{ status: number, body: string, headers: import('node:http').IncomingHttpHeaders }>}
 */
export function probe (port, target) {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port, method: target.method ?? 'GET', path: target.path, headers: target.headers, timeout: 10_000
    }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }))
    })
    req.on('timeout', () => req.destroy(new Error('probe timed out after 10 s')))
    req.on('error', reject)
    req.end(target.body)
  })
}

/** Throws, naming the scenario, unless the probe answered 2xx. */
export async function assertProbe (name, port, target) {
  const answer = await probe(port, target)
  if (answer.status < 200 || answer.status > 299) {
    throw new Error(`${name}: probe ${target.method ?? 'GET'} ${target.path} answered ${answer.status}: ${answer.body.slice(0, 300)}`)
  }
  return answer
}

/**
 * Runs autocannon for `seconds` against 127.0.0.1:port. Every non-2xx answer counts as an error, as do socket
 * errors and timeouts; rps counts 2xx answers only, so a failing server cannot look fast.
 * @param {number} port
 * @param {Target} target
 * @param {{ seconds: number, connections: number, pipelining?: number }} load
 * @returns {Promise<Sample>}
 */
export async function runAutocannon (port, target, load) {
  const result = await autocannon({
    // The path goes in the URL: autocannon's top-level `path` option is not applied to the default request.
    url: `http://127.0.0.1:${port}${target.path}`,
    method: /** @type {any} */ (target.method ?? 'GET'),
    headers: target.headers,
    body: target.body,
    connections: load.connections,
    pipelining: load.pipelining ?? 1,
    duration: load.seconds,
    timeout: 10
  })
  const ok = result['2xx']
  /** @type {Record<string, number>} */
  const statusCodes = {}
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = count
  return {
    rps: result.duration > 0 ? ok / result.duration : 0,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    requests: ok + result.non2xx,
    statusCodes
  }
}
