// `refreshUser`: a user source outside the store (a legacy system) is asked again at refresh who the session's
// user is now, so a demotion or a deletion there reaches the next access token instead of waiting for the session
// to end. Asked at most once per `intervalMs` per session: the login itself counts as the first answer, and the
// latest answer is remembered here (per process, bounded) until the interval has passed.
import { AuthError } from '../errors.js'
import type { RefreshUser } from '../users/types.js'
import type { SessionRecord } from '../stores/store.js'
import type { SessionUser } from './service.js'
import { askSource, readSourceUser } from './user-source.js'

/** Sessions whose latest answer is remembered. Forgetting one only means asking again sooner (the safe direction). */
const MAX_REMEMBERED = 50_000

export interface UserRecheckOptions {
  refreshUser: RefreshUser
  intervalMs: number
}

/**
 * The session's user as the source knows it now: the login's (or the latest answer's) within the interval, else
 * freshly asked. null: the source no longer knows the user. Rejects with AuthError 503 when the source cannot
 * answer or answers with a malformed or different user: the session is kept, the client retries.
 */
export type UserRecheck = (session: SessionRecord, now: Date) => Promise<SessionUser | null>

export function createUserRecheck (options: UserRecheckOptions): UserRecheck {
  const answers = new Map<string, { user: SessionUser, at: number }>()

  function remember (sessionId: string, user: SessionUser, at: number): void {
    answers.delete(sessionId)
    // Insertion order is age: the first key is the answer given longest ago.
    if (answers.size >= MAX_REMEMBERED) answers.delete(answers.keys().next().value as string)
    answers.set(sessionId, { user, at })
  }

  async function ask (session: SessionRecord, time: number): Promise<SessionUser | null> {
    const answer: unknown = await askSource(async () => options.refreshUser(session.userId, {
      id: session.id, userId: session.userId, email: session.email, roles: [...session.roles], createdAt: session.createdAt
    }))
    const user = readSourceUser(answer, 'refreshUser')
    if (user === null) {
      answers.delete(session.id)
      return null
    }
    // Another id for this user is a confused source, not a reason to hand the session to someone else.
    if (user.id !== session.userId) {
      throw new AuthError('AUTH_STORE_UNAVAILABLE', { cause: new Error('refreshUser resolved another user id'), retryAfter: 5 })
    }
    if (user.email === null) user.email = session.email
    remember(session.id, user, time)
    return user
  }

  // Refreshes of one session arriving together past the interval (a client's parallel tabs, or a flood of replays
  // of one cookie) share one lookup: the source is asked once, not once per request. Entries leave when settled.
  const inFlight = new Map<string, Promise<SessionUser | null>>()

  return async (session, now) => {
    const time = now.getTime()
    const known = answers.get(session.id)
    if (known !== undefined && time - known.at < options.intervalMs) return known.user
    if (known === undefined && time - session.createdAt.getTime() < options.intervalMs) {
      return { id: session.userId, email: session.email, roles: session.roles }
    }
    const pending = inFlight.get(session.id)
    if (pending !== undefined) return pending
    const asked = ask(session, time).finally(() => { inFlight.delete(session.id) })
    inFlight.set(session.id, asked)
    return asked
  }
}
