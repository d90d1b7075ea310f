// A session's user agent made readable for the session list: `{ browser, os, deviceType }` (bowser, MIT). Parsed once
// per distinct user agent and kept in a bounded cache, so listing sessions does not re-parse the same strings on every
// request (a user's sessions share a handful of agents; a session's agent changes only when its refresh does).
// Attacker-controlled input: bounded before parsing, and anything bowser cannot read (or throws on) gives nulls.
import Bowser from 'bowser'
import { MAX_USER_AGENT_LENGTH } from './client-info.js'

export interface ReadableDevice {
  /** `Chrome 130`, `Safari 17`, …; null when unknown. */
  browser: string | null
  /** `Linux`, `iOS 17.1`, `Windows 10`, …; null when unknown. */
  os: string | null
  /** `desktop`, `mobile`, `tablet`, `tv`, `bot`; null when unknown. */
  deviceType: string | null
}

/** Distinct user agents remembered; past it the least recently used is forgotten. */
export const READABLE_DEVICE_CACHE = 1000
const UNKNOWN: ReadableDevice = Object.freeze({ browser: null, os: null, deviceType: null })
const cache = new Map<string, ReadableDevice>()

/** Exported for the tests: how many parses ran (the cache is meant to keep this flat). */
export const parseCount = { value: 0 }

function text (value: string | undefined): string | null {
  const trimmed = value?.trim() ?? ''
  return trimmed === '' ? null : trimmed.slice(0, 64)
}

function parse (userAgent: string): ReadableDevice {
  parseCount.value++
  try {
    const parsed = Bowser.parse(userAgent)
    const name = text(parsed.browser.name)
    const major = text(parsed.browser.version)?.split('.')[0]
    const osName = text(parsed.os.name)
    const osVersion = text(parsed.os.versionName) ?? text(parsed.os.version)
    return {
      browser: name === null ? null : major === undefined ? name : `${name} ${major}`,
      os: osName === null ? null : osVersion === null ? osName : `${osName} ${osVersion}`,
      deviceType: text(parsed.platform.type)
    }
  } catch {
    // bowser throws on an empty agent and may on strange ones: a session list never fails for a header.
    return UNKNOWN
  }
}

export function readableDevice (userAgent: string | null | undefined): ReadableDevice {
  if (typeof userAgent !== 'string' || userAgent.trim() === '') return UNKNOWN
  const key = userAgent.slice(0, MAX_USER_AGENT_LENGTH)
  let device = cache.get(key)
  if (device === undefined) {
    device = parse(key)
    if (cache.size >= READABLE_DEVICE_CACHE) cache.delete(cache.keys().next().value as string)
  } else {
    cache.delete(key)
  }
  cache.set(key, device)
  return device
}
