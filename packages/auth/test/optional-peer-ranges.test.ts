// The ranges MissingPeerError tells the user to install (OPTIONAL_PEERS) are the package's own optional
// peerDependencies (prom-client, optional too, is loaded its own way): the two cannot drift apart (issue #13 review).
import t from 'tap'
import { readFileSync } from 'node:fs'
import { OPTIONAL_PEERS } from '../src/internal/optional-peer.js'

interface Manifest {
  peerDependencies: Record<string, string>
  peerDependenciesMeta: Record<string, { optional?: boolean }>
}
const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as Manifest

t.test('each OPTIONAL_PEERS entry is an optional peerDependency of package.json, with the same range', async (t) => {
  t.same(Object.keys(OPTIONAL_PEERS).sort(), ['ioredis', 'mongodb', 'nodemailer'])
  for (const [name, range] of Object.entries(OPTIONAL_PEERS)) {
    t.equal(range, manifest.peerDependencies[name], `${name}: the range of peerDependencies`)
    t.equal(manifest.peerDependenciesMeta[name]?.optional, true, `${name}: optional`)
  }
})
