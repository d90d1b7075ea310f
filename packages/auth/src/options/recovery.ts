// `auth.requireVerifiedEmail`, the link lifetimes and paths, and `mail`, checked together: the links are built from
// the configured public origin only, so mail (or required verification) without one is a configuration error.
import { parseDuration } from '../config/duration.js'
import { DEFAULT_RESET_TTL, DEFAULT_VERIFY_TTL } from './section-auth.js'
import type { AuthInput, MailInput, NormalisedRecovery } from './types.js'
import { compileTemplate } from '../recovery/templates.js'

export interface RecoveryIssues {
  add: (path: string, reason: string) => void
  attempt: <T>(run: () => T) => T | undefined
}

/** Stands in for a refused template: the refusal is an issue, so the registration fails before it could be used. */
const NO_TEMPLATE = compileTemplate('passwordReset', undefined, 'mail.templates.passwordReset')

export function normaliseRecovery (auth: AuthInput, mail: MailInput | undefined, publicOrigin: string | false | undefined, builtinUsers: boolean, issues: RecoveryIssues): NormalisedRecovery {
  const requireVerifiedEmail = auth.requireVerifiedEmail === true
  const hasOrigin = typeof publicOrigin === 'string'
  if (mail?.smtp !== undefined && !hasOrigin) {
    issues.add('mail.smtp', 'needs auth.publicOrigin (the gateway: server.publicOrigin): links are built from it, never from the Host header')
  }
  if (requireVerifiedEmail && !hasOrigin) issues.add('auth.requireVerifiedEmail', 'needs auth.publicOrigin (the gateway: server.publicOrigin) for the verification links')
  if (requireVerifiedEmail && !builtinUsers) issues.add('auth.requireVerifiedEmail', 'needs the built-in users (not verifyCredentials or users.source: upstream)')
  return {
    requireVerifiedEmail,
    resetTtlMs: parseDuration(auth.resetTtl ?? DEFAULT_RESET_TTL, 'auth.resetTtl'),
    verifyTtlMs: parseDuration(auth.verifyTtl ?? DEFAULT_VERIFY_TTL, 'auth.verifyTtl'),
    resetLinkPath: auth.resetLinkPath ?? '/reset-password',
    verifyLinkPath: auth.verifyLinkPath ?? '/verify-email',
    smtp: mail?.smtp,
    templates: {
      passwordReset: issues.attempt(() => compileTemplate('passwordReset', mail?.templates?.passwordReset, 'mail.templates.passwordReset')) ?? NO_TEMPLATE,
      emailVerification: issues.attempt(() => compileTemplate('emailVerification', mail?.templates?.emailVerification, 'mail.templates.emailVerification')) ?? NO_TEMPLATE
    },
    // Not `mail !== undefined`: the schema fills an absent section with {}.
    wanted: mail?.smtp !== undefined || mail?.templates !== undefined || requireVerifiedEmail
  }
}
