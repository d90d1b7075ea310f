// Checks options against a schema with ajv (Fastify's own validator family): every error at once, each naming its
// path (`tokens.accessTtl`, `routes[2].prefix`) with a reason, unknown keys with a suggestion. Values are never
// quoted: the key may hold a secret.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import type { TSchema } from '@sinclair/typebox'
import { DURATION_EXPECTED, durationMs, formatMs } from './duration.js'
import type { DurationRange } from './kinds.js'
import { didYouMean } from './suggest.js'

/**
 * The one-list form of a configuration's problems: `where: invalid configuration (N problems):`, then `  - path: reason`
 * a line each. Shared with the gateway's own ConfigError, so both read alike.
 */
export function formatIssues (where: string, issues: readonly string[]): string {
  return `${where}: invalid configuration (${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}):\n${issues.map((issue) => `  - ${issue}`).join('\n')}`
}

/** A configuration that cannot be used: `issues` lists every problem, `message` all of them, one per line. */
export class ConfigValidationError extends Error {
  readonly code = 'AUTHGATE_CONFIG_INVALID'
  readonly issues: readonly string[]
  constructor (where: string, issues: readonly string[]) {
    super(formatIssues(where, issues))
    this.name = 'ConfigValidationError'
    this.issues = issues
  }
}

function isPlainObject (value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const prototype: unknown = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/** A value only code can give: a function, or an object that is not plain JSON data. */
function isCodeValue (kind: 'function' | 'object', value: unknown): boolean {
  if (kind === 'function') return typeof value === 'function'
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  if (!isPlainObject(value)) return true
  // An object literal implementing an interface (a SessionStore written inline) has methods; JSON data never does.
  return Object.values(value).some((item) => typeof item === 'function')
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- ajv hands the keyword's schema value untyped
type KeywordCheck = (schemaValue: any, data: unknown) => string | undefined

/** A keyword whose `check` returns the reason data fails, or undefined. */
function addCheck (ajv: Ajv, keyword: string, schemaType: 'object' | 'string' | 'boolean', check: KeywordCheck): void {
  const validate = (schemaValue: unknown, data: unknown): boolean => {
    const message = check(schemaValue, data)
    validate.errors = message === undefined ? [] : [{ keyword, message, params: {} }]
    return message === undefined
  }
  validate.errors = [] as Array<Partial<ErrorObject>>
  ajv.addKeyword({ keyword, schemaType, errors: true, validate })
}

function checkDuration (range: DurationRange, data: unknown): string | undefined {
  const ms = durationMs(data)
  if (ms === undefined) return DURATION_EXPECTED
  if (ms < range.min || ms > range.max) return `must be from ${formatMs(range.min)} to ${formatMs(range.max)}`
  return undefined
}

function createAjv (): Ajv {
  // coerceTypes stays off: `rateLimit: 0` must not become false (all limits off), nor `port: true` the port 1.
  const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: true, strictTypes: false, coerceTypes: false, allowUnionTypes: true })
  ajv.addKeyword({ keyword: 'x-expect', schemaType: 'string' })
  addCheck(ajv, 'x-false-only', 'boolean', (_flag: boolean, data) => data === true ? 'must be an object, or false (off)' : undefined)
  addCheck(ajv, 'x-duration', 'object', checkDuration)
  addCheck(ajv, 'x-code', 'string', (kind: 'function' | 'object', data) =>
    isCodeValue(kind, data) ? undefined : kind === 'function' ? 'must be a function' : 'must be an object given in code')
  return ajv
}

/** `/routes/0/prefix` → `routes[0].prefix`. */
export function dottedPath (pointer: string): string {
  let path = ''
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    path += /^\d+$/.test(segment) ? `[${segment}]` : (path === '' ? segment : `.${segment}`)
  }
  return path
}

function join (path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'a string', integer: 'a whole number', number: 'a number', boolean: 'true or false', object: 'an object', array: 'a list'
}

function reason (error: ErrorObject): string {
  const parent = (error.parentSchema ?? {}) as Record<string, unknown>
  if (parent['x-duration'] !== undefined && error.keyword === 'type') return DURATION_EXPECTED
  if (typeof parent['x-expect'] === 'string' && (error.keyword === 'pattern' || error.keyword === 'type' || error.keyword === 'format')) return parent['x-expect']
  switch (error.keyword) {
    case 'type': {
      const types = ([] as string[]).concat(error.params.type as string | string[])
      return `must be ${types.map((type) => TYPE_WORDS[type] ?? type).join(' or ')}`
    }
    case 'enum': return `must be one of ${(error.params.allowedValues as unknown[]).map(String).join(', ')}`
    case 'const': return `must be ${JSON.stringify(error.params.allowedValue)}`
    case 'minLength': return error.params.limit === 1 ? 'must not be empty' : `must be at least ${String(error.params.limit)} characters`
    case 'maxLength': return `must be at most ${String(error.params.limit)} characters`
    case 'minimum': return `must be at least ${String(error.params.limit)}`
    case 'maximum': return `must be at most ${String(error.params.limit)}`
    case 'pattern': return `must match ${String(error.params.pattern)}`
    default: return error.message ?? 'is not valid'
  }
}

/** ajv's errors as one line each; a failed anyOf is one line unless a branch failed deeper (a typo inside it). */
export function describeErrors (errors: readonly ErrorObject[]): string[] {
  const unionFailures = errors.filter((error) => error.keyword === 'anyOf')
  const hidden = new Set<ErrorObject>()
  const lines: string[] = []
  for (const union of unionFailures) {
    const branches = errors.filter((error) => error !== union && error.schemaPath.startsWith(`${union.schemaPath}/`))
    branches.forEach((error) => hidden.add(error))
    const deeper = branches.filter((error) => error.instancePath !== union.instancePath || error.keyword === 'additionalProperties' || error.keyword === 'required')
    // The plain-data branch got far enough to name a key: that is the mistake to report, not "must be A or B".
    if (deeper.length > 0) deeper.forEach((error) => hidden.delete(error))
    else hidden.add(union)
    if (deeper.length === 0) {
      const expect = (union.parentSchema as Record<string, unknown>)['x-expect']
      lines.push(`${dottedPath(union.instancePath) || '(root)'}: ${typeof expect === 'string' ? expect : 'is not valid'}`)
    }
    hidden.add(union)
  }
  for (const error of errors) {
    if (hidden.has(error)) continue
    const path = dottedPath(error.instancePath)
    if (error.keyword === 'additionalProperties') {
      const key = String(error.params.additionalProperty)
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {})
      lines.push(`${join(path, key)}: unknown key${didYouMean(key, known)}`)
    } else if (error.keyword === 'required') {
      lines.push(`${join(path, String(error.params.missingProperty))}: is required`)
    } else {
      lines.push(`${path || '(root)'}: ${reason(error)}`)
    }
  }
  return [...new Set(lines)]
}

export interface ConfigValidator {
  /** Fills defaults into `value` (mutates it) and returns every problem, one line each; empty: valid. */
  (value: unknown): string[]
}

/** Keys that would reach an object's prototype if assigned (`copy[key] = …`), or shadow its constructor. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * Removes every `__proto__`, `constructor` and `prototype` key of the plain data in `value` (YAML and JSON.parse
 * keep `__proto__` as an own key; copies keep it with defineProperty) and names each as unknown: a later
 * `target[key] = …` would set the prototype, and `auth: { __proto__: { registration: false } }` would vanish.
 */
function dropForbiddenKeys (value: unknown, path: string, out: string[]): string[] {
  if (Array.isArray(value)) value.forEach((item, index) => dropForbiddenKeys(item, `${path}[${index}]`, out))
  else if (isPlainObject(value)) {
    for (const key of Object.keys(value as object)) {
      if (FORBIDDEN_KEYS.has(key)) {
        out.push(`${join(path, key)}: unknown key`)
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- the refused key leaves the options copy
        delete (value as Record<string, unknown>)[key]
      } else dropForbiddenKeys((value as Record<string, unknown>)[key], join(path, key), out)
    }
  }
  return out
}

/** A validator for `schema`. Nothing is coerced: a caller converts text it knows came from the environment. */
export function createValidator (schema: TSchema): ConfigValidator {
  const check: ValidateFunction = createAjv().compile(schema)
  return (value: unknown) => {
    const refused = dropForbiddenKeys(value, '', [])
    return [...refused, ...(check(value) ? [] : describeErrors(check.errors ?? []))]
  }
}
