// POST /register and POST /login. Unknown email and wrong password answer identically (status, body, headers) and
// take the same time: an unknown user still pays one argon2 verification against a dummy hash.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AuthError } from '../errors.js'
import { verifyDummy, verifyPassword } from '../passwords.js'
import { isIdentifier, isRoleList } from '../tokens/claims.js'
import { addUser, findUserByEmail, normaliseEmail } from '../stores/users.js'
import { clientInfo } from '../sessions/client-info.js'
import type { SessionUser } from '../sessions/service.js'
import type { VerifiedUser } from '../options.js'
import { sendSession, type RouteContext } from './context.js'
import { CREDENTIALS_BODY_LIMIT, credentialsBody, strictCredentials, type CredentialsBody } from './schemas.js'

export function credentialRoutes (app: FastifyInstance, context: RouteContext): void {
  const { options, store, sessions, cookies, lockout } = context
  const limits = options.rateLimit
  const registrationOpen = options.registration && options.verifyCredentials === undefined

  // With registration off the route does not exist, so the auth context's not-found handler answers 404 before any
  // body validation (DESIGN: "404 when registration is off", whatever the body).
  if (registrationOpen) {
    app.post<{ Body: CredentialsBody }>('/register', {
      bodyLimit: CREDENTIALS_BODY_LIMIT,
      preValidation: strictCredentials,
      schema: { body: credentialsBody },
      config: limits === false ? {} : { rateLimit: { max: limits.register.max, timeWindow: limits.register.timeWindowMs } }
    }, async (request, reply) => {
      const { email, password } = request.body
      const user = await addUser(store, { email, password, roles: options.defaultRoles })
      return reply.code(201).send({ user: { id: user.id, email: user.email, roles: user.roles } })
    })
  }

  async function verify (email: string, password: string, request: FastifyRequest): Promise<SessionUser | null> {
    if (options.verifyCredentials !== undefined) {
      // Typed as unknown: the function may come from plain JavaScript and answer anything.
      let verified: unknown
      try {
        verified = await options.verifyCredentials(email, password, request)
      } catch (error) {
        // The user source failing is an outage (503), never a wrong password.
        if (error instanceof AuthError) throw error
        throw new AuthError('AUTH_STORE_UNAVAILABLE', { cause: error, retryAfter: 5 })
      }
      if (verified === null || verified === undefined || verified === false) return null
      const { id, email: verifiedEmail, roles = [] } = verified as Partial<VerifiedUser>
      // A user source answering with a malformed user is broken, like one that does not answer: never a 500.
      if (!isIdentifier(id) || !isRoleList(roles) || (verifiedEmail !== undefined && typeof verifiedEmail !== 'string')) {
        throw new AuthError('AUTH_STORE_UNAVAILABLE', { cause: new Error('verifyCredentials resolved an invalid user'), retryAfter: 5 })
      }
      return { id, email: verifiedEmail ?? null, roles: [...roles] }
    }
    const user = await findUserByEmail(store, email)
    if (user?.passwordHash === undefined) return verifyDummy(password).then(() => null)
    return await verifyPassword(user.passwordHash, password) ? { id: user.id, email: user.email, roles: user.roles } : null
  }

  app.post<{ Body: CredentialsBody }>('/login', {
    bodyLimit: CREDENTIALS_BODY_LIMIT,
    preValidation: strictCredentials,
    schema: { body: credentialsBody },
    config: limits === false ? {} : { rateLimit: { max: limits.login.max, timeWindow: limits.login.timeWindowMs } }
  }, async (request, reply) => {
    const { email, password } = request.body
    const account = normaliseEmail(email)
    // Reserved before the password is checked: during a lockout the right password must not be distinguishable,
    // and attempts in flight count, so parallel guesses cannot all be verified before the first failure lands.
    // A shared lockout (Redis) that cannot answer rejects with 503: never an unlimited attempt.
    const wait = await lockout?.reserve(account) ?? 0
    if (wait > 0) throw new AuthError('AUTH_RATE_LIMITED', { retryAfter: wait })
    let user: SessionUser | null
    try {
      user = await verify(email, password, request)
    } catch (error) {
      await lockout?.release(account)
      throw error
    }
    if (user === null) {
      // Ends the reservation and counts the failure in one step: a release first would leave a moment in which
      // the attempt counts as neither, and a parallel guess could take its slot.
      await lockout?.recordFailure(account)
      throw new AuthError('AUTH_INVALID_CREDENTIALS')
    }
    await lockout?.recordSuccess(account)
    // A refresh cookie already present (perhaps planted) is ignored: every login starts a new family.
    const issued = await sessions.issue(user, clientInfo(request), cookies.device(request, reply))
    return sendSession(context, reply, issued)
  })
}
