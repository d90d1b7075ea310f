// Typed reading of untyped configuration (YAML/JSON): each accessor names the full key path and the file in its
// error, and every object refuses keys it does not know (a typo must not silently fall back to a default).
import { parseDuration } from '@authgate/fastify'
import { ConfigError } from './types.js'

export type Plain = Record<string, unknown>

export class Reader {
  constructor (readonly where: string) {}

  fail (path: string, message: string): never {
    throw new ConfigError(`${this.where}: ${path} ${message}`)
  }

  /** The object at `path` (an empty one when absent), after refusing keys outside `allowed`. */
  object (value: unknown, path: string, allowed: readonly string[]): Plain {
    if (value === undefined || value === null) return {}
    if (typeof value !== 'object' || Array.isArray(value)) this.fail(path, 'must be an object')
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        const name = path === '' ? key : `${path}.${key}`
        this.fail(name, `is not a known key (allowed here: ${allowed.join(', ')})`)
      }
    }
    return value as Plain
  }

  string (value: unknown, path: string, fallback?: string): string {
    if (value === undefined || value === null) {
      if (fallback === undefined) this.fail(path, 'is required')
      return fallback
    }
    if (typeof value !== 'string' || value.length === 0) this.fail(path, 'must be a non-empty string')
    return value
  }

  optionalString (value: unknown, path: string): string | undefined {
    return value === undefined || value === null ? undefined : this.string(value, path)
  }

  boolean (value: unknown, path: string, fallback: boolean): boolean {
    if (value === undefined || value === null) return fallback
    // ${VAR} substitutions arrive as strings.
    if (value === 'true' || value === 'false') return value === 'true'
    if (typeof value !== 'boolean') this.fail(path, 'must be true or false')
    return value
  }

  integer (value: unknown, path: string, fallback: number, min: number, max: number): number {
    if (value === undefined || value === null) return fallback
    // ${VAR} substitutions arrive as strings: accept a string of digits for numbers.
    const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
    if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < min || number > max) {
      this.fail(path, `must be a whole number from ${min} to ${max}`)
    }
    return number
  }

  /** Milliseconds of `15m`, `30d`, `10s`, `500ms` or a number of seconds. */
  duration (value: unknown, path: string, fallback: string, minMs: number, maxMs: number): number {
    let ms: number
    try {
      ms = parseDuration(value ?? fallback, path)
    } catch (error) {
      this.fail(path, (error as Error).message.replace(`${path} `, ''))
    }
    if (ms < minMs || ms > maxMs) this.fail(path, `must be between ${minMs / 1000} s and ${maxMs / 1000} s`)
    return ms
  }

  oneOf<T extends string> (value: unknown, path: string, choices: readonly T[], fallback: T): T {
    if (value === undefined || value === null) return fallback
    if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
      this.fail(path, `must be one of ${choices.join(', ')}`)
    }
    return value as T
  }

  stringList (value: unknown, path: string): string[] {
    if (value === undefined || value === null) return []
    if (!Array.isArray(value)) this.fail(path, 'must be a list')
    return value.map((item: unknown, index) => this.string(item, `${path}[${index}]`))
  }

  /** An http(s) URL without credentials, query or fragment. */
  httpUrl (value: unknown, path: string): string {
    const text = this.string(value, path)
    let url: URL
    try {
      url = new URL(text)
    } catch {
      this.fail(path, `must be an http(s) URL (got ${JSON.stringify(text)})`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') this.fail(path, 'must be an http:// or https:// URL')
    if (url.username !== '' || url.password !== '') this.fail(path, 'must not hold credentials')
    if (url.search !== '' || url.hash !== '') this.fail(path, 'must not hold a query or fragment')
    return text.replace(/\/+$/, '')
  }
}
