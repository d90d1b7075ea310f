// The change-stream feed over the MongoDB store (revocation/change-stream.ts holds the feed's logic): the driver's
// ChangeStream of the insert-only revocations collection, adapted to a RevocationWatchSource.
import type { ChangeStream, ChangeStreamDocument, ChangeStreamOptions, Document } from 'mongodb'
import { createChangeStreamFeed, type ChangeStreamFeedOptions, type RevocationFeed, type RevocationWatchSource } from './change-stream.js'
import type { TombstoneDoc } from '../stores/mongo/schema.js'

/** The store calls the feed needs (MongoSessionStore.hello / watchRevocations). */
export interface MongoRevocationWatch {
  hello: () => Promise<Document>
  watchRevocations: (pipeline: Document[], options: ChangeStreamOptions) => ChangeStream<TombstoneDoc, ChangeStreamDocument<TombstoneDoc>>
}

/** A RevocationWatchSource over the MongoDB store's revocations collection. */
export function mongoWatchSource (store: MongoRevocationWatch): RevocationWatchSource {
  return {
    hello: () => store.hello(),
    watch ({ resumeToken, maxAwaitTimeMS }) {
      // startAfter rather than resumeAfter: it also resumes after an `invalidate` (the collection dropped).
      const stream = store.watchRevocations([{ $match: { operationType: 'insert' } }], {
        maxAwaitTimeMS,
        ...(resumeToken === undefined ? {} : { startAfter: resumeToken })
      })
      return {
        async tryNext () {
          const change = await stream.tryNext()
          if (change?.operationType !== 'insert') return null
          const { _id: id, revokedAt } = change.fullDocument
          if (typeof id !== 'string') return null
          // A tombstone always has its time; a malformed one still revokes, from now.
          return { id, revokedAt: revokedAt instanceof Date && Number.isFinite(revokedAt.getTime()) ? revokedAt : new Date() }
        },
        get resumeToken () { return stream.resumeToken },
        get closed () { return stream.closed },
        close: () => stream.close()
      }
    }
  }
}

/**
 * The change-stream feed of a store that can watch its revocations (MongoSessionStore, or a wrapper with the same two
 * methods); undefined for any other store (memory, custom), which is polled only.
 */
export function changeStreamFeedFor (store: object, options: ChangeStreamFeedOptions = {}): RevocationFeed | undefined {
  const candidate = store as Partial<MongoRevocationWatch>
  if (typeof candidate.hello !== 'function' || typeof candidate.watchRevocations !== 'function') return undefined
  return createChangeStreamFeed(mongoWatchSource(candidate as MongoRevocationWatch), options)
}
