// The one reading of a duration in authgate, plugin and gateway alike: a number is milliseconds (as Fastify and
// @fastify/rate-limit read numbers), and so is a string of digits (what a `${VAR}` or an AUTHGATE_* override gives);
// otherwise one or more `<amount><unit>` parts, largest unit first: `500ms`, `90s`, `15m`, `1h30m`, `7d`.

/** Milliseconds (a number or a string of digits), or a string like `'500ms'`, `'90s'`, `'15m'`, `'1h30m'`, `'7d'`. */
export type Duration = number | string

const UNITS: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 }
const ORDER = ['d', 'h', 'm', 's', 'ms']
const PART = /(\d+(?:\.\d+)?)(ms|d|h|m|s)/y
/** What every duration error says after the path: one message for the whole project. */
export const DURATION_EXPECTED = 'must be a duration: milliseconds (a number) or a string like 500ms, 90s, 15m, 1h30m, 7d'

/** Milliseconds of `value`, or undefined when it is not a duration. */
export function durationMs (value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined
  if (typeof value !== 'string') return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text)
  if (text === '') return undefined
  let total = 0
  let lastUnit = -1
  PART.lastIndex = 0
  while (PART.lastIndex < text.length) {
    const at = PART.lastIndex
    const match = PART.exec(text)
    if (match === null || match.index !== at) return undefined
    const unit = ORDER.indexOf(match[2] as string)
    // `30m1h` or `1m1m` is more likely a typo than a duration: units must come largest first, once each.
    if (unit <= lastUnit) return undefined
    lastUnit = unit
    total += Number(match[1]) * (UNITS[match[2] as string] as number)
  }
  return Number.isFinite(total) ? Math.round(total) : undefined
}

/** Milliseconds of `value`; throws an Error naming `path` when it is not a duration. */
export function parseDuration (value: unknown, path: string): number {
  const ms = durationMs(value)
  if (ms === undefined) throw new Error(`${path} ${DURATION_EXPECTED}`)
  return ms
}

/** `ms` for a message: `90 s`, `15 min`, `500 ms`. */
export function formatMs (ms: number): string {
  if (ms >= 86_400_000 && ms % 86_400_000 === 0) return `${ms / 86_400_000} d`
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000} s`
  return `${ms} ms`
}
