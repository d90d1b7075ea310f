// The admin API needs store methods that stores written before it may lack (stores/store.ts marks them optional).
import type { SessionStore } from '../stores/store.js'

const ADMIN_METHODS = ['listUsers', 'setUserDisabled', 'setUserPassword', 'deleteUser'] as const

/** A store that has every admin method. */
export type AdminStore = SessionStore & Required<Pick<SessionStore, typeof ADMIN_METHODS[number]>>

/** The admin methods `store` lacks (empty: it can serve the admin API and the CLI's user verbs). */
export function missingAdminMethods (store: SessionStore): string[] {
  return ADMIN_METHODS.filter((name) => typeof store[name] !== 'function')
}

export function isAdminStore (store: SessionStore): store is AdminStore {
  return missingAdminMethods(store).length === 0
}
