// The selection of test files that CI runs on the second MongoDB server (database-test-files.mjs): a file that reaches
// the database only through a helper, however deep, is in it; a file that merely imports product sources (which always
// contain the MongoDB store) is not.
import t from 'tap'
import { databaseTestFiles } from './database-test-files.mjs'

t.test('follows test helpers transitively and ignores product sources', async (t) => {
  const root = t.testdir({
    packages: {
      lib: {
        src: { 'store.ts': 'export const url = process.env.MONGODB_URL\n' },
        test: {
          helpers: {
            'app.ts': "import { deeper } from './deeper.js'\nexport const app = deeper\n",
            'deeper.ts': "import { useTestDatabase } from '@authgate/test-kit/database'\nexport const deeper = useTestDatabase\n",
            'cycle-a.ts': "import { b } from './cycle-b.js'\nexport const a = b\n",
            'cycle-b.ts': "import { a } from './cycle-a.js'\nexport const b = a\n"
          },
          'through-helper.test.ts': "import { app } from './helpers/app.js'\n",
          'direct.test.ts': 'const url = process.env.MONGODB_URL\n',
          'sources-only.test.ts': "import { url } from '../src/store.js'\n",
          'cycle.test.ts': "import { a } from './helpers/cycle-a.js'\n",
          'dynamic.test.ts': "const helper = await import('./helpers/app.js')\n"
        }
      }
    },
    apps: { gate: { test: { 'unit.test.ts': "import t from 'tap'\n" } } },
    test: { kit: { mongo: { 'per-test.mjs': 'export function useTestDatabase () {}\n' } }, 'smoke.test.ts': "import { useTestDatabase } from './kit/mongo/per-test.mjs'\n" }
  })
  t.same(databaseTestFiles(root), [
    'packages/lib/test/direct.test.ts',
    'packages/lib/test/dynamic.test.ts',
    'packages/lib/test/through-helper.test.ts',
    'test/smoke.test.ts'
  ])
})

t.test('the repository: the store contract and the fault tests are in, pure unit tests are out', async (t) => {
  const files = databaseTestFiles()
  for (const file of ['packages/auth/test/store-mongo.test.ts', 'packages/auth/test/routes-flow.test.ts', 'test/faults/database-killed.test.ts', 'test/kit/mongo/smoke.test.ts']) {
    t.ok(files.includes(file), file)
  }
  t.notOk(files.includes('test/tooling/tap-tally.test.ts'), 'a file with no database is left to the first server')
})
