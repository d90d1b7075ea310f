// Per-key environment overrides, applied after the file (as oauth2-proxy and Pomerium users expect):
// AUTHGATE_<SECTION>_<KEY>, each camelCase segment in UPPER_SNAKE (`server.port` → AUTHGATE_SERVER_PORT,
// `tokens.accessTtl` → AUTHGATE_TOKENS_ACCESS_TTL, `store.mongodb.url` → AUTHGATE_STORE_MONGODB_URL). The table is
// derived from the schema, so it cannot drift from it; values are typed by it. Lists of objects (routes, tokens.keys,
// providers) are file-only. Here, beside the schema, because only the schema's owner knows its annotations
// (`x-duration`) and unions.
import type { TObject } from '@sinclair/typebox'
import { DURATION_EXPECTED, durationMs } from './duration.js'
import { closest } from './suggest.js'

const PREFIX = 'AUTHGATE_'

export interface EnvKey {
  /** Dotted path in the file, e.g. `tokens.accessTtl`. */
  readonly path: readonly string[]
  readonly schema: Record<string, unknown>
}

function upperSnake (segment: string): string {
  return segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()
}

function isObjectWithKeys (schema: Record<string, unknown>): boolean {
  const type = schema.type
  return (type === 'object' || (Array.isArray(type) && type.includes('object') && !type.includes('integer'))) && typeof schema.properties === 'object'
}

/** Variable name → the key it sets, for every leaf of `schema` outside lists. */
export function envKeys (schema: TObject): Map<string, EnvKey> {
  const keys = new Map<string, EnvKey>()
  const visit = (node: Record<string, unknown>, path: string[]): void => {
    if (path.length > 0 && !isObjectWithKeys(node)) {
      // A top-level list (the gateway's `routes`; the plugin's deprecated top-level `defaultRoles`/`allowedOrigins`
      // aliases) has no variable at all: a section that is a list is the file's, and an alias has its key's.
      if (node.type !== 'array' || path.length > 1) keys.set(PREFIX + path.map(upperSnake).join('_'), { path, schema: node })
      return
    }
    for (const [key, child] of Object.entries((node.properties ?? {}) as Record<string, Record<string, unknown>>)) visit(child, [...path, key])
  }
  visit(schema, [])
  return keys
}

function types (schema: Record<string, unknown>): string[] {
  const type = schema.type
  if (Array.isArray(type)) return type as string[]
  if (typeof type === 'string') return [type]
  // A union (`rateLimit`, `jwksPath`): the types of its branches.
  return ((schema.anyOf ?? []) as Array<Record<string, unknown>>).flatMap(types)
}

/** A list of objects (tokens.keys, tokens.trustedIssuers, oidc.providers): its variable is refused, the README says "(file only)". */
export function isFileOnly (key: Pick<EnvKey, 'schema'>): boolean {
  const items = key.schema.items as Record<string, unknown> | undefined
  return types(key.schema).includes('array') && items !== undefined && types(items).includes('object')
}

/** The value `text` stands for at `key`, or a reason it cannot. */
export function typed (text: string, key: Pick<EnvKey, 'schema'>): { value: unknown } | { error: string } {
  const kinds = types(key.schema)
  // Splitting on commas cannot make objects: such a list is written in the file (its values may be `${VAR}`).
  if (isFileOnly(key)) return { error: 'cannot be set from the environment: it is a list of objects; write it in the file (values inside it may be ${VAR})' }
  if (key.schema['x-duration'] !== undefined) return durationMs(text) === undefined ? { error: DURATION_EXPECTED } : { value: text }
  if (kinds.includes('boolean') && (text === 'true' || text === 'false')) return { value: text === 'true' }
  if (kinds.includes('integer') && /^\d+$/.test(text)) return { value: Number(text) }
  if (kinds.includes('number') && /^\d+(?:\.\d+)?$/.test(text)) return { value: Number(text) }
  if (kinds.includes('array') && !kinds.includes('string')) return { value: text.split(',').map((item) => item.trim()).filter((item) => item !== '') }
  if (kinds.includes('string')) {
    const choices = key.schema.enum
    if (Array.isArray(choices) && !choices.includes(text)) return { error: `must be one of ${choices.join(', ')}` }
    return { value: text }
  }
  if (kinds.includes('array')) return { value: text.split(',').map((item) => item.trim()).filter((item) => item !== '') }
  return { error: `must be ${kinds.includes('integer') ? 'a whole number' : kinds.includes('number') ? 'a number' : kinds.includes('boolean') ? 'true or false' : 'a value of the schema'}` }
}

/** The schema of the value at `segments` (keys and list indexes), through unions; undefined: the schema has none. */
export function schemaAt (node: Record<string, unknown>, segments: ReadonlyArray<string | number>): Record<string, unknown> | undefined {
  if (segments.length === 0) return node
  const [segment, ...rest] = segments
  const branches = [node, ...((node.anyOf ?? []) as Array<Record<string, unknown>>)]
  for (const branch of branches) {
    const properties = branch.properties as Record<string, Record<string, unknown>> | undefined
    const extra = branch.additionalProperties
    const child = typeof segment === 'number'
      ? branch.items as Record<string, unknown> | undefined
      : properties !== undefined && Object.hasOwn(properties, segment as string) ? properties[segment as string] : typeof extra === 'object' && extra !== null ? extra as Record<string, unknown> : undefined
    const found = child === undefined ? undefined : schemaAt(child, rest)
    if (found !== undefined) return found
  }
  return undefined
}

/**
 * Text a `${VAR}` put at one of `paths` becomes the number or boolean the schema asks for there (as an AUTHGATE_*
 * variable's would); nothing else is converted: `port: true` or `rateLimit: 0` in the file stay mistakes. Text that
 * does not fit is left for the schema to refuse; lists are not split (a `${VAR}` stands for one value).
 */
export function typeSubstituted (config: unknown, paths: ReadonlyArray<ReadonlyArray<string | number>>, schema: TObject): void {
  for (const path of paths) {
    if (path.length === 0) continue
    let parent: unknown = config
    for (const segment of path.slice(0, -1)) parent = typeof parent === 'object' && parent !== null ? (parent as Record<string | number, unknown>)[segment] : undefined
    if (typeof parent !== 'object' || parent === null) continue
    const last = path[path.length - 1] as string | number
    const text = (parent as Record<string | number, unknown>)[last]
    const node = schemaAt(schema, path)
    if (typeof text !== 'string' || node === undefined) continue
    const result = typed(text, { schema: node })
    if ('value' in result && (typeof result.value === 'number' || typeof result.value === 'boolean')) (parent as Record<string | number, unknown>)[last] = result.value
  }
}

function assign (target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target
  for (const segment of path.slice(0, -1)) {
    const next = node[segment]
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[segment] = {}
    node = node[segment] as Record<string, unknown>
  }
  node[path[path.length - 1] as string] = value
}

/**
 * Applies every AUTHGATE_* variable of `env` that names a key to `config` (changed in place). Returns the problems:
 * a bad value, or a variable under a known section that names no key (with a suggestion). Other AUTHGATE_*
 * variables (AUTHGATE_TEST_DB…) are not ours to refuse.
 */
export function applyEnvOverrides (config: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>, schema: TObject): string[] {
  const keys = envKeys(schema)
  const sections = Object.keys(schema.properties).map((name) => PREFIX + upperSnake(name) + '_')
  const problems: string[] = []
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith(PREFIX) || text === undefined) continue
    const key = keys.get(name)
    if (key === undefined) {
      // A whole section (AUTHGATE_RATE_LIMIT=false) is no key either: said, not silently ignored.
      if (sections.some((section) => name.startsWith(section) || name === section.slice(0, -1))) {
        const match = closest(name, [...keys.keys()])
        problems.push(`${name}: names no configuration key${match === undefined ? '' : ` (did you mean ${match}?)`}`)
      }
      continue
    }
    const result = typed(text, key)
    if ('error' in result) problems.push(`${name}: ${result.error} (${key.path.join('.')})`)
    else assign(config, key.path, result.value)
  }
  return problems
}

/** The documented table: variable → key. */
export function envTable (schema: TObject): Array<[string, string]> {
  return [...envKeys(schema).entries()].map(([name, key]) => [name, key.path.join('.')])
}
