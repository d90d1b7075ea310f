// The Fastify augmentation, checked by the type-check (`pnpm --filter @authgate/fastify typecheck` includes test/):
// each `@ts-expect-error` below fails the type-check if the augmentation stops refusing that misuse.
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import type { AccessClaims } from '../src/tokens/index.js'
import type { AuthClaims } from '../src/http/augmentation.js'

function typedRoutes (app: FastifyInstance): unknown[] {
  app.get('/me', { config: { auth: 'required', roles: ['admin'] }, preHandler: app.authenticate }, async (request) => {
    const user: AuthClaims | null = request.user
    const sub: string | undefined = request.user?.sub
    const roles: string[] | undefined = user?.roles
    // @ts-expect-error request.user may be null
    const sid: string = request.user.sid
    // @ts-expect-error claims are typed, not any
    const nothing: number = request.user?.sub
    return { sub, roles, sid, nothing }
  })
  // @ts-expect-error auth is 'required' | 'optional' | 'none'
  app.get('/bad', { config: { auth: 'sometimes' } }, async () => ({}))
  // @ts-expect-error roles is a list of role names
  app.get('/bad-roles', { config: { roles: 'admin' } }, async () => ({}))
  const outcome = app.authgate.authenticate({ authorization: 'Bearer x' })
  const seen: unknown[] = []
  if (outcome.ok) {
    const claims: AccessClaims = outcome.claims
    seen.push(claims)
  } else {
    const status: number = outcome.error.statusCode
    seen.push(status)
  }
  const verified = app.authgate.tokens.verify('x')
  // @ts-expect-error narrow on ok before reading claims
  seen.push(verified.claims)
  return seen
}

t.test('augmentation compiles as intended', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  t.equal(typeof typedRoutes, 'function', 'type-level test: see the type-check')
})
