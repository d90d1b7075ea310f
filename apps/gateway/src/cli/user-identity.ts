// The identity an operator types on the command line (`user add --roles`, `token --sub --roles`) must be one the
// gateway can forward in headers (identity-values.ts): refused here with the reason, not by a 502 at every request.
import { MAX_FORWARDED_ID, MAX_FORWARDED_ROLE, MAX_FORWARDED_ROLES, isForwardableId, isForwardableRole } from '../identity-values.js'

/**
 * What is wrong with a user id (`sub`), a session id (`sid`; undefined: none given) and role names, or undefined
 * when all can be forwarded.
 */
export function identityFlagError (sub: string | undefined, roles: readonly string[], sid?: string): string | undefined {
  for (const [name, value] of [['sub', sub], ['sid', sid]] as const) {
    if (value !== undefined && !isForwardableId(value)) {
      return `--${name} must be printable ASCII without commas or edge spaces, at most ${MAX_FORWARDED_ID} characters: it is forwarded in a header`
    }
  }
  const bad = roles.find((role) => !isForwardableRole(role))
  if (bad !== undefined) {
    return `--roles: ${JSON.stringify(bad)} is not a role name that headers can carry (printable ASCII without spaces or commas, at most ${MAX_FORWARDED_ROLE} characters)`
  }
  if (roles.join(',').length > MAX_FORWARDED_ROLES) return `--roles: more than ${MAX_FORWARDED_ROLES} characters in all (they are forwarded in one header)`
  return undefined
}
