// Which store a user command (`user add`, `user revoke-sessions`) works on.
import type { StoreOption } from '@authgate/fastify'
import { loadConfig } from '../config.js'

/** The store a user command works on: the configuration's store.mongodb, else MONGODB_URL (database "authgate"). */
export function userStoreOption (file: string | undefined, purpose: string): StoreOption {
  const mongoUrl = process.env.MONGODB_URL
  const storeOption = file === undefined
    ? (mongoUrl === undefined || mongoUrl === '' ? undefined : { mongodb: { url: mongoUrl, database: 'authgate' } })
    : loadConfig(file).store
  if (storeOption === undefined) {
    throw new Error(file === undefined
      ? 'give --config FILE (with store.mongodb) or set MONGODB_URL'
      : `${file} has no store.mongodb: ${purpose}`)
  }
  return storeOption
}
