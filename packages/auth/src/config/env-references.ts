// `${VAR}` and `${VAR:-default}` in configuration values: read from the environment given (process.env by the CLI),
// so secrets and per-machine values stay out of the file. A missing variable without a default is a problem naming
// it: an empty string where a database URL was meant would fail far from its cause.

/** The grammar, once: a variable name, and a default after `:-` (any text but `}`, which ends the reference). */
const NAME = '[A-Za-z_][A-Za-z0-9_]*'
const DEFAULT = ':-[^}]*'
/** Any `${…}`, well formed or not: a malformed one is reported, never left in place. */
const REFERENCE = /\$\{([^}]*)\}/g
/** A well-formed `${NAME}` reference (cli/literal-secrets.ts: a `${NAME:-default}` default is written in the file). */
export const ENV_REFERENCE = new RegExp(`\\$\\{(${NAME})\\}`, 'g')
const INNER = new RegExp(`^(${NAME})(?::-(.*))?$`, 's')

export interface Expanded {
  value: unknown
  /** One `path: reason` line per reference that could not be expanded. */
  problems: string[]
  /** Where those references were: the schema's complaints about the placeholder left there would only repeat them. */
  paths: string[]
  /** Where text was substituted (keys and list indexes): only there may text become the number or boolean the schema asks for. */
  substituted: Array<ReadonlyArray<string | number>>
}

/** A copy of `value` with every `${VAR}` in its strings replaced. Keys are never substituted. */
export function expandEnv (value: unknown, env: Readonly<Record<string, string | undefined>>): Expanded {
  const problems: string[] = []
  const paths: string[] = []
  const substituted: Array<ReadonlyArray<string | number>> = []
  const substitute = (text: string, path: string, segments: ReadonlyArray<string | number>): string => {
    if (!text.includes('${')) return text
    substituted.push(segments)
    return text.replace(REFERENCE, (_match, inner: string) => {
      const parts = INNER.exec(inner)
      const [, name = '', fallback] = parts ?? []
      const found = env[name]
      // As in the shells: the default also stands in for a variable set to the empty string.
      if (parts !== null && found !== undefined && (found !== '' || fallback === undefined)) return found
      if (parts !== null && fallback !== undefined) return fallback
      problems.push(parts === null
        // The text inside is not echoed: a mistyped reference may be a secret pasted in its place.
        ? `${path}: holds a \${…} that is not a valid environment variable reference (\${NAME} or \${NAME:-default})`
        : `${path}: environment variable ${name} is not set`)
      paths.push(path)
      return ''
    })
  }
  const walk = (item: unknown, path: string, segments: ReadonlyArray<string | number>): unknown => {
    if (typeof item === 'string') return substitute(item, path === '' ? '(root)' : path, segments)
    if (Array.isArray(item)) return item.map((entry: unknown, index) => walk(entry, `${path}[${index}]`, [...segments, index]))
    if (typeof item !== 'object' || item === null) return item
    // Only parsed YAML/JSON (plain objects) is walked: a Buffer secret or a KeyObject in a programmatic `tokens.keys`
    // would otherwise be copied into a plain object and refused as a key.
    const prototype: unknown = Object.getPrototypeOf(item)
    if (prototype !== Object.prototype && prototype !== null) return item
    const result: Record<string, unknown> = {}
    for (const [key, entry] of Object.entries(item)) {
      // YAML's empty value (`key:`) means "not set": the default applies, as before the schema.
      // defineProperty: `result['__proto__'] = …` would set the prototype; kept as an own key, validation refuses it.
      if (entry !== null) Object.defineProperty(result, key, { value: walk(entry, path === '' ? key : `${path}.${key}`, [...segments, key]), enumerable: true, writable: true, configurable: true })
    }
    return result
  }
  return { value: walk(value, '', []), problems, paths, substituted }
}

// For a YAML reader: `url: ${MONGODB_URL}` inside a YAML flow mapping (`{ ... }`) is not a valid plain scalar:
// `{` and `}` are flow indicators. References are swapped for inert placeholders before parsing and back afterwards, so they work in
// every YAML position, and values from the environment are never parsed as YAML (no injection through a variable).
// A `${VAR:-default}` default may hold any character but `}`: the placeholder carries the reference hex-encoded.
const SHIELDED = new RegExp(`\\$\\{(${NAME}(?:${DEFAULT})?)\\}`, 'g')
const PLACEHOLDER = /__AUTHGATE_ENV-([0-9a-f]+)-__/g

/** `text` with every `${…}` reference replaced by an inert placeholder, before a YAML parser reads it. */
export function shieldReferences (text: string): string {
  return text.replace(SHIELDED, (_match, inner: string) => `__AUTHGATE_ENV-${Buffer.from(inner, 'utf8').toString('hex')}-__`)
}

/** The parsed value with the placeholders of shieldReferences() turned back into their `${…}` references. */
export function restoreReferences (value: unknown): unknown {
  if (typeof value === 'string') return value.replace(PLACEHOLDER, (_match, hex: string) => `\${${Buffer.from(hex, 'hex').toString('utf8')}}`)
  if (Array.isArray(value)) return value.map(restoreReferences)
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, restoreReferences(item)]))
  }
  return value
}
