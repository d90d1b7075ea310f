// Which of two route policies is stricter, for the prefix-spelling check (paths.ts): a target that a lenient
// upstream reads as another configured prefix is only a way *past* a policy when that prefix's policy refuses
// someone the route the target actually matched lets in (issue #11 item 7: "a stricter configured prefix").
import type { RouteConfig } from './config.js'

export type RoutePolicy = Pick<RouteConfig, 'prefix' | 'auth' | 'roles'>

/**
 * Whether every request `matched` lets through would pass `spelled` too (so reaching `spelled` by a loose spelling
 * gains nothing). `matched` undefined: no route matched (the gateway answers 404 itself): treated as strictest, so
 * loose spellings of any configured prefix from there stay refused, as they always were.
 */
export function admitsAtLeast (spelled: RoutePolicy, matched: RoutePolicy | undefined): boolean {
  if (matched === undefined) return false
  if (spelled.auth === 'none') return true
  // `optional` refuses a bad token where `none` ignores it.
  if (spelled.auth === 'optional') return matched.auth !== 'none'
  if (matched.auth !== 'required') return false
  if (spelled.roles.length === 0) return true
  // Roles are any-of: every user `matched` admits holds one of its roles, each of which `spelled` accepts.
  return matched.roles.length > 0 && matched.roles.every((role) => spelled.roles.includes(role))
}
