// The authgate demo page: everything here goes through @authgate/client, served by the gateway as ./client.js.
// Plain browser JS, no build step. `?proactive=0` turns proactive refresh off, so the refresh-on-401 path shows.
/* global document, location, URLSearchParams */
import { createAuthClient } from './client.js'

const $ = (id) => document.getElementById(id)
const params = new URLSearchParams(location.search)

const client = createAuthClient({
  baseUrl: location.origin,
  proactiveRefresh: params.get('proactive') !== '0',
  onSessionExpired: () => { showLogin('Your session has ended (revoked or expired). Please sign in again.') }
})
// True while this page itself is signing in (startup resume, login form): its own token events are not news.
let signingIn = true
// Another tab logged out: follow it. Another tab logged in: pick its session up.
client.on('logout', ({ reason }) => { if (reason === 'remote') showLogin('Logged out in another tab.') })
client.on('token', ({ accessToken, expiresAt }) => {
  if (accessToken === null || signingIn) return
  // Already showing the app: a refresh (this tab's, or a sibling tab's shared one). Not yet: another tab's login,
  // which is no refresh, so the line waits for the next token.
  if ($('app-view').hidden) showApp().catch((err) => { setStatus(`Error: ${err.message}`) })
  else showRefreshed(expiresAt)
})

let refreshCount = 0
function showRefreshed (expiresAt) {
  refreshCount++
  const until = typeof expiresAt === 'number' ? `, valid until ${new Date(expiresAt).toLocaleTimeString()}` : ''
  $('refresh-line').textContent = `Token refreshed at ${new Date().toLocaleTimeString()}${until} (${refreshCount} so far)`
  $('refresh-line').hidden = false
}

function setStatus (text) { $('status').textContent = text }

function showLogin (message) {
  $('app-view').hidden = true
  // The next user's refreshes are counted from zero.
  refreshCount = 0
  $('refresh-line').hidden = true
  $('refresh-line').textContent = ''
  $('login-view').hidden = false
  $('whoami-output').textContent = ''
  $('whoami-status').textContent = ''
  $('sessions-list').replaceChildren()
  setStatus(message ?? 'Signed out.')
  $('email').focus()
}

async function showApp () {
  $('login-view').hidden = true
  $('app-view').hidden = false
  $('user-email').textContent = client.user?.email ?? client.user?.id ?? '?'
  setStatus('Signed in.')
  await loadSessions()
}

/** Runs an action with its button disabled, reporting failures in the status line instead of as unhandled errors. */
function action (button, run) {
  button.addEventListener('click', async () => {
    button.disabled = true
    try {
      await run()
    } catch (err) {
      setStatus(`Error: ${err?.message ?? String(err)}`)
    } finally {
      button.disabled = false
    }
  })
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault()
  $('login-error').textContent = ''
  $('login-button').disabled = true
  signingIn = true
  try {
    await client.login($('email').value, $('password').value)
    $('password').value = ''
    await showApp()
  } catch (err) {
    $('login-error').textContent = err?.serverCode === 'AUTH_INVALID_CREDENTIALS'
      ? 'Wrong email or password.'
      : `Sign-in failed: ${err?.message ?? String(err)}`
  } finally {
    $('login-button').disabled = false
    signingIn = false
  }
})

action($('whoami-button'), async () => {
  const started = Date.now()
  const response = await client.fetch('/api/whoami')
  const text = await response.text()
  if ($('app-view').hidden) return // the session ended during the call: the login form has taken over
  $('whoami-status').textContent = `${response.status} ${response.statusText} in ${Date.now() - started} ms`
  $('whoami-output').textContent = prettyJson(text)
})

action($('sessions-reload'), loadSessions)
action($('revoke-others'), async () => { await client.revokeOtherSessions(); await loadSessions() })
action($('logout'), async () => { await client.logout(); showLogin('Logged out.') })
action($('logout-all'), async () => { await client.logoutAll(); showLogin('Logged out on every device.') })

async function loadSessions () {
  const sessions = await client.sessions()
  $('sessions-list').replaceChildren(...sessions.map(sessionRow))
}

function sessionRow (session) {
  const row = document.createElement('tr')
  row.dataset.sessionId = session.id
  if (session.current) row.className = 'current'
  const cells = [describeDevice(session), readable(session.client), session.ip ?? '', formatTime(session.createdAt), formatTime(session.lastUsedAt)]
  for (const text of cells) {
    const cell = document.createElement('td')
    cell.textContent = text // textContent, never innerHTML: user agents are attacker-controlled strings
    row.append(cell)
  }
  row.cells[0].className = 'agent'
  row.cells[1].className = 'readable'
  const revoke = document.createElement('button')
  revoke.type = 'button'
  revoke.className = 'danger'
  revoke.textContent = session.current ? 'Sign out here' : 'Revoke'
  revoke.dataset.revoke = session.id
  action(revoke, async () => {
    if (session.current) { await client.logout(); showLogin('Logged out.'); return }
    await client.revokeSession(session.id)
    await loadSessions()
  })
  const cell = document.createElement('td')
  cell.append(revoke)
  row.append(cell)
  return row
}

function describeDevice (session) {
  if (typeof session.userAgent === 'string' && session.userAgent !== '') return session.userAgent
  return typeof session.device === 'string' ? session.device : 'unknown device'
}

/** `Chrome 130 on Linux (desktop)`, from the `client` the session list answers (each part may be null). */
function readable (client) {
  if (client === null || typeof client !== 'object') return 'unknown'
  const browser = typeof client.browser === 'string' ? client.browser : 'unknown browser'
  const os = typeof client.os === 'string' ? ` on ${client.os}` : ''
  const type = typeof client.deviceType === 'string' ? ` (${client.deviceType})` : ''
  return `${browser}${os}${type}`
}

function formatTime (value) {
  const date = new Date(value ?? '')
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleString()
}

function prettyJson (text) {
  try { return JSON.stringify(JSON.parse(text), null, 2) } catch { return text }
}

/**
 * "Sign in with …" links for the OIDC providers the gateway offers (none: the endpoint answers 404). A plain link:
 * the sign-in is a top-level navigation to the provider and back; on return the start-up refresh below picks up
 * the session from the refresh cookie the callback set (no token ever travels in the URL).
 */
async function showProviders () {
  const response = await fetch('/auth/oidc/providers', { credentials: 'same-origin' }).catch(() => null)
  if (response === null || !response.ok) return
  const { providers } = await response.json()
  const returnTo = location.pathname
  const links = (Array.isArray(providers) ? providers : []).map((provider) => {
    const link = document.createElement('a')
    link.className = 'button'
    link.id = `oidc-${provider.name}`
    link.href = `${provider.login}?returnTo=${encodeURIComponent(returnTo)}`
    link.textContent = `Sign in with ${provider.name}` // textContent: names come from configuration, never markup
    return link
  })
  $('oidc-providers').replaceChildren(...links)
  $('oidc-providers').hidden = links.length === 0
}
showProviders().catch(() => {})

// A reload loses the in-memory access token but not the HttpOnly refresh cookie: try to resume the session.
setStatus('Resuming session…')
if (await client.refresh()) await showApp()
else showLogin('Please sign in.')
signingIn = false
