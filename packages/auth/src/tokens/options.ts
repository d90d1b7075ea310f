// TokenOptions → NormalisedTokenOptions, once, at start-up. Errors name the option path (`tokens.keys[1].secret …`)
// so a misconfigured process refuses to start instead of running with a weak or confused key set.
import { checkAlgorithm, readKeyInput, type KeyEntry } from './key-material.js'
import type { AccessAlgorithm, TokenOptions } from './types.js'

export const MAX_CLOCK_TOLERANCE = 300

export interface NormalisedTokenOptions {
  algorithm: AccessAlgorithm
  issuer: string
  audience: string
  accessTtl: number
  maxTtl: number
  clockTolerance: number
  keys: KeyEntry[]
  /** Undefined only when the key set is empty (keys could not be loaded): signing and verifying answer 503. */
  signing: KeyEntry | undefined
}

export function normaliseTokenOptions (options: TokenOptions, path = 'tokens'): NormalisedTokenOptions {
  if (typeof options !== 'object' || (options as TokenOptions | null) === null) throw new Error(`${path} must be an object`)
  const algorithm = checkAlgorithm(options.algorithm, `${path}.algorithm`)
  const issuer = nonEmptyString(options.issuer, `${path}.issuer`)
  const audience = nonEmptyString(options.audience, `${path}.audience`)
  const accessTtl = positiveSeconds(options.accessTtl, `${path}.accessTtl`)
  const maxTtl = options.maxTtl === undefined ? accessTtl : positiveSeconds(options.maxTtl, `${path}.maxTtl`)
  if (maxTtl < accessTtl) throw new Error(`${path}.maxTtl must be at least ${path}.accessTtl`)
  const { clockTolerance } = options
  if (typeof clockTolerance !== 'number' || !Number.isFinite(clockTolerance) || clockTolerance < 0 ||
    clockTolerance > MAX_CLOCK_TOLERANCE) {
    throw new Error(`${path}.clockTolerance must be a finite number of seconds between 0 and ${MAX_CLOCK_TOLERANCE}`)
  }
  if (!Array.isArray(options.keys)) throw new Error(`${path}.keys must be an array`)

  const keys: KeyEntry[] = []
  const seen = new Set<string>()
  options.keys.forEach((input, index) => {
    const entry = readKeyInput(input, `${path}.keys[${index}]`)
    if (seen.has(entry.kid)) throw new Error(`${path}.keys[${index}].kid "${entry.kid}" is used twice`)
    seen.add(entry.kid)
    keys.push(entry)
  })

  return { algorithm, issuer, audience, accessTtl, maxTtl, clockTolerance, keys, signing: pickSigningKey(options, keys, algorithm, path) }
}

function pickSigningKey (options: TokenOptions, keys: KeyEntry[], algorithm: AccessAlgorithm, path: string): KeyEntry | undefined {
  if (options.signingKid !== undefined) {
    const entry = keys.find((key) => key.kid === options.signingKid)
    if (entry === undefined) throw new Error(`${path}.signingKid names no key of ${path}.keys`)
    if (entry.signKey === undefined) throw new Error(`${path}.signingKid names a key without a private part`)
    if (entry.algorithm !== algorithm) throw new Error(`${path}.signingKid names a ${entry.algorithm} key but ${path}.algorithm is ${algorithm}`)
    return entry
  }
  if (keys.length === 0) return undefined
  const entry = keys.find((key) => key.signKey !== undefined && key.algorithm === algorithm)
  if (entry === undefined) {
    throw new Error(`${path}.keys must hold a ${algorithm} signing key (a private key or a secret) for ${path}.algorithm`)
  }
  return entry
}

function nonEmptyString (value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new Error(`${path} must be a non-empty string`)
  return value
}

function positiveSeconds (value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${path} must be a whole number of seconds, at least 1`)
  }
  return value
}
