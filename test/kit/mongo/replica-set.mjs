// A MongoDB-wire server with change streams for the replica-set-only tests (issue #17): the test database itself
// when MONGODB_URL names a replica set (or a mongos); else, on the mongo-java-server leg of the matrix, a private
// mongo-java-server launcher in replica-set mode, started for the calling test file and stopped on its teardown.
// Anything else (FerretDB, a standalone mongod) has no change streams: the caller skips with the reason given.
import { MongoClient } from 'mongodb'
import { builtMongoJavaServer, ensureMongoJavaServer, mongoJavaServerKind, spawnMongoJavaServer } from './mongo-java-server.mjs'

const REPLICA_SET = 'rs0'

async function hasChangeStreams (url) {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 })
  try {
    const hello = await client.db('admin').command({ hello: 1 })
    return (typeof hello.setName === 'string' && hello.setName.length > 0) || hello.msg === 'isdbgrid'
  } finally {
    await client.close()
  }
}

/**
 * @param {import('tap').Test} t the test (or file) whose teardown stops a server started here
 * @returns {Promise<{ url: string, kind: string, stop: () => Promise<void> } | { skip: string }>}
 *   stop: kills a private server at once (for tests of a server that goes away); a no-op for MONGODB_URL
 */
export async function useReplicaSet (t) {
  const url = process.env.MONGODB_URL
  if (url && await hasChangeStreams(url)) return { url, kind: process.env.AUTHGATE_TEST_DB_KIND ?? 'MONGODB_URL', stop: async () => {} }
  if (!(process.env.AUTHGATE_TEST_DB_KIND ?? '').startsWith('mongo-java-server')) {
    return { skip: 'needs a replica set: MONGODB_URL pointing at one, or AUTHGATE_TEST_DB=mongo-java-server (FerretDB/standalone have no change streams)' }
  }
  const dir = builtMongoJavaServer() ?? ensureMongoJavaServer()
  const { url: rsUrl, child } = await spawnMongoJavaServer(dir, { replicaSet: REPLICA_SET, stderr: 'ignore' })
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGKILL')
  })
  t.teardown(stop)
  return { url: rsUrl, kind: mongoJavaServerKind(REPLICA_SET), stop }
}
