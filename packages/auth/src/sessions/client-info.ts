// What a session records about the client: the socket address as Fastify resolves it (X-Forwarded-For only when
// the app's trustProxy says so) and a bounded user agent, so a 10 KB header cannot bloat every session document.
import type { FastifyRequest } from 'fastify'

export const MAX_USER_AGENT_LENGTH = 512

export interface ClientInfo {
  ip: string
  userAgent: string
}

export function clientInfo (request: FastifyRequest): ClientInfo {
  const agent = request.headers['user-agent']
  // Control characters are dropped: the value is shown back to users in session lists and may reach logs.
  // eslint-disable-next-line no-control-regex
  const userAgent = typeof agent === 'string' ? agent.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, MAX_USER_AGENT_LENGTH) : ''
  // `request.ip` is undefined once the socket has closed (Fastify reads it from the socket), despite its type.
  const ip = (request.ip as string | undefined) ?? ''
  return { ip: ip.slice(0, 64), userAgent }
}

/** This browser's device, as the cookie layer identifies it. */
export interface DeviceIdentity {
  id: string
  /**
   * For a device cookie that was already there: its value, the id device records had before ids were opaque, so
   * the store can find and rewrite them (stores/store.ts DeviceSeen). Never listed, logged or sent in events.
   */
  legacyId?: string
}
