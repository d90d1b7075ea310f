// createAuthClient(): wiring of token state, refresh policy, cross-tab messages and the auth endpoints.
import { createCrossTab, type TabMessage } from './cross-tab.js'
import { AuthClientError } from './errors.js'
import { createEmitter } from './events.js'
import { errorCodeOf, isRecord, isUser, parseSessions, parseTokenAnswer, TOKEN_ERROR_CODES } from './parse.js'
import { createRefresher, type RefreshOutcome } from './refresher.js'
import { prepareRequest, type RequestContext } from './request.js'
import { createTokenState } from './token-state.js'
import type { AuthClient, AuthClientOptions, MeResult, SessionInfo } from './types.js'

export const DEFAULT_AUTH_PREFIX = '/auth'
export const DEFAULT_REFRESH_SKEW_SECONDS = 30
/** The server's largest page, and at most this many pages (1000 sessions): a bound, whatever the server answers. */
const SESSIONS_PAGE = 100
const MAX_SESSION_PAGES = 10
/** The server's answer to a refresh of a disabled account: the session is over, as with a 401. */
const USER_DISABLED = 'AUTH_USER_DISABLED'

export function createAuthClient (options: AuthClientOptions = {}): AuthClient {
  const ctx = resolveContext(options)
  const proactive = options.proactiveRefresh ?? true
  const tokens = createTokenState(options.refreshSkewSeconds ?? DEFAULT_REFRESH_SKEW_SECONDS)
  const events = createEmitter()
  const crossTab = createCrossTab(`authgate:${ctx.baseUrl.origin}${ctx.authPath}`,
    options.crossTab ?? typeof (globalThis as { document?: unknown }).document !== 'undefined', onTabMessage)
  const refresher = createRefresher({ crossTab, currentToken, refreshOverHttp, end: endSession })
  // Bumped by login and logout: a refresh that was in flight across one of them must not resurrect the old session.
  let epoch = 0

  function currentToken (): string | null { return tokens.current?.accessToken ?? null }

  function authUrl (path: string): URL { return new URL(ctx.authPath + path, ctx.baseUrl) }

  /** A request to the auth prefix without the Bearer token (login, refresh, logout use the cookie). */
  function sendAnonymous (path: string, init: RequestInit): Promise<Response> {
    return prepareRequest(ctx, authUrl(path), init).send(null)
  }

  function store (accessToken: string, expiresIn: number | undefined, user: MeResult['user'] | null): void {
    const snapshot = tokens.receive(accessToken, expiresIn, user)
    events.emit('token', { accessToken, expiresAt: snapshot.expiresAt })
    crossTab.post({ type: 'token', ...snapshot })
  }

  function forget (): void {
    if (tokens.current === null) return
    tokens.clear()
    events.emit('token', { accessToken: null, expiresAt: null })
  }

  function endSession (status: number, code: string | undefined): void {
    // Only a session that existed can expire: a refresh() that finds no valid cookie (a first visit) is not one.
    const hadSession = tokens.current !== null
    forget()
    if (refresher.expired) return
    refresher.markExpired()
    if (!hadSession) return
    events.emit('sessionExpired', { status, code })
    options.onSessionExpired?.({ status, code })
  }

  async function refreshOverHttp (): Promise<RefreshOutcome> {
    const started = epoch
    let response: Response
    try {
      response = await sendAnonymous('/refresh', { method: 'POST' })
    } catch {
      return 'unavailable'
    }
    if (epoch !== started) return 'unavailable'
    // A 401 means the refresh token is gone (invalid, reused, revoked, expired), and 403 AUTH_USER_DISABLED that an
    // admin disabled the account (its sessions are revoked). Any other 403 (origin refused), 429 and 5xx are
    // configuration or availability problems, and must not log anyone out.
    if (response.status === 401 || response.status === 403) {
      const code = await errorCodeOf(response)
      if (response.status === 401 || code === USER_DISABLED) {
        endSession(response.status, code)
        return 'expired'
      }
      return 'unavailable'
    }
    if (!response.ok) return 'unavailable'
    const answer = parseTokenAnswer(await response.json().catch(() => undefined))
    if (answer === undefined) return 'unavailable'
    store(answer.accessToken, answer.expiresIn, answer.user)
    return 'refreshed'
  }

  function onTabMessage (message: TabMessage): void {
    if (message.type === 'logout') {
      epoch++
      if (tokens.current === null) return
      forget()
      events.emit('logout', { reason: 'remote' })
      return
    }
    if (message.accessToken === currentToken()) return
    tokens.adopt({ accessToken: message.accessToken, expiresAt: message.expiresAt, refreshAt: message.refreshAt, user: message.user })
    refresher.revive()
    events.emit('token', { accessToken: message.accessToken, expiresAt: message.expiresAt })
  }

  async function authFetch (input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const request = prepareRequest(ctx, input, init)
    if (!request.carriesToken) return request.send(null)
    if (proactive && !refresher.expired && tokens.refreshDue(Date.now())) await refresher.refresh()
    const sent = currentToken()
    const response = await request.send(sent)
    if (sent === null) return response
    if (response.status !== 401) { refresher.noteAccepted(); return response }
    const code = await errorCodeOf(response)
    // Not one of the gateway's token codes: the upstream's own 401 (or a non-JSON one). Not ours to fix.
    if (code === undefined || !TOKEN_ERROR_CODES.has(code)) { refresher.noteAccepted(); return response }
    const outcome = await refresher.afterRejection(sent, code)
    const fresh = currentToken()
    // A one-shot body has been consumed by the first attempt: resending would send an empty or partial body.
    if (outcome !== 'refreshed' || fresh === null || !request.replayable) return response
    const retried = await request.send(fresh)
    if (retried.status !== 401) refresher.noteAccepted()
    return retried
  }

  /** An authenticated call to the auth prefix that must answer 2xx; returns the parsed JSON (or null for 204). */
  async function call (method: string, path: string, what: string): Promise<unknown> {
    const response = await authFetch(authUrl(path), { method })
    if (!response.ok) throw await requestFailed(response, what)
    if (response.status === 204) return null
    return readJson(response, what)
  }

  async function logout (): Promise<void> {
    epoch++
    try {
      // Best effort: the server clears the cookie and revokes the session; locally we forget in any case.
      await sendAnonymous('/logout', { method: 'POST' })
    } catch { /* offline: still forget locally */ } finally {
      forget()
      crossTab.post({ type: 'logout' })
      events.emit('logout', { reason: 'local' })
    }
  }

  // No method below uses `this`: destructuring the client (`const { fetch } = client`) is safe.
  return {
    async login (email, password) {
      const response = await sendAnonymous('/login', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password })
      })
      if (!response.ok) throw await requestFailed(response, 'login')
      const answer = parseTokenAnswer(await readJson(response, 'login'))
      if (answer?.user == null || answer.expiresIn === undefined) throw badResponse('login')
      epoch++
      refresher.reset()
      store(answer.accessToken, answer.expiresIn, answer.user)
      events.emit('login', { user: answer.user })
      return { user: answer.user, expiresIn: answer.expiresIn }
    },
    logout,
    async logoutAll () {
      await call('POST', '/logout-all', 'logout-all')
      await logout()
    },
    async sessions () {
      // The server pages the list (`X-Next-Cursor`); the whole list is gathered, within a bound. A cursor that
      // comes back a second time (a server or store that ignores it) would ask for the same page again: the end.
      const all = new Map<string, SessionInfo>()
      const cursors = new Set<string>()
      let path = `/sessions?limit=${SESSIONS_PAGE}`
      for (let page = 0; page < MAX_SESSION_PAGES; page++) {
        const response = await authFetch(authUrl(path), { method: 'GET' })
        if (!response.ok) throw await requestFailed(response, 'sessions')
        const sessions = parseSessions(await readJson(response, 'sessions'))
        if (sessions === undefined) throw badResponse('sessions')
        for (const session of sessions) if (!all.has(session.id)) all.set(session.id, session)
        const next = response.headers.get('x-next-cursor')
        if (next === null || !/^[A-Za-z0-9_-]+$/.test(next) || cursors.has(next)) break
        cursors.add(next)
        path = `/sessions?limit=${SESSIONS_PAGE}&cursor=${next}`
      }
      return [...all.values()]
    },
    async revokeSession (id) {
      await call('DELETE', `/sessions/${encodeURIComponent(id)}`, 'revoke session')
    },
    async revokeOtherSessions () {
      await call('DELETE', '/sessions?others=true', 'revoke other sessions')
    },
    async me () {
      const body = await call('GET', '/me', 'me')
      if (!isRecord(body) || !isUser(body.user) || !isRecord(body.claims)) throw badResponse('me')
      return { user: body.user, claims: body.claims }
    },
    async refresh () {
      return await refresher.refresh() === 'refreshed'
    },
    fetch: authFetch,
    get accessToken () { return currentToken() },
    get user () { return tokens.current?.user ?? null },
    on: events.on,
    off: events.off,
    close () { crossTab.close() }
  }
}

function resolveContext (options: AuthClientOptions): RequestContext {
  const base = options.baseUrl ?? (globalThis as { location?: { origin?: string } }).location?.origin
  if (base === undefined) throw new AuthClientError('AUTHGATE_CLIENT_CONFIG', '@authgate/client: baseUrl is required outside a browser')
  const prefix = (options.authPrefix ?? DEFAULT_AUTH_PREFIX).replace(/\/+$/, '')
  if (!prefix.startsWith('/')) throw new AuthClientError('AUTHGATE_CLIENT_CONFIG', '@authgate/client: authPrefix must start with "/"')
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init))
  return { fetch: fetchImpl, baseUrl: new URL(base), authPath: prefix, cookieJar: options.cookieJar }
}

async function readJson (response: Response, what: string): Promise<unknown> {
  try {
    return await response.json()
  } catch (cause) {
    throw badResponse(what, cause)
  }
}

function badResponse (what: string, cause?: unknown): AuthClientError {
  return new AuthClientError('AUTHGATE_CLIENT_BAD_RESPONSE', `@authgate/client: ${what}: unexpected answer from the server`, { cause })
}

async function requestFailed (response: Response, what: string): Promise<AuthClientError> {
  const serverCode = await errorCodeOf(response)
  return new AuthClientError('AUTHGATE_CLIENT_REQUEST_FAILED',
    `@authgate/client: ${what} failed with ${response.status}${serverCode === undefined ? '' : ` ${serverCode}`}`,
    { status: response.status, serverCode })
}
