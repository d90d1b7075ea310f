// Security and lifecycle events: option hooks (`events: { newDevice, … }`) and listeners on `app.authgate.events`.
// A listener that throws or rejects is logged and forgotten: an event must never break the request that caused it.
// Events carry ids, addresses and classifications, never tokens, hashes, passwords or cookies — except the two
// delivery events (passwordReset, emailVerification), whose one-time link is what they exist to deliver.

/** `login`: a session was issued (password login, OIDC sign-in, or `app.authgate.sessions.issue`). */
export interface LoginEvent {
  userId: string
  sessionId: string
  /** Opaque id derived from the device cookie (http/cookies.ts), never the cookie's value. */
  deviceId: string
  ip: string
  userAgent: string
  at: Date
}

/**
 * Why a password login was refused, as a class (never the password, never the attempted email): `unknown-user` (no
 * such account, or one without a password), `bad-password`, `rejected` (verifyCredentials or the upstream user source
 * said no: which of the two it cannot tell), `locked` (the account lockout), `disabled` (the
 * account is disabled: AUTH_USER_DISABLED), `unverified` (auth.requireVerifiedEmail and an unverified email:
 * AUTH_EMAIL_UNVERIFIED), `rate-limited` (the per-IP limit),
 * `invalid-request` (a body the schema refused), `unavailable` (the store or user source could not answer), `refused`
 * (any other refusal, e.g. a cross-site Origin).
 */
export type LoginFailureReason =
  'unknown-user' | 'bad-password' | 'rejected' | 'locked' | 'disabled' | 'unverified' | 'rate-limited' | 'invalid-request' | 'unavailable' | 'refused'

/** A password login answered with an error. Emitted once the answer is sent: it never delays the login. */
export interface LoginFailedEvent {
  reason: LoginFailureReason
  /** The account the email named, when it exists and the refusal came after the password check (`bad-password`). */
  userId: string | null
  ip: string
  userAgent: string
  at: Date
}

/** `logout`: sessions ended by their user (logout, logout-all, revoking one or the others). */
export interface LogoutEvent {
  userId: string
  /** Ids of the sessions ended. */
  sessionIds: string[]
  /** `logout` (the refresh cookie), `logout-all`, `revoke-session`, `revoke-others`. */
  reason: 'logout' | 'logout-all' | 'revoke-session' | 'revoke-others'
  /**
   * Set when the user is a trusted external issuer's (tokens.trustedIssuers): `userId` is then that issuer's `sub`,
   * not an authgate user, and `sessionIds` is empty (its tokens were revoked by subject).
   */
  issuer?: string
  ip: string
  /** The user agent of the request that logged out (bounded, as sessions keep it). */
  userAgent?: string
  at: Date
}

/** `newDevice`: a login from a device unknown for that user (what "was this you?" mails are sent on). */
export interface NewDeviceEvent {
  userId: string
  /** Opaque id derived from the device cookie (http/cookies.ts), never the cookie's value. */
  deviceId: string
  sessionId: string
  ip: string
  userAgent: string
  at: Date
}

/**
 * A login or refresh from a network (notifications.ipPrefix: /24, /64 by default) the user was not seen in within
 * notifications.ipMemory. Never for the first sighting of a user (their first sign-in): there is nothing to compare
 * it with, and a notification for every new account teaches users to ignore them. Emitted after the request has
 * been answered (the check runs off the request path).
 */
export interface NewIpEvent {
  userId: string
  sessionId: string
  /** The address of the user's previous login or refresh, in another network (or one not seen for ipMemory). */
  previousIp: string
  ip: string
  /** The network `ip` was counted in, e.g. `203.0.113.0/24`. */
  network: string
  userAgent: string
  /** `login` or `refresh`: what brought the user from the new address. */
  via: 'login' | 'refresh'
  at: Date
}

/**
 * `race`: the same client (same IP and user agent) shortly after the rotation: most likely a lost response or a
 * slow tab. `stale`: the same client long after (a restored backup, a sleeping tab). `theft`: another IP or user
 * agent presented a token its rightful holder had already rotated. A heuristic: all three are reuse.
 */
export type ReuseClassification = 'race' | 'stale' | 'theft'

/** `refreshReuse`: a retired refresh token presented again after the grace window, classified race, stale or theft. */
export interface RefreshReuseEvent {
  userId: string
  sessionId: string
  familyId: string
  classification: ReuseClassification
  /** Ms since the presented token was retired (a lower bound when it is not the most recently retired one). */
  sinceRotationMs: number
  ipChanged: boolean
  userAgentChanged: boolean
  /** Whether the session was revoked (`reuseDetection: 'revoke'`). */
  revoked: boolean
  ip: string
  userAgent: string
  at: Date
}

/**
 * A password reset was asked for an existing account (POST /password/forgot): deliver `link` to `email`. Emitted
 * off the request path (the answer never waits for it, nor tells whether the account exists). Unlike the other
 * events it carries a secret — the one-time `token`, also inside `link` — because delivering it is its purpose:
 * send it to the user and nowhere else (never to a log).
 */
export interface PasswordResetEvent {
  userId: string
  email: string
  link: string
  token: string
  expiresAt: Date
  ip: string
  at: Date
}

/** A verification link for the user's email (POST /email/verify/request). Carries its token: see PasswordResetEvent. */
export type EmailVerificationEvent = PasswordResetEvent

export interface PasswordChangedEvent {
  userId: string
  /** `reset`: through a reset link; `change`: the signed-in user gave the current password. */
  via: 'reset' | 'change'
  ip: string
  userAgent: string
  at: Date
}

export interface EmailVerifiedEvent {
  userId: string
  ip: string
  at: Date
}

/** What an admin did (admin API, or the gateway CLI with actorId `cli`): admin/action-event.ts builds it. */
export type AdminAction = 'user.update' | 'user.delete' | 'user.password' | 'sessions.revoke'

/** One change of an admin action: the value before and after (a password change says only that it changed). */
export interface AdminChanges {
  roles?: { from: string[], to: string[] }
  disabled?: { from: boolean, to: boolean }
  /** The password was replaced (never the password or its hash). */
  password?: true
  /** Ids of the sessions revoked (by `sessions.revoke`, `user.delete`, or a disable). */
  revokedSessionIds?: string[]
  /** A later step failed (the store, say): these changes were made, the rest was not. Retrying the action finishes it. */
  incomplete?: true
}

export interface AdminActionEvent {
  /** The acting admin's user id, or `cli` for the gateway's command line. */
  actorId: string
  action: AdminAction
  targetUserId: string
  changes: AdminChanges
  /** The admin's address (request.ip); null from the command line. */
  ip: string | null
  at: Date
}

/** Every event the plugin emits, by name, with its payload: the option hooks (`events`) and `app.authgate.events`. */
export interface AuthgateEventMap {
  login: LoginEvent
  loginFailed: LoginFailedEvent
  logout: LogoutEvent
  newDevice: NewDeviceEvent
  newIp: NewIpEvent
  refreshReuse: RefreshReuseEvent
  passwordReset: PasswordResetEvent
  emailVerification: EmailVerificationEvent
  passwordChanged: PasswordChangedEvent
  emailVerified: EmailVerifiedEvent
  adminAction: AdminActionEvent
}

/** The name of an event: a key of AuthgateEventMap. */
export type AuthgateEventName = keyof AuthgateEventMap
/** A listener of one event. A listener that throws or rejects is logged; it never fails the request. */
export type AuthgateListener<K extends AuthgateEventName> = (event: AuthgateEventMap[K]) => void | Promise<void>
/** The `events` option: a listener per event name, each optional. */
export type AuthgateEventHooks = { [K in AuthgateEventName]?: AuthgateListener<K> }

export interface EventLogger {
  warn: (object: Record<string, unknown>, message: string) => void
}

/** `app.authgate.events`: add and remove listeners at run time (`on`, `off`); the plugin emits through it. */
export interface AuthgateEvents {
  on: <K extends AuthgateEventName>(name: K, listener: AuthgateListener<K>) => void
  off: <K extends AuthgateEventName>(name: K, listener: AuthgateListener<K>) => void
  emit: <K extends AuthgateEventName>(name: K, event: AuthgateEventMap[K]) => void
  /** Whether `name` has a hook or a listener now (work done only for a listener can be skipped). */
  listening: (name: AuthgateEventName) => boolean
}

const SECRET_EVENTS: ReadonlySet<AuthgateEventName> = new Set(['passwordReset', 'emailVerification'])

function errorKind (error: unknown): { name?: string, code?: unknown } {
  const code = (error as { code?: unknown } | null)?.code
  return { ...(error instanceof Error ? { name: error.name } : {}), ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}) }
}

export function createEvents (hooks: AuthgateEventHooks, logger: EventLogger): AuthgateEvents {
  const listeners = new Map<AuthgateEventName, Set<AuthgateListener<AuthgateEventName>>>()
  const report = (name: AuthgateEventName, error: unknown): void => {
    // The events of links carry the token: a listener's error (a mail library's, say) may quote it, so only its
    // kind is logged.
    const err = SECRET_EVENTS.has(name) ? errorKind(error) : error
    logger.warn({ event: name, err }, 'authgate: an event listener failed')
  }
  const call = <K extends AuthgateEventName>(name: K, listener: AuthgateListener<K>, event: AuthgateEventMap[K]): void => {
    try {
      const result: unknown = listener(event)
      // Any thenable, not only native promises (`instanceof Promise` misses them): a rejection is reported, never
      // left unhandled.
      if (typeof (result as { then?: unknown } | null)?.then === 'function') {
        Promise.resolve(result).catch((error: unknown) => { report(name, error) })
      }
    } catch (error) {
      report(name, error)
    }
  }
  return {
    on (name, listener) {
      let set = listeners.get(name)
      if (set === undefined) listeners.set(name, set = new Set())
      set.add(listener as AuthgateListener<AuthgateEventName>)
    },
    off (name, listener) {
      listeners.get(name)?.delete(listener as AuthgateListener<AuthgateEventName>)
    },
    listening (name) {
      return hooks[name] !== undefined || (listeners.get(name)?.size ?? 0) > 0
    },
    emit (name, event) {
      const hook = hooks[name]
      if (hook !== undefined) call(name, hook, event)
      for (const listener of listeners.get(name) ?? []) call(name, listener as AuthgateListener<typeof name>, event)
    }
  }
}
