// The names of every cookie the plugin sets, in one place: a proxy in front (the gateway) strips exactly these.
import { bindingCookieName } from './oidc-binding-cookie.js'

/**
 * The cookies the plugin sets for refresh cookie `cookie.name` (refresh, device, OIDC binding, the latter in both its
 * Secure and plain forms): what a proxy in front must neither pass to upstreams nor let them set, matched by
 * unprefixed, case-folded name (a `__Host-`/`__Secure-` or re-cased copy is still one of them). The single owner of
 * these names: the gateway strips exactly this list, so a name changed here cannot slip past it.
 */
export function authCookieNames (cookie: { name: string, deviceName: string }): readonly string[] {
  return [cookie.name, cookie.deviceName, bindingCookieName(cookie.name, true), bindingCookieName(cookie.name, false)]
}
