// @authgate/fastify/admin: administering users, sessions and the audit trail from code: the gateway's CLI verbs and
// its admin API run on these. Each action returns the `adminAction` record the audit trail keeps.
export { addUser, findUserByEmail, normaliseEmail, type AddUserInput } from './users/add-user.js'
export { hashPassword, verifyPassword, normalisePassword, MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH, PASSWORD_HASH_OPTIONS } from './users/passwords.js'
export { foldEmailFragment, MAX_EMAIL_LENGTH } from './stores/email-identity.js'
export {
  updateUser, deleteUser, revokeUserSessions, setUserPassword, adminActionEvent, publicUser, identityUnlinker, CLI_ACTOR,
  type AdminTarget, type AdminActor, type AdminCheck, type PublicUser, type UserUpdate
} from './admin/operations.js'
export { missingAdminMethods, isAdminStore, type AdminStore } from './admin/store-support.js'
export { checkAdminChange, holdsAdminRole, type AdminRules, type AdminChange } from './admin/rules.js'
export { encodeUserCursor, decodeUserCursor } from './admin/user-cursor.js'
export { USER_QUERY_PATTERN } from './http/routes/admin-schemas.js'
export type { AdminAction, AdminActionEvent, AdminChanges } from './events.js'
export {
  AUDIT_MAPPINGS, AUDIT_TYPES, adminActionEntry, auditRecord, createAuditWriter, queryAudit, keyRotationEntry, DEFAULT_AUDIT_PAGE, MAX_AUDIT_PAGE,
  type AuditEntry, type AuditMappings, type KeyRingChange, type AuditWriter, type AuditQuery, type AuditItem, type AuditPage
} from './audit/index.js'
