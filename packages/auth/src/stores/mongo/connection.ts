// The MongoClient behind MongoSessionStore, and the client-side limits the driver does not give on its own:
//
// - A deadline on every store call. `maxTimeMS` is enforced by the server only, and the driver's `timeoutMS` (CSOT)
//   is a no-op in driver 7.x, so a server that keeps its sockets open but answers nothing (hung, SIGSTOP) would hold
//   a request forever. The store answers 503 at the deadline instead; the driver operation is left to finish or to
//   fail on `socketTimeoutMS` in the background. On a client the store owns, the deadline counts from the last
//   reply of the server (command monitoring), so a call that is making progress (the rotation's bounded wait for a
//   concurrent rotation: many quick reads) is not cut off; a hard cap still bounds it.
// - Connecting again after a failed connect. When the first connect fails (database down at boot), the driver closes
//   the client's topology for good (every later operation: MongoTopologyClosedError); `client.connect()` again builds
//   a new one. One connect is in flight at a time, shared by every caller, so an outage does not stampede.
// - Replacing a stuck client. After a restart under traffic the driver's client can stay unusable (pool paused,
//   "connection N closed" on every call) for a long time while a fresh client works at once. When failures last
//   longer than a short window, a fresh client is connected as a probe; if the server answers it, it takes over.
//
// Reconnecting and replacing only apply to a client the store created itself: an application's client is the
// application's to manage (it gets the deadline only).
//
// The driver is an optional peer (stores/mongo/driver.ts): a client from a url is created by the first call, once the
// driver is loaded, never in the constructor: by `prepare()` (the plugin's registration) or else by the first call.
// A url the driver refuses (`?tls=maybe`, a bad port) is a configuration error, not an outage: it stops the
// registration with the driver's own error, and a later call rejects with it too (never a 503 that promises a retry).
import type { CommandStartedEvent, Db, MongoClient, MongoClientOptions } from 'mongodb'
import { AuthError } from '../../errors.js'
import { loadMongoDriver, type MongoDriver } from './driver.js'

/** The MongoDB store's server selection and per-operation limits (milliseconds) when not given. */
export const DEFAULT_MONGO_TIMEOUT_MS = 3000

const configurationErrors = new WeakSet<object>()

/** Whether `error` is the driver's refusal of the store's url or client options (no retry can cure it). */
export function isStoreConfigurationError (error: unknown): boolean {
  return typeof error === 'object' && error !== null && configurationErrors.has(error)
}

/** A store call that had no answer within its deadline (the cause of the 503, for logs). */
export class StoreDeadlineError extends Error {
  constructor (ms: number) {
    super(`session store call gave no answer within ${ms} ms`)
    this.name = 'StoreDeadlineError'
  }
}

export interface MongoConnectionOptions {
  /** An existing client (borrowed: never connected, replaced or closed here), or a url to create one. */
  client?: MongoClient
  url?: string
  /** Options of the clients created from `url`. */
  clientOptions: MongoClientOptions
  database: string
  /** Client-side limit of one store call (connect included) without any reply of the server. */
  deadlineMS: number
  /** How long failures must last before a fresh client is probed, and the least time between two probes. */
  replaceAfterMS: number
  /** Told of every command the clients created here send (their replacements included). */
  onCommandStarted?: (event: CommandStartedEvent) => void
}

export class MongoConnection {
  readonly #url: string | undefined
  readonly #clientOptions: MongoClientOptions
  readonly #database: string
  readonly #deadlineMS: number
  readonly #replaceAfterMS: number
  readonly #onCommandStarted: ((event: CommandStartedEvent) => void) | undefined
  readonly #owned: boolean
  /** Undefined until the first call of a store that creates its own client (the driver is loaded then). */
  #client: MongoClient | undefined
  #db: Db | undefined
  /** Owned client only: the connect of the current client, in flight or done (undefined: connect on next call). */
  #connected: Promise<void> | undefined
  /** The current client connected once: later failures are the client's or the server's, not a boot failure. */
  #everConnected = false
  /** Start of the current run of failed calls (undefined while calls succeed). */
  #failingSince: number | undefined
  #probing = false
  #lastProbe = 0
  /** Replaced clients, closed a little later so their in-flight operations can still finish. */
  readonly #retired = new Set<MongoClient>()
  #closed = false
  /** When the server last answered a command of an owned client (0: unknown, e.g. a borrowed client). */
  #lastReply = 0
  readonly #onReply = (): void => { this.#lastReply = Date.now() }

  constructor (options: MongoConnectionOptions) {
    this.#clientOptions = options.clientOptions
    this.#database = options.database
    this.#deadlineMS = options.deadlineMS
    this.#replaceAfterMS = options.replaceAfterMS
    this.#onCommandStarted = options.onCommandStarted
    if (options.client !== undefined) {
      this.#url = undefined
      this.#owned = false
      this.#client = options.client
      // The application connects its client (or lets the driver auto-connect); nothing to wait for here.
      this.#connected = Promise.resolve()
    } else {
      if (options.url === undefined) throw new Error('store.mongodb needs a url or a client')
      this.#url = options.url
      this.#owned = true
    }
    this.#db = this.#client?.db(this.#database)
  }

  /**
   * The database handle of the current client (it changes when a stuck client is replaced). Read inside an
   * operation given to `run`: before the first call, a store that creates its own client has none yet.
   */
  get db (): Db {
    if (this.#db === undefined) throw new Error('store.mongodb: no client before the first store call')
    return this.#db
  }

  /**
   * Loads the driver and creates the client from the url now, so that the caller (the plugin's registration) is
   * stopped by a url the driver refuses, with the driver's error. Nothing to do for a borrowed client.
   */
  async prepare (): Promise<void> {
    const driver = await loadMongoDriver()
    if (!this.#closed && this.#client === undefined) this.#use(this.#create(driver))
  }

  /**
   * Runs one store call: connects first when needed, and rejects with StoreDeadlineError if the whole call has not
   * settled within the deadline (`deadlineMS`, default the store's request budget). Driver errors are passed
   * through unchanged (the store maps them to 503).
   */
  async run<T> (operation: () => Promise<T>, deadlineMS = this.#deadlineMS): Promise<T> {
    // Outside the deadline and the failure count: a missing driver is not an outage, and says which package to install.
    const driver = await loadMongoDriver()
    // Checked after the load: a store closed meanwhile must not create a client (one nobody would close).
    if (this.#closed) throw new Error('session store closed')
    if (this.#client === undefined) this.#use(this.#create(driver))
    const work = this.#connect().then(operation)
    try {
      const result = await withDeadline(work, deadlineMS, () => this.#lastReply)
      this.#succeeded()
      return result
    } catch (error) {
      // A server error (duplicate key, MaxTimeMSExpired, ...) or a refusal of the store's own logic is an answer:
      // the connection works. The store's own 503 (a rotation out of budget) says nothing either way. Anything else
      // (network, server selection, closed topology, deadline) is a failure.
      if (error instanceof AuthError && error.code === 'AUTH_STORE_UNAVAILABLE') throw error
      if (error instanceof driver.MongoServerError || error instanceof AuthError) this.#succeeded()
      else this.#failed()
      throw error
    }
  }

  async close (): Promise<void> {
    this.#closed = true
    if (!this.#owned) return
    const clients = [...(this.#client === undefined ? [] : [this.#client]), ...this.#retired]
    this.#retired.clear()
    await Promise.all(clients.map((client) => client.close()))
  }

  #use (client: MongoClient): void {
    this.#client = client
    this.#db = client.db(this.#database)
  }

  /**
   * A client from the url; its command replies keep calls in progress alive (see withDeadline). The constructor
   * parses the url: its error is marked as a configuration error (isStoreConfigurationError) and thrown unchanged.
   */
  #create (driver: typeof MongoDriver): MongoClient {
    let client: MongoClient
    try {
      client = new driver.MongoClient(this.#url as string, { ...this.#clientOptions, monitorCommands: true })
    } catch (error) {
      if (typeof error === 'object' && error !== null) configurationErrors.add(error)
      throw error
    }
    client.on('commandSucceeded', this.#onReply)
    if (this.#onCommandStarted !== undefined) client.on('commandStarted', this.#onCommandStarted)
    return client
  }

  /** Owned client: one connect in flight, shared by every caller; a failed connect is tried again by the next call. */
  #connect (): Promise<void> {
    if (this.#connected !== undefined) return this.#connected
    // Set by run() before it connects: a borrowed client from the start, an owned one from the first call.
    const client = this.#client as MongoClient
    const connecting = client.connect().then(() => {
      if (this.#client === client) this.#everConnected = true
    }, (error: unknown) => {
      // The driver has closed this attempt's topology; `connect()` on the same client builds a new one.
      if (this.#client === client && this.#connected === connecting) this.#connected = undefined
      throw error
    })
    this.#connected = connecting
    return connecting
  }

  #succeeded (): void {
    this.#failingSince = undefined
  }

  #failed (): void {
    const now = Date.now()
    this.#failingSince ??= now
    // Before the first successful connect the reconnect path handles it; a borrowed client is never replaced.
    if (!this.#owned || this.#closed || !this.#everConnected || this.#probing) return
    if (now - this.#failingSince < this.#replaceAfterMS || now - this.#lastProbe < this.#replaceAfterMS) return
    this.#lastProbe = now
    this.#probing = true
    void this.#probe().finally(() => { this.#probing = false })
  }

  /** Connects a fresh client; if the server answers it, it replaces the failing one. Never rejects. */
  async #probe (): Promise<void> {
    // Only after calls went through run(), which loaded the driver.
    const fresh = this.#create(await loadMongoDriver())
    try {
      await withDeadline(fresh.connect().then(() => fresh.db(this.#database).command({ ping: 1 })), this.#deadlineMS, () => 0)
    } catch {
      // The server does not answer a new client either: an outage, not a stuck client. Keep the current one.
      fresh.close().catch(() => undefined)
      return
    }
    if (this.#closed || this.#failingSince === undefined) {
      // Closed meanwhile, or the current client recovered by itself: the probe is not needed.
      fresh.close().catch(() => undefined)
      return
    }
    const old = this.#client as MongoClient
    this.#use(fresh)
    this.#connected = Promise.resolve()
    this.#everConnected = true
    this.#failingSince = undefined
    this.#retired.add(old)
    // Calls already running on the old client get until their own deadline to finish before it is closed.
    setTimeout(() => {
      if (!this.#retired.delete(old)) return
      old.close().catch(() => undefined)
    }, this.#deadlineMS).unref()
  }
}

/** However recent the server's replies, a store call gives up after this many deadlines. */
const HARD_CAP_DEADLINES = 3

/**
 * Settles like `work`, or rejects with StoreDeadlineError once `ms` have passed since the later of its start and
 * the server's last reply (`lastReply`), and at the latest after HARD_CAP_DEADLINES × `ms`. A late rejection of
 * `work` is ignored.
 */
async function withDeadline<T> (work: Promise<T>, ms: number, lastReply: () => number): Promise<T> {
  const started = Date.now()
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    const check = (): void => {
      const now = Date.now()
      const quietFor = now - Math.max(started, lastReply())
      const left = Math.min(ms - quietFor, started + HARD_CAP_DEADLINES * ms - now)
      if (left <= 0) reject(new StoreDeadlineError(now - started))
      else timer = setTimeout(check, left)
    }
    timer = setTimeout(check, ms)
  })
  work.catch(() => undefined)
  try {
    return await Promise.race([work, deadline])
  } finally {
    clearTimeout(timer)
  }
}
