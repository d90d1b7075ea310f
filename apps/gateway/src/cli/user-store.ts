// Which store a user command (`user add`, `user revoke-sessions`) works on.
import type { StoreOption } from '@authgate/fastify'
import { loadConfig } from '../config.js'
import { MISSING_CONFIG, UsageError } from './args.js'

/**
 * The store a user command works on: the configuration's store.mongodb, else MONGODB_URL (database "authgate").
 * `usage`: the sub-verb's, printed after a usage error (the whole group's would bury the answer).
 */
export function userStoreOption (file: string | undefined, purpose: string, usage: string): StoreOption {
  const mongoUrl = process.env.MONGODB_URL
  const storeOption = file === undefined
    ? (mongoUrl === undefined || mongoUrl === '' ? undefined : { mongodb: { url: mongoUrl, database: 'authgate' } })
    : loadConfig(file).store
  // A missing argument is a usage error (exit 2), as on every verb; a file without a store is a bad file (exit 1).
  if (storeOption === undefined && file === undefined) throw new UsageError(`${MISSING_CONFIG} (with store.mongodb), or set MONGODB_URL`, usage)
  if (storeOption === undefined) throw new Error(`${file ?? ''} has no store.mongodb: ${purpose}`)
  return storeOption
}
