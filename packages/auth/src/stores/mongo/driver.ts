// The official `mongodb` driver is an optional peer dependency (internal/optional-peer.ts): nothing in the plugin imports a
// value from it statically, so `import '@authgate/fastify'` works without it. It is loaded by the first call of a
// MongoDB store (stores/mongo/connection.ts), or at registration when `store.mongodb` is configured (plugin.ts), so that
// a missing package stops the start-up with an error that names it.
//
// The driver's error classes are read from the loaded module too. The checks below are asynchronous for that reason
// only: they run in catch blocks, after the driver produced the error, so the module is already loaded by then.
import type * as MongoDriver from 'mongodb'
import { importOptionalPeer } from '../../internal/optional-peer.js'

export type { MongoDriver }

let loading: Promise<typeof MongoDriver> | undefined

/** The `mongodb` module (imported once); rejects with MissingPeerError when it is not installed. */
export function loadMongoDriver (): Promise<typeof MongoDriver> {
  loading ??= importOptionalPeer('mongodb', 'store.mongodb', () => import('mongodb')).catch((error: unknown) => {
    // Not cached: installing the package and retrying must not need a restart of a long-lived process (the CLI's).
    loading = undefined
    throw error
  })
  return loading
}

/** The driver, or undefined when it cannot be loaded (then `error` cannot have come from it). */
async function driverIfAny (): Promise<typeof MongoDriver | undefined> {
  return loadMongoDriver().catch(() => undefined)
}

/** The code of a server's answer (duplicate key, NotImplemented…); undefined for any other error. */
export async function serverErrorCode (error: unknown): Promise<number | string | undefined> {
  const driver = await driverIfAny()
  return driver !== undefined && error instanceof driver.MongoServerError ? error.code : undefined
}

/** The write errors of an unordered bulk write that failed, undefined for any other error. */
export async function bulkWriteErrors (error: unknown): Promise<MongoDriver.WriteError[] | undefined> {
  const driver = await driverIfAny()
  if (driver === undefined || !(error instanceof driver.MongoBulkWriteError)) return undefined
  return ([] as MongoDriver.WriteError[]).concat(error.writeErrors)
}
