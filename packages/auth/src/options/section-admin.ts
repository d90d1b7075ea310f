// `admin`: who may use the admin API (GET/PATCH/DELETE {prefix}/admin/users…) and which roles they may hand out.
import { Type, type TObject } from '@sinclair/typebox'
import { MAX_ROLE_LENGTH } from '../tokens/claims.js'
import { Strict } from '../config/kinds.js'

export const DEFAULT_ADMIN_ROLES: readonly string[] = Object.freeze(['admin'])

export function adminSection (): TObject {
  // The token's limit (isRoleName): a role the schema accepts is one a token can carry, and the other way round.
  const role = Type.String({ minLength: 1, maxLength: MAX_ROLE_LENGTH })
  return Type.Object({
    roles: Type.Array(role, {
      default: [...DEFAULT_ADMIN_ROLES],
      maxItems: 32,
      description: 'Roles whose holders may use the admin API ({prefix}/admin/users…): checked on the access token and again on the stored user at every request. []: no admin API.'
    }),
    grantableRoles: Type.Optional(Type.Array(role, {
      maxItems: 256,
      description: 'The roles outside admin.roles an admin may grant or remove through the admin API (default: all of them). Admin roles are grantable only by admins who hold them, whatever this lists; an admin may act on another user only when that user\'s admin roles are all held by the acting admin.'
    }))
  }, { ...Strict, description: 'The admin API.' })
}
