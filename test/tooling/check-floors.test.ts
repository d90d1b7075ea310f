// The floor check guards against a lockfile that drifts below a security fix; it must catch such a lockfile.
import t from 'tap'
import { below, resolvedVersions, violations } from '../../scripts/check-floors.mjs'

const lock = `packages:

  '@fastify/reply-from@12.6.3':
    resolution: {integrity: sha512-x}

  fast-jwt@6.3.6:
    resolution: {integrity: sha512-y}

  fastify@5.12.8:
    resolution: {integrity: sha512-z}

snapshots:

  mongodb@7.9.0(socks@2.8.11):
    dependencies: {}
`

t.test('compares versions numerically', async (t) => {
  t.ok(below('6.3.0', '6.3.1'))
  t.ok(below('5.10.0', '5.12.0'))
  t.notOk(below('5.12.8', '5.8.3'), '12 > 8 numerically, not as text')
  t.notOk(below('6.3.1', '6.3.1'))
})

t.test('reads name@version keys, scoped and with peer suffixes', async (t) => {
  const v = resolvedVersions(lock)
  t.same([...v.get('@fastify/reply-from') ?? []], ['12.6.3'])
  t.same([...v.get('mongodb') ?? []], ['7.9.0'])
})

t.test('flags a package below its floor and only that one', async (t) => {
  t.same(violations(lock), ['@fastify/reply-from@12.6.3 < 12.6.4'])
})
