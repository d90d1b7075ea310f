// Every check `authgate start` makes on a configuration before it serves, runnable without starting anything.
// `start` runs it before it builds the app (a bad file fails in the primary, before any worker is forked) and
// `config check` runs it to report: one function, so the two cannot disagree (a 6-byte HS256 secret was refused by
// `start` and "ok" to `config check`). The checks are the plugin's own: its option normalisation (cookies, TTLs,
// origins, rate limits, key ring settings) and its key material checks (sizes, types, key pairs, signing key).
import { createAccessTokenService } from '@authgate/fastify/tokens'
import { normaliseOptions, type NormalisedOptions } from '@authgate/fastify/config'
import { pluginOptions } from './plugin-options.js'
import { createHeaderPolicy } from './headers.js'
import { ConfigError, type GatewayConfig } from './config.js'

export interface StartupCheck {
  /** Keys the configuration signs and verifies with: a count, or the database key ring (read at run time). */
  keys: number | 'database'
  /** Whether one of those keys can sign (false: verification only, every login answers 503). */
  canSign: boolean
}

/** Throws a ConfigError naming the file and the refusal `start` would fail with; else says what the keys are. */
export function checkStartable (config: GatewayConfig): StartupCheck {
  let options: NormalisedOptions
  try {
    options = normaliseOptions(pluginOptions(config))
    // The plugin builds this service at registration; it refuses unsafe or inconsistent key material.
    createAccessTokenService(options.tokens)
    createHeaderPolicy(config)
  } catch (error) {
    // A key directory that cannot be read is refused here too (issue #12 item 5): naming the path and the reason.
    const issues = (error as { issues?: readonly string[] }).issues
    const where = config.file ?? 'configuration'
    if (issues !== undefined) throw new ConfigError(`${where}: invalid configuration (${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}):\n${issues.map((line) => `  - ${line}`).join('\n')}`, { cause: error, issues })
    throw new ConfigError(`${where}: ${(error as Error).message}`, { cause: error })
  }
  if (options.keyRing !== undefined) return { keys: 'database', canSign: true }
  const keys = options.tokens.keys
  return {
    keys: keys.length,
    canSign: keys.some((key) => key.privateKey !== undefined || key.secret !== undefined)
  }
}
