// Raw-socket tools for section B: request bytes built by hand (header spellings, duplicates and framings no HTTP
// library sends), an exchange that also tells whether the gateway closed the connection and how many answers it
// wrote, and a slowloris client that trickles a request head byte by byte. Loopback only, every wait bounded.
import { connect } from 'node:net'
import type { Outcome } from './case.js'
import type { AttackTarget, SeenRequest } from './target.js'

/** `METHOD target HTTP/1.1`, the header lines as given (no normalisation), `Connection: close`, then the body. */
export function rawHttp (method: string, target: string, lines: readonly string[] = [], body = ''): string {
  const head = [`${method} ${target} HTTP/1.1`, 'Host: gateway.test', ...lines, 'Connection: close']
  if (body !== '' && !lines.some((line) => /^content-length:/i.test(line))) head.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}`)
  return `${head.join('\r\n')}\r\n\r\n${body}`
}

export function bearer (token: string): string {
  return `Authorization: Bearer ${token}`
}

/** What an exchange showed beyond the first answer; kept beside the Outcome so a case's `check` can read it. */
export interface WireEvidence {
  /** The gateway ended the connection before the wait was over (raw exchanges only). */
  closed?: boolean
  /** Status lines in everything the gateway wrote (pipelined answers; raw exchanges only). */
  answers?: number
  /** Upstream requests that arrived during this exchange (or during a whole multi-variant attack). */
  arrived: SeenRequest[]
  /** Milliseconds from the first byte sent until the gateway closed (slowloris), else undefined. */
  closedAfterMs?: number
  /** Free-form facts a case wants to assert on. */
  notes?: string[]
}

const evidence = new WeakMap<Outcome, WireEvidence>()

export function attach (outcome: Outcome, facts: WireEvidence): Outcome {
  evidence.set(outcome, facts)
  return outcome
}

export function evidenceOf (outcome: Outcome): WireEvidence {
  const facts = evidence.get(outcome)
  if (facts === undefined) throw new Error('the attack recorded no wire evidence')
  return facts
}

function parse (text: string): Outcome {
  const split = text.indexOf('\r\n\r\n')
  const head = split === -1 ? text : text.slice(0, split)
  const body = split === -1 ? '' : text.slice(split + 4)
  const headers: Record<string, string | string[] | undefined> = {}
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).toLowerCase()
    const value = line.slice(colon + 1).trim()
    const previous = headers[name]
    headers[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value]
  }
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0)
  let code: string | undefined
  const json = /\{.*\}/s.exec(body)?.[0]
  if (json !== undefined) {
    try {
      const parsed = JSON.parse(json) as { code?: unknown }
      if (typeof parsed.code === 'string') code = parsed.code
    } catch { /* a chunked body with several chunks, or not JSON: no code */ }
  }
  return { status, code, headers, body }
}

/**
 * Sends `bytes` over one connection and reads until the gateway closes it or `waitMs` passes. The Outcome is the
 * first answer; the evidence says whether the connection was closed and how many answers came back.
 */
export function exchange (target: AttackTarget, bytes: string, waitMs = 2000): Promise<Outcome> {
  const before = target.upstream.seen.length
  return new Promise((resolve) => {
    const socket = connect(target.port, '127.0.0.1')
    const chunks: Buffer[] = []
    let closed = false
    const finish = (): void => {
      clearTimeout(timer)
      socket.destroy()
      const text = Buffer.concat(chunks).toString('latin1')
      const answers = text.match(/(?:^|\r\n)HTTP\/1\.[01] \d{3}/g)?.length ?? 0
      resolve(attach(parse(text), { closed, answers, arrived: target.upstream.seen.slice(before) }))
    }
    const timer = setTimeout(finish, waitMs)
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('end', () => { closed = true; finish() })
    socket.on('close', () => { closed = true; finish() })
    socket.on('error', () => { closed = true; finish() })
    socket.write(bytes, 'latin1')
  })
}

/**
 * Slowloris: writes `head` one byte every `intervalMs` and never finishes it. Resolves when the gateway closes
 * the connection (closedAfterMs set) or after `maxMs` (closedAfterMs undefined: the gateway kept waiting).
 */
export function trickle (target: AttackTarget, head: string, intervalMs: number, maxMs: number): Promise<Outcome> {
  const before = target.upstream.seen.length
  return new Promise((resolve) => {
    const started = Date.now()
    const socket = connect(target.port, '127.0.0.1')
    const chunks: Buffer[] = []
    let sent = 0
    let closedAfterMs: number | undefined
    const finish = (): void => {
      clearInterval(drip)
      clearTimeout(limit)
      socket.destroy()
      const outcome = parse(Buffer.concat(chunks).toString('latin1'))
      resolve(attach(outcome, { closed: closedAfterMs !== undefined, closedAfterMs, answers: outcome.status === 0 ? 0 : 1, arrived: target.upstream.seen.slice(before) }))
    }
    const closedNow = (): void => {
      closedAfterMs ??= Date.now() - started
      finish()
    }
    // The head never ends: stop one byte before the blank line so the request is never complete.
    const bytes = head.replace(/\r\n\r\n$/, '\r\n')
    const drip = setInterval(() => {
      if (sent < bytes.length && !socket.destroyed) socket.write(bytes.slice(sent, ++sent), 'latin1')
      else if (!socket.destroyed) socket.write('X', 'latin1')
    }, intervalMs)
    const limit = setTimeout(finish, maxMs)
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('end', closedNow)
    socket.on('close', closedNow)
    socket.on('error', closedNow)
  })
}

/**
 * Sends `head`, then body bytes as fast as the gateway takes them (up to `total`), until it closes the connection
 * or `waitMs` passes. The Outcome is the first answer; the evidence notes how many body bytes left the client.
 */
export function floodBody (target: AttackTarget, head: string, total: number, waitMs = 5000): Promise<Outcome> {
  const before = target.upstream.seen.length
  return new Promise((resolve) => {
    const socket = connect(target.port, '127.0.0.1')
    const chunks: Buffer[] = []
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    const headBytes = Buffer.byteLength(head, 'latin1')
    let closed = false
    let queued = 0
    const finish = (): void => {
      clearTimeout(timer)
      const sent = Math.max(0, socket.bytesWritten - headBytes)
      socket.destroy()
      const text = Buffer.concat(chunks).toString('latin1')
      resolve(attach(parse(text), { closed, answers: text.match(/(?:^|\r\n)HTTP\/1\.[01] \d{3}/g)?.length ?? 0, arrived: target.upstream.seen.slice(before), notes: [`${sent}`] }))
    }
    const pump = (): void => {
      while (!closed && queued < total) {
        queued += chunk.length
        if (!socket.write(chunk)) {
          socket.once('drain', pump)
          return
        }
      }
    }
    const timer = setTimeout(finish, waitMs)
    socket.on('data', (data) => chunks.push(data))
    socket.on('close', () => { closed = true; finish() })
    socket.on('error', () => { closed = true; finish() })
    socket.write(head, 'latin1')
    pump()
  })
}

/**
 * A slow upload: writes `head` (which announces a body), then `bytes` body bytes every `intervalMs` and never
 * finishes. Resolves when the gateway closes the connection (closedAfterMs set) or after `maxMs`.
 */
export function trickleBody (target: AttackTarget, head: string, bytes: number, intervalMs: number, maxMs: number): Promise<Outcome> {
  const before = target.upstream.seen.length
  return new Promise((resolve) => {
    const started = Date.now()
    const socket = connect(target.port, '127.0.0.1')
    const chunks: Buffer[] = []
    let closedAfterMs: number | undefined
    const finish = (): void => {
      clearInterval(drip)
      clearTimeout(limit)
      socket.destroy()
      const outcome = parse(Buffer.concat(chunks).toString('latin1'))
      resolve(attach(outcome, { closed: closedAfterMs !== undefined, closedAfterMs, answers: outcome.status === 0 ? 0 : 1, arrived: target.upstream.seen.slice(before) }))
    }
    const closedNow = (): void => {
      closedAfterMs ??= Date.now() - started
      finish()
    }
    const drip = setInterval(() => { if (!socket.destroyed) socket.write('x'.repeat(bytes), 'latin1') }, intervalMs)
    const limit = setTimeout(finish, maxMs)
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('close', closedNow)
    socket.on('error', closedNow)
    socket.write(head, 'latin1')
  })
}
