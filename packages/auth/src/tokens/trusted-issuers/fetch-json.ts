// One bounded GET of a JSON document (a JWKS, a discovery document), for the background fetches of trusted issuers.
// The far end is another organisation's server: it may answer slowly, endlessly, hugely or with garbage, and none of
// that may hold memory or a socket for long. Never called on a request's path.

/** Larger than any real JWKS or discovery document (a few KiB); a bigger answer is refused unread past this. */
export const MAX_DOCUMENT_BYTES = 256 * 1024
/** The whole exchange, connection to last byte. */
export const FETCH_TIMEOUT_MS = 5000

export interface FetchedJson {
  body: Record<string, unknown>
  /** `Cache-Control: max-age` in seconds, when the answer gave one (and no no-store/no-cache). */
  maxAgeSeconds: number | undefined
}

export interface FetchLimits {
  maxBytes?: number
  timeoutMs?: number
}

export async function fetchJson (url: string, limits: FetchLimits = {}): Promise<FetchedJson> {
  const maxBytes = limits.maxBytes ?? MAX_DOCUMENT_BYTES
  const signal = AbortSignal.timeout(limits.timeoutMs ?? FETCH_TIMEOUT_MS)
  // Redirects are not followed: the configured URL is what the operator trusted.
  const response = await fetch(url, { signal, redirect: 'error', headers: { accept: 'application/json' } })
  if (response.status !== 200) {
    await response.body?.cancel()
    throw new Error(`${url} answered ${response.status}`)
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  if (declared > maxBytes) {
    await response.body?.cancel()
    throw new Error(`${url} answered more than ${maxBytes} bytes`)
  }
  const text = await readBounded(response, maxBytes, url)
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (error) {
    throw new Error(`${url} did not answer JSON`, { cause: error })
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error(`${url} did not answer a JSON object`)
  return { body: body as Record<string, unknown>, maxAgeSeconds: maxAgeOf(response.headers.get('cache-control')) }
}

async function readBounded (response: Response, maxBytes: number, url: string): Promise<string> {
  if (response.body === null) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  // Leaving the loop early (throw) cancels the stream: the rest of an oversized answer is never read.
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength
    if (size > maxBytes) throw new Error(`${url} answered more than ${maxBytes} bytes`)
    chunks.push(chunk)
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks))
}

/** The max-age of a Cache-Control value; undefined when absent or when the answer must not be reused. */
export function maxAgeOf (header: string | null): number | undefined {
  if (header === null) return undefined
  let maxAge: number | undefined
  for (const directive of header.toLowerCase().split(',')) {
    const [name = '', value] = directive.trim().split('=', 2)
    if (name === 'no-store' || name === 'no-cache') return 0
    if (name === 'max-age' && value !== undefined && /^\d{1,9}$/.test(value.trim())) maxAge = Number(value.trim())
  }
  return maxAge
}
