// A minimal keep-alive HTTP client for the scenarios autocannon cannot drive: each refresh needs the cookie the
// previous answer set, and a storm sends one cookie from several "tabs" at once.
import { Agent, request } from 'node:http'

/** @param {number} sockets */
export function createAgent (sockets) {
  return new Agent({ keepAlive: true, maxSockets: sockets })
}

/**
 * @param {{ port: number, agent: Agent, method: string, path: string, headers?: Record<string, string>, body?: string }} options
 * @returns {Promise<{ status: number, body: string, setCookies: string[], ms: number }>}
 */
export function send ({ port, agent, method, path, headers, body }) {
  const started = process.hrtime.bigint()
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, agent, method, path, headers, timeout: 10_000 }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => { text += chunk })
      res.on('end', () => {
        const setCookie = res.headers['set-cookie'] ?? []
        resolve({ status: res.statusCode ?? 0, body: text, setCookies: setCookie, ms: Number(process.hrtime.bigint() - started) / 1e6 })
      })
    })
    req.on('timeout', () => req.destroy(new Error('request timed out after 10 s')))
    req.on('error', reject)
    req.end(body)
  })
}

/** The value of cookie `name` in a list of Set-Cookie headers, or undefined. */
export function cookieValue (setCookies, name) {
  for (const header of setCookies) {
    const [pair] = header.split(';')
    const at = pair?.indexOf('=') ?? -1
    if (at > 0 && pair?.slice(0, at).trim() === name) return pair.slice(at + 1).trim()
  }
  return undefined
}

/** The `code` of a JSON error body, or ''. */
export function errorCode (body) {
  try { return String(JSON.parse(body).code ?? '') } catch { return '' }
}
