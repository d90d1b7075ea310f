// POST /register and POST /login. Unknown email and wrong password answer identically (status, body, headers) and
// take the same time: an unknown user still pays one argon2 verification against a dummy hash.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AuthError } from '../../errors.js'
import { verifyDummy, verifyPassword } from '../../users/passwords.js'
import { addUser, findUserByEmail } from '../../users/add-user.js'
import { presentEmail } from '../../stores/user-email.js'
import { clientInfo } from '../../sessions/client-info.js'
import type { SessionUser } from '../../sessions/service.js'
import { askSource, readSourceUser } from '../../sessions/user-source.js'
import { sendSession, type RouteContext } from './context.js'
import { beginLoginAttempt } from '../../limits/login-lockout.js'
import { loginFailureNotes } from './login-failures.js'
import { CREDENTIALS_BODY_LIMIT, credentialsBody, strictCredentials, type CredentialsBody } from './schemas.js'
import { BODY_ERRORS, documented, INTERNAL_ERROR, NO_SECURITY, RATE_LIMITED, errorResponses, registeredAnswer, sessionAnswer } from './docs.js'

export function credentialRoutes (app: FastifyInstance, context: RouteContext): void {
  const { options, store, sessions, cookies, lockout } = context
  const limits = options.rateLimit
  const registrationOpen = options.registration && options.verifyCredentials === undefined

  // With registration off the route does not exist, so the auth context's not-found handler answers 404 before any
  // body validation (docs/design.md#http-contract: 404 when registration is off, whatever the body).
  if (registrationOpen) {
    app.post<{ Body: CredentialsBody }>('/register', {
      bodyLimit: CREDENTIALS_BODY_LIMIT,
      preValidation: strictCredentials,
      schema: documented({
        tags: ['auth'],
        summary: 'Create an account',
        description: 'Open only with `registration` on and no `verifyCredentials` (else 404). The email must be new: ' +
          'taken emails answer 409 without saying whose.',
        security: NO_SECURITY,
        body: credentialsBody,
        response: {
          201: registeredAnswer,
          ...errorResponses({ ...BODY_ERRORS, 409: ['AUTH_EMAIL_TAKEN'], ...RATE_LIMITED, ...INTERNAL_ERROR, 503: ['AUTH_STORE_UNAVAILABLE'] })
        }
      }),
      config: { auth: 'none', ...(limits === false ? {} : { rateLimit: { max: limits.register.max, timeWindow: limits.register.timeWindowMs } }) }
    }, async (request, reply) => {
      const { email, password } = request.body
      const user = await addUser(store, { email, password, roles: options.defaultRoles })
      // Off the request path, like forgot: with requireVerifiedEmail the new user could otherwise never sign in.
      context.recovery?.service.offerVerification(user.id, clientInfo(request).ip)
      return reply.code(201).send({ user: { id: user.id, email: user.email, roles: user.roles } })
    })
  }

  const failures = loginFailureNotes(context.events)

  async function verify (email: string, password: string, request: FastifyRequest): Promise<SessionUser | null> {
    const { verifyCredentials } = options
    if (verifyCredentials !== undefined) {
      // Typed as unknown: the function may come from plain JavaScript and answer anything.
      const verified: unknown = await askSource(async () => verifyCredentials(email, password, request))
      const user = readSourceUser(verified, 'verifyCredentials')
      if (user === null) failures.note(request, 'rejected')
      return user
    }
    const user = await findUserByEmail(store, email)
    if (user?.passwordHash === undefined) {
      failures.note(request, 'unknown-user')
      return verifyDummy(password).then(() => null)
    }
    if (!await verifyPassword(user.passwordHash, password)) {
      failures.note(request, 'bad-password', user.id)
      return null
    }
    // Only now, with the right password: a disabled account is not told apart from a wrong password otherwise.
    if (user.disabled === true) {
      failures.note(request, 'disabled', user.id)
      throw new AuthError('AUTH_USER_DISABLED')
    }
    return { id: user.id, email: presentEmail(user.email), roles: user.roles, emailVerified: user.emailVerified === true }
  }

  app.post<{ Body: CredentialsBody }>('/login', {
    bodyLimit: CREDENTIALS_BODY_LIMIT,
    preValidation: strictCredentials,
    schema: documented({
      tags: ['auth'],
      summary: 'Sign in with email and password',
      description: `Answers an access token and sets the refresh cookie \`${options.cookie.name}\` (HttpOnly, path ` +
        `${options.prefix}). An unknown email and a wrong password answer alike; repeated failures lock the account ` +
        'for a while (429).',
      security: NO_SECURITY,
      body: credentialsBody,
      response: {
        200: sessionAnswer,
        ...errorResponses({
          ...BODY_ERRORS, 401: ['AUTH_INVALID_CREDENTIALS'], 403: ['AUTH_USER_DISABLED', 'AUTH_EMAIL_UNVERIFIED'], ...RATE_LIMITED, ...INTERNAL_ERROR,
          503: ['AUTH_STORE_UNAVAILABLE', 'AUTH_KEYS_UNAVAILABLE']
        })
      }
    }),
    config: { auth: 'none', ...(limits === false ? {} : { rateLimit: { max: limits.login.max, timeWindow: limits.login.timeWindowMs } }) },
    onRequest: failures.onRequest,
    onSend: failures.onSend
  }, async (request, reply) => {
    const { email, password } = request.body
    // Reserved before the password is checked: during a lockout the right password must not be distinguishable,
    // and attempts in flight count, so parallel guesses cannot all be verified before the first failure lands.
    // A lockout that cannot count (Redis down, the in-memory map full of live counts) rejects with 503: never an
    // unlimited attempt. Counted under a fold of the email and the user id (login-lockout.ts).
    const attempt = await beginLoginAttempt(lockout, email).catch((error: unknown) => {
      failures.note(request, 'locked')
      throw error
    })
    let user: SessionUser | null
    try {
      user = await verify(email, password, request)
    } catch (error) {
      await attempt.abort()
      throw error
    }
    if (user === null) {
      // Ends the reservation and counts the failure in one step: a release first would leave a moment in which
      // the attempt counts as neither, and a parallel guess could take its slot.
      await attempt.failed()
      throw new AuthError('AUTH_INVALID_CREDENTIALS')
    }
    const userId = user.id
    await attempt.succeeded(userId).catch((error: unknown) => {
      // The right password for an id locked under another spelling (login-lockout.ts): answered as a wrong one.
      failures.note(request, 'locked', userId)
      throw error
    })
    // Only now, the password verified: an unverified account is not told apart from a wrong password before that.
    if (options.recovery.requireVerifiedEmail && user.emailVerified !== true) {
      // The password proved the account is the caller's: a fresh link goes to its address (a lost or expired first
      // one must not lock the user out), bounded by the login limits.
      context.recovery?.service.offerVerification(user.id, clientInfo(request).ip)
      failures.note(request, 'unverified', userId)
      throw new AuthError('AUTH_EMAIL_UNVERIFIED')
    }
    // A refresh cookie already present (perhaps planted) is ignored: every login starts a new family.
    const issued = await sessions.issue(user, clientInfo(request), cookies.device(request, reply))
    return sendSession(context, reply, issued)
  })
}
