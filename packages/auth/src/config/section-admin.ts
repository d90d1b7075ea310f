// `admin`: who may use the admin API (GET/PATCH/DELETE {prefix}/admin/users…) and which roles they may hand out.
import { Type, type TObject } from '@sinclair/typebox'
import { Strict } from './kinds.js'

export const DEFAULT_ADMIN_ROLES: readonly string[] = Object.freeze(['admin'])

export function adminSection (): TObject {
  const role = Type.String({ minLength: 1, maxLength: 64 })
  return Type.Object({
    roles: Type.Array(role, {
      default: [...DEFAULT_ADMIN_ROLES],
      maxItems: 32,
      description: 'Roles whose holders may use the admin API ({prefix}/admin/users…): checked on the access token and again on the stored user at every request. []: no admin API.'
    }),
    grantableRoles: Type.Optional(Type.Array(role, {
      maxItems: 256,
      description: 'Roles an admin may grant or remove through the admin API; an admin may act on another admin only when every admin.roles role that admin holds is in it. Default: the roles the acting admin holds.'
    }))
  }, { ...Strict, description: 'The admin API.' })
}
