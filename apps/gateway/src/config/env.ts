// `${VAR}` and `${VAR:-default}` in configuration values: read from the environment given (process.env by the CLI),
// so secrets and per-machine values stay out of the file. A missing variable without a default is an error naming
// it: an empty string where a database URL was meant would fail far from its cause.
import { ConfigError } from './types.js'

const REFERENCE = /\$\{([^}]*)\}/g
/** A well-formed `${NAME}` reference (literal-secrets.ts: a `${NAME:-default}` default is written in the file). */
export const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g
const INNER = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s

function substitute (value: string, env: Readonly<Record<string, string | undefined>>, path: string, where: string): string {
  if (!value.includes('${')) return value
  return value.replace(REFERENCE, (_match, inner: string) => {
    const parts = INNER.exec(inner)
    if (parts === null) throw new ConfigError(`${where}: ${path}: \${${inner.split(':')[0] ?? ''}} is not a valid environment variable reference`)
    const [, name = '', fallback] = parts
    const found = env[name]
    // As in the shells: the default also stands in for a variable set to the empty string.
    if (found !== undefined && (found !== '' || fallback === undefined)) return found
    if (fallback !== undefined) return fallback
    throw new ConfigError(`${where}: ${path}: environment variable ${name} is not set`)
  })
}

/** A copy of `value` with every `${VAR}` in its strings replaced. Keys are never substituted. */
export function expandEnv (value: unknown, env: Readonly<Record<string, string | undefined>>, where: string, path = ''): unknown {
  if (typeof value === 'string') return substitute(value, env, path === '' ? '(root)' : path, where)
  if (Array.isArray(value)) return value.map((item: unknown, index) => expandEnv(item, env, where, `${path}[${index}]`))
  if (typeof value === 'object' && value !== null) {
    // Only parsed YAML/JSON (plain objects) is walked: a Buffer secret or a KeyObject in a programmatic `tokens.keys`
    // would otherwise be copied into a plain object and refused as a key.
    const prototype: unknown = Object.getPrototypeOf(value)
    if (prototype !== Object.prototype && prototype !== null) return value
    const result: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) {
      // YAML's empty value (`key:`) means "not set": the default applies, as before the schema.
      if (item !== null) result[key] = expandEnv(item, env, where, path === '' ? key : `${path}.${key}`)
    }
    return result
  }
  return value
}
