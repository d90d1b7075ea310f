// The `users` and `notifications` sections, once normalised, become the hooks the sessions already know:
// `users.source: upstream` is a verifyCredentials (and refreshUser with `refresh: recheck`) over HTTP, and
// `notifications.newDeviceWebhook` a newDevice listener, `notifications.newIpWebhook` a newIp one.
import type { NormalisedOptions } from '../options/types.js'
import { createNewDeviceWebhook, createNewIpWebhook } from '../notifications/webhook.js'
import { createLegacyLookup, createLegacyVerifier, type LegacyLogger } from '../users/legacy.js'

/** Fills options.verifyCredentials / refreshUser / events.newDevice / events.newIp from the configured sections (in place). */
export function useConfiguredUserSource (options: NormalisedOptions, logger: LegacyLogger): void {
  const users = options.legacyUsers
  if (users !== undefined) {
    options.verifyCredentials = createLegacyVerifier(users, logger)
    const { lookupUrl } = users
    if (users.refresh === 'recheck' && lookupUrl !== undefined) {
      options.refreshUser = { lookup: createLegacyLookup({ ...users, lookupUrl }, logger), intervalMs: users.recheckIntervalMs }
    }
  }
  const url = options.newDeviceWebhook
  if (url !== undefined) {
    const webhook = createNewDeviceWebhook({ url, logger })
    const own = options.events.newDevice
    // An application's own listener keeps running beside the webhook.
    options.events = { ...options.events, newDevice: own === undefined ? webhook : async (event) => { webhook(event); await own(event) } }
  }
  const ipUrl = options.newIp.webhook
  if (ipUrl !== undefined) {
    const webhook = createNewIpWebhook({ url: ipUrl, logger })
    const own = options.events.newIp
    options.events = { ...options.events, newIp: own === undefined ? webhook : async (event) => { webhook(event); await own(event) } }
  }
}
