// `cors`: the origins whose pages may call the gateway from a browser. Each is read once, here, into the serialized
// form browsers send (`scheme://host[:port]`, lower-case, default port dropped), so the per-request check is one
// exact lookup: no suffix, pattern or wildcard matching, which is where CORS allowlists usually go wrong
// (`https://app.example.com.evil` passing a suffix test, `null` passing a list that contains it).
import { normaliseOrigin } from '@authgate/fastify/config'
import { parseDuration } from '@authgate/fastify/config'
import type { CorsInput } from './schema.js'
import type { Report } from './types.js'

export interface CorsConfig {
  /** Serialized origins, each once, compared exactly with the request's `Origin`. */
  readonly origins: readonly string[]
  /** Send `Access-Control-Allow-Credentials: true` (the refresh cookie needs it). */
  readonly credentials: boolean
  /** `Access-Control-Max-Age` of preflight answers, whole seconds. */
  readonly maxAgeSeconds: number
}

function originProblem (origin: string): string | undefined {
  const trimmed = origin.trim().toLowerCase()
  if (trimmed === 'null') {
    return 'null is not accepted: sandboxed iframes, file: pages and redirected requests all send Origin: null, so listing it would admit any of them'
  }
  if (origin.includes('*')) {
    return 'wildcards are not accepted: list each origin (scheme://host[:port]); with credentials browsers refuse a wildcard anyway, and a pattern is how allowlists admit look-alike hosts'
  }
  return undefined
}

/** `cors` after the schema: origins normalised (a bad one reported, naming its index), maxAge in seconds. */
export function readCors (section: CorsInput | undefined, report: Report): CorsConfig | undefined {
  if (section === undefined) return undefined
  const origins = new Set<string>()
  section.origins.forEach((origin, index) => {
    const path = `cors.origins[${index}]`
    const problem = originProblem(origin)
    if (problem !== undefined) {
      report(path, problem)
      return
    }
    try {
      origins.add(normaliseOrigin(origin, path))
    } catch (error) {
      report(path, (error as Error).message.replace(`${path} `, ''))
    }
  })
  return Object.freeze({
    origins: Object.freeze([...origins]),
    credentials: section.credentials,
    maxAgeSeconds: Math.floor(parseDuration(section.maxAge, 'cors.maxAge') / 1000)
  })
}

/**
 * The origins the CSRF check of the cookie endpoints (and the OIDC `returnTo` check) admits. One list with
 * `cors.origins` unless set apart: when the file names `auth.allowedOrigins` (even `[]`), that list alone decides;
 * otherwise the CORS origins count too, but only with `credentials: true`: without it the operator has not asked for
 * cookie calls from these pages, and a simple POST from one would still carry the cookie (no preflight) and rotate
 * or log out the session unseen. The other way round is never implied: `auth.allowedOrigins` alone sends no
 * Access-Control-* header.
 */
export function csrfOrigins (allowedOrigins: readonly string[], allowedOriginsGiven: boolean, cors: CorsConfig | undefined): readonly string[] {
  if (allowedOriginsGiven || cors === undefined || !cors.credentials) return allowedOrigins
  return cors.origins
}
