// Drivers for the refresh-token scenarios. `refresh`: one loop per session, each POST /auth/refresh sending the
// cookie the previous answer set (sequential per session, as a real client is). `refresh-storm`: several tabs of one
// session refresh with the same cookie at the same moment; within the reuse grace every tab must get 200 and the
// same successor, so any 401 AUTH_REFRESH_REUSED is a false reuse detection and any differing successor a fork.
import { cookieValue, createAgent, errorCode, send } from './http-client.mjs'
import { percentile } from './stats.mjs'

const JSON_HEADERS = { 'content-type': 'application/json' }

/**
 * Logs `count` sessions in (sequentially: argon2 is the cost, parallel logins only queue) and returns their cookies.
 * @returns {Promise<string[]>}
 */
export async function loginSessions ({ port, prefix, cookieName, user, count }) {
  const agent = createAgent(4)
  const cookies = []
  try {
    for (let i = 0; i < count; i++) {
      const answer = await send({ port, agent, method: 'POST', path: `${prefix}/login`, headers: JSON_HEADERS, body: JSON.stringify(user) })
      const cookie = cookieValue(answer.setCookies, cookieName)
      if (answer.status !== 200 || cookie === undefined) {
        throw new Error(`login for the refresh scenarios answered ${answer.status} ${answer.body.slice(0, 200)}${cookie === undefined ? ` (no ${cookieName} cookie)` : ''}`)
      }
      cookies.push(cookie)
    }
  } finally {
    agent.destroy()
  }
  return cookies
}

/** send(), with a transport failure (timeout, reset) turned into an answer with status 0 that counts as an error. */
async function attempt (options) {
  const started = Date.now()
  try {
    return await send(options)
  } catch (error) {
    return { status: 0, body: JSON.stringify({ code: String(error instanceof Error ? error.message : error) }), setCookies: [], ms: Date.now() - started }
  }
}

function newTally () {
  return { ok: 0, errors: 0, falseReuse: 0, forks: 0, rotations: 0, latencies: /** @type {number[]} */ ([]), codes: /** @type {Record<string, number>} */ ({}) }
}

function count (tally, status, body) {
  const key = status === 200 ? '200' : `${status} ${errorCode(body)}`.trim()
  tally.codes[key] = (tally.codes[key] ?? 0) + 1
  if (status === 200) tally.ok++
  else tally.errors++
  if (errorCode(body) === 'AUTH_REFRESH_REUSED') tally.falseReuse++
}

function summary (tally, seconds, rpsOf) {
  const sorted = tally.latencies.sort((a, b) => a - b)
  return {
    rps: rpsOf / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    errors: tally.errors,
    requests: tally.ok + tally.errors,
    rotationsPerSec: tally.rotations / seconds,
    falseReuse: tally.falseReuse,
    forks: tally.forks,
    statusCodes: tally.codes
  }
}

/**
 * Runs the refresh loops for `seconds`. `state.cookies` is updated in place so sessions carry over between runs;
 * a session whose refresh fails is dropped (and counted), since its cookie is no longer usable.
 */
export async function runRefresh ({ port, prefix, cookieName, state, seconds }) {
  const agent = createAgent(state.cookies.length)
  const tally = newTally()
  const deadline = Date.now() + seconds * 1000
  const started = Date.now()
  const path = `${prefix}/refresh`
  await Promise.all(state.cookies.map(async (_, index) => {
    while (Date.now() < deadline && state.cookies[index] !== null) {
      const answer = await attempt({ port, agent, method: 'POST', path, headers: { cookie: `${cookieName}=${state.cookies[index]}` } })
      tally.latencies.push(answer.ms)
      count(tally, answer.status, answer.body)
      const next = cookieValue(answer.setCookies, cookieName)
      if (answer.status === 200 && next) { state.cookies[index] = next; tally.rotations++ } else state.cookies[index] = null
    }
  }))
  agent.destroy()
  return summary(tally, (Date.now() - started) / 1000, tally.ok)
}

/** Runs storms for `seconds`: every session, `tabs` simultaneous refreshes with one cookie, then the next round. */
export async function runRefreshStorm ({ port, prefix, cookieName, state, tabs, seconds }) {
  const agent = createAgent(state.cookies.length * tabs)
  const tally = newTally()
  const deadline = Date.now() + seconds * 1000
  const started = Date.now()
  const path = `${prefix}/refresh`
  await Promise.all(state.cookies.map(async (_, index) => {
    while (Date.now() < deadline && state.cookies[index] !== null) {
      const headers = { cookie: `${cookieName}=${state.cookies[index]}` }
      const answers = await Promise.all(Array.from({ length: tabs }, () => attempt({ port, agent, method: 'POST', path, headers })))
      const successors = new Set()
      for (const answer of answers) {
        tally.latencies.push(answer.ms)
        count(tally, answer.status, answer.body)
        const next = cookieValue(answer.setCookies, cookieName)
        if (answer.status === 200 && next) successors.add(next)
      }
      // Several different successors: the family forked (the design promises the same successor to every racer).
      if (successors.size > 1) tally.forks++
      const [next] = successors
      if (answers.every((answer) => answer.status === 200) && next) { state.cookies[index] = next; tally.rotations++ } else state.cookies[index] = null
    }
  }))
  agent.destroy()
  return summary(tally, (Date.now() - started) / 1000, tally.ok)
}

/** `login` through a custom loop is not needed: autocannon posts the same credentials; see scenarios.mjs. */
export const LOGIN_HEADERS = JSON_HEADERS
