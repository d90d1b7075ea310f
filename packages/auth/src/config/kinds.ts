// Schema building blocks shared by every section. A section is written once and built in two forms: `code` (what
// `app.register(authgate, options)` accepts: clients, stores, functions, Buffers where the plugin takes them) and
// `json` (what a configuration file can hold: the gateway's `authgate.schema.json`). The custom keywords
// (`x-duration`, `x-code`) are checked by validate.ts; editors ignore them and still read `type` and `description`.
import { Type, type TSchema, type TUnsafe } from '@sinclair/typebox'
import type { Duration } from './duration.js'

export type Form = 'code' | 'json'

export interface DurationRange {
  /** Milliseconds. */
  min: number
  max: number
}

/** A duration (duration.ts) between `range.min` and `range.max` milliseconds. */
export function DurationKey (range: DurationRange, description: string, defaultValue?: Duration): TUnsafe<Duration> {
  return Type.Unsafe<Duration>({
    type: ['integer', 'string'],
    'x-duration': range,
    description,
    ...(defaultValue === undefined ? {} : { default: defaultValue })
  })
}

/** One of a few strings (one `enum`, so a wrong value gets one error listing the choices). */
export function OneOf<T extends string> (values: readonly T[], description: string, defaultValue?: T): TUnsafe<T> {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], description, ...(defaultValue === undefined ? {} : { default: defaultValue }) })
}

/**
 * A value only code can give (an ioredis client, a MongoClient, a KeyRingStore, a Buffer, a function). `kind`
 * `function` admits functions; `object` admits class instances and objects with methods, never plain JSON data.
 */
export function CodeValue<T> (kind: 'function' | 'object', description: string): TUnsafe<T> {
  return Type.Unsafe<T>({ 'x-code': kind, description })
}

/**
 * `schema`, or in the code form `schema` or a code-only value. `expect` is the one-line error when neither fits.
 */
export function OrCode (form: Form, schema: TSchema, kind: 'function' | 'object', codeDescription: string, expect: string): TSchema {
  if (form === 'json') return schema
  return Type.Union([schema, CodeValue(kind, codeDescription)], { description: `${schema.description ?? ''} In code: ${codeDescription}.`.trim(), 'x-expect': expect })
}

/** A value that may also be `false` (off). */
export function OrFalse (schema: TSchema, description: string, expect: string, defaultValue?: unknown): TSchema {
  return Type.Union([schema, Type.Literal(false)], { description, 'x-expect': expect, ...(defaultValue === undefined ? {} : { default: defaultValue }) })
}

/** An object that refuses unknown keys (a typo must not silently fall back to a default). */
export const Strict = { additionalProperties: false } as const

/** Marks a key kept for compatibility; validate.ts never reports it (aliases.ts moves it and warns). */
export function Deprecated<T extends TSchema> (schema: T, replacement: string): T {
  return { ...schema, deprecated: true, description: `Deprecated: use ${replacement}. ${schema.description ?? ''}`.trim() }
}

/**
 * `schema` with every key that has a default taken out of `required` (deeply): the default is what an absent key
 * means, so an editor must not flag it as missing. Validation is unchanged (ajv fills defaults first).
 */
export function optionalDefaults<T> (schema: T): T {
  if (Array.isArray(schema)) return schema.map(optionalDefaults) as T
  if (typeof schema !== 'object' || schema === null) return schema
  const copy: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) copy[key] = key === 'default' || key === 'enum' || key === 'const' ? value : optionalDefaults(value)
  const properties = copy.properties as Record<string, { default?: unknown }> | undefined
  if (Array.isArray(copy.required) && properties !== undefined) {
    const required = (copy.required as string[]).filter((key) => properties[key]?.default === undefined)
    if (required.length === 0) delete copy.required
    else copy.required = required
  }
  return copy as T
}
