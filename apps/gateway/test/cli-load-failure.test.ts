// A command module that fails to load (a broken install: a missing dependency, a syntax error in a build) is
// reported as that verb's failure, exit 1, not as a raw stack from the dispatcher (issue #12 review). A resolve hook
// stands in for the broken module: main's import of ./start.js resolves to a module that throws.
import t from 'tap'
import { register } from 'node:module'

const hooks = `
export async function resolve (specifier, context, next) {
  if (specifier === './start.js' && context.parentURL?.endsWith('/src/cli/main.ts')) {
    return { url: 'data:text/javascript,throw new Error("Cannot find package fastify")', shortCircuit: true }
  }
  return next(specifier, context)
}`
register(`data:text/javascript,${encodeURIComponent(hooks)}`, import.meta.url)

t.test('a verb whose module cannot be loaded: its name and the reason on stderr, exit 1', async (t) => {
  const { main } = await import('../src/cli/main.js')
  const errors: string[] = []
  const error = console.error
  console.error = (...args: unknown[]) => { errors.push(args.join(' ')) }
  let code: number
  try {
    code = await main(['start'])
  } finally {
    console.error = error
  }
  t.equal(code, 1)
  t.same(errors, ['authgate start: cannot load the command: Cannot find package fastify'])
})
