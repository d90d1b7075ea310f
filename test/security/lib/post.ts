// Raw POSTs to a target and the timing helpers the attack cases share (login D.49, forgot D.75): one copy, so a fix
// to how answers are read or timed reaches every case.
import { request as httpRequest } from 'node:http'
import type { Outcome } from './case.js'
import type { AttackTarget } from './target.js'

export interface PostOptions {
  /** Loopback source address (default 127.0.0.1): per-IP limits key on the socket. */
  from?: string
  headers?: Record<string, string>
}

export function codeOf (body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body)
    if (parsed !== null && typeof parsed === 'object' && 'code' in parsed && typeof parsed.code === 'string') return parsed.code
  } catch { /* not JSON */ }
  return undefined
}

/** POSTs `body` (objects as JSON, strings as they are) to the target, from a chosen loopback address. */
export function post (target: AttackTarget, path: string, body: unknown, options: PostOptions = {}): Promise<Outcome> {
  const payload = typeof body === 'string' ? body : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const request = httpRequest({
      host: '127.0.0.1',
      port: target.port,
      localAddress: options.from ?? '127.0.0.1',
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...options.headers }
    }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({ status: response.statusCode ?? 0, code: codeOf(text), headers: { ...response.headers }, body: text })
      })
      response.on('error', reject)
    })
    request.setTimeout(30_000, () => request.destroy(new Error('no answer within 30 s')))
    request.on('error', reject)
    request.end(payload)
  })
}

export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] ?? 0 : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}

/** The outcome of `attempt` and how long it took (ms). */
export async function timed (attempt: () => Promise<Outcome>): Promise<[Outcome, number]> {
  const started = performance.now()
  const outcome = await attempt()
  return [outcome, performance.now() - started]
}
