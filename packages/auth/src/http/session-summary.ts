// A session as shown to people (its user's session list, the admin API, app.authgate.sessions.list): never a token
// hash, and never a device cookie value, whatever age the stored record is.
import type { SessionRecord } from '../stores/store.js'
import { isDeviceCookieValue, opaqueDeviceId } from './cookies.js'

/** A live session as listed: never its token hashes. */
export interface SessionSummary {
  id: string
  /** The opaque device id (never the device cookie's value); null for a session made without a device cookie. */
  device: string | null
  ip: string
  userAgent: string
  createdAt: Date
  lastUsedAt: Date
  expiresAt: Date
}

/**
 * The device as listed: sessions store the opaque device id (http/cookies.ts). TODO(next-major): sessions created before
 * that stored the device cookie value itself (22 characters); it is shown derived, never as it is.
 */
export function publicDevice (device: string | null): string | null {
  return device !== null && isDeviceCookieValue(device) ? opaqueDeviceId(device) : device
}

export function summariseSession (session: SessionRecord): SessionSummary {
  return {
    id: session.id,
    device: publicDevice(session.device),
    ip: session.ip,
    userAgent: session.userAgent,
    createdAt: session.createdAt,
    lastUsedAt: session.lastUsedAt,
    expiresAt: session.expiresAt
  }
}
