// `authgate doctor --config FILE [--url URL]`: audits the settings (cookies, CSRF/CORS origins, trustProxy, store,
// routes), then fires forged identity headers and path-bypass spellings at every route of the running gateway
// and reports any that reached an upstream. Exit 1 when a probe got through or the file cannot be used (with --strict,
// on a warning too: the one list `config check` prints); a file `authgate start` would refuse is refused here as
// well (offline-build.ts builds the very app `start` builds).
import { parseConfig, readConfigFile, type GatewayConfig } from '../config.js'
import { configWarnings } from './config-warnings.js'
import { runProbes } from './doctor-probes.js'
import { checkStartable } from '../startup-checks.js'
import { buildOffline } from './offline-build.js'
import { UsageError, flag, out, parseCommand, printHelp, requiredFlag, type CommandSpec } from './args.js'

export const DOCTOR: CommandSpec = {
  name: 'doctor',
  options: { config: { type: 'string' }, url: { type: 'string' }, offline: { type: 'boolean' }, strict: { type: 'boolean' } },
  usage: `Usage: authgate doctor --config FILE [--url http://127.0.0.1:8080] [--offline] [--strict]

Checks the configuration's security settings, then probes the running gateway (at --url, default the
configured server.host:server.port): forged X-User-Id & co. on every route, and path spellings such as
/public/../admin, %2e%2e, //admin, /ADMIN on every protected route. The forged-header probe is conclusive when
the upstream echoes request headers (like the demo upstream); path probes fail on any 2xx/3xx without a token.

Options:
  --config FILE   gateway configuration
  --url URL       where the gateway listens (loopback or your own host)
  --offline       only audit the settings
  --strict        warnings count as problems (exit 1)
  -h, --help      this text`
}

interface Finding { level: 'warning' | 'ok', text: string }

/** The settings audit: what is fine, and the warnings `config check` prints (one list: configWarnings). */
export function auditSettings (config: GatewayConfig, raw?: unknown): Finding[] {
  const findings: Finding[] = []
  const add = (level: Finding['level'], text: string): void => { findings.push({ level, text }) }
  if (config.cookie.sameSite !== 'none') add('ok', `cookie.sameSite ${config.cookie.sameSite}`)
  if (config.server.trustProxy !== true) add('ok', `server.trustProxy ${JSON.stringify(config.server.trustProxy)}`)
  for (const route of config.routes) {
    if (route.auth === 'none') add('ok', `route ${route.prefix}: anonymous (identity headers are stripped, none are set)`)
  }
  if (config.routes.every((route) => route.auth !== 'none')) add('ok', 'no anonymous routes')
  if (!config.registration) add('ok', 'auth.registration off: only users you create can log in')
  for (const warning of configWarnings(config, raw)) add('warning', warning)
  return findings
}

export async function doctorCommand (argv: readonly string[]): Promise<number> {
  const args = parseCommand(argv, DOCTOR)
  if (args.help !== undefined) return printHelp(args.help)
  const { file, raw } = readConfigFile(requiredFlag(args, 'config'))
  const config = parseConfig(raw, { file, env: process.env, form: 'json', pluginRules: false })
  const strict = args.flags.has('strict')
  let startup: string | undefined
  try {
    await buildOffline(config)
    checkStartable(config)
  } catch (error) {
    startup = `authgate start refuses this file: ${(error as Error).message}`
  }
  let failed = startup !== undefined
  out('settings:')
  if (startup !== undefined) out(`  PROBLEM ${startup}`)
  for (const finding of auditSettings(config, raw)) {
    if (strict && finding.level === 'warning') failed = true
    out(`  ${finding.level === 'ok' ? 'ok     ' : 'WARNING'} ${finding.text}`)
  }
  if (args.flags.has('offline')) return failed ? 1 : 0
  const urlText = flag(args, 'url') ?? `http://${config.server.host === '0.0.0.0' || config.server.host === '::' ? '127.0.0.1' : config.server.host}:${config.server.port}`
  let url: URL
  try {
    url = new URL(urlText)
  } catch {
    throw new UsageError(`--url ${urlText} is not a URL`)
  }
  if (url.protocol !== 'http:') throw new UsageError('--url must be an http:// URL (probes are sent as raw HTTP/1.1)')
  out(`probes against ${url.origin}:`)
  const results = await runProbes({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 80) }, config.routes, config.headerLists, config.claimHeaders)
  if (results.length > 0 && results.every((result) => result.status === 0)) {
    out(`  PROBLEM no answer from ${url.origin}: is the gateway running there?`)
    return 1
  }
  for (const result of results) {
    if (!result.ok) failed = true
    out(`  ${result.ok ? 'ok     ' : 'FAILED '} ${result.route}: ${result.probe}: ${result.detail}`)
  }
  out(failed ? 'doctor: problems found' : 'doctor: no problems found')
  return failed ? 1 : 0
}
