// Token attacks that need an issuer of another algorithm (HS256 for confusion and weak secrets, RS256/ES256 for
// key confusion and malformed ECDSA signatures) run against a second gateway, one per algorithm per target, whose
// routes lead to the SAME recording upstream: the runner's "nothing reached the upstream" assertion covers it too.
import { generateKey, type AccessAlgorithm } from '@authgate/fastify/tokens'
import type { AttackTarget } from './target.js'

const siblings = new WeakMap<AttackTarget, Map<AccessAlgorithm, Promise<AttackTarget>>>()

/** The routes of lib/target.ts, pointed at `upstream`. */
export function routesTo (upstream: string): Array<Record<string, unknown>> {
  return [
    { prefix: '/public', upstream, auth: 'none' },
    { prefix: '/api', upstream, auth: 'required' },
    { prefix: '/admin', upstream, auth: 'required', roles: ['admin'] },
    { prefix: '/ws', upstream, auth: 'required', websocket: true }
  ]
}

/** A gateway like `target` but signing with a fresh `algorithm` key, in front of `target`'s upstream. */
export function sibling (target: AttackTarget, algorithm: AccessAlgorithm): Promise<AttackTarget> {
  let byAlgorithm = siblings.get(target)
  if (byAlgorithm === undefined) {
    byAlgorithm = new Map()
    siblings.set(target, byAlgorithm)
  }
  let started = byAlgorithm.get(algorithm)
  if (started === undefined) {
    started = target.fresh({ key: generateKey(algorithm, `security-${algorithm.toLowerCase()}`), config: { routes: routesTo(target.upstream.url) } })
    byAlgorithm.set(algorithm, started)
  }
  return started
}
