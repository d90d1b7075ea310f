// results.json (the contract: `{ scenarios: { NAME: { rps, p50, p99, errors, cpuUsPerRequest } }, ratios: { NAME: number } }`,
// plus `skipped`/`failed` entries and a `meta` block) and the table printed on stdout. Ratios named `cpu:A/B` are of
// CPU µs per request (lower is better for A), the others of req/s.
import { writeFileSync } from 'node:fs'

/** Ratios of median rps; null when either side has no number (skipped or failed), with the reason in the table. */
export function computeRatios (scenarios, pairs) {
  /** @type {Record<string, number | null>} */
  const ratios = {}
  for (const [top, bottom] of pairs) {
    const a = scenarios[top]
    const b = scenarios[bottom]
    const usable = (entry) => entry && typeof entry.rps === 'number' && entry.rps > 0 && !entry.failed
    ratios[`${top}/${bottom}`] = usable(a) && usable(b) ? Math.round((a.rps / b.rps) * 1000) / 1000 : null
  }
  return ratios
}

/**
 * Ratios of CPU µs per request, keyed `cpu:A/B`; `A.part` names one process of a scenario measured as several
 * (`nginx-forward-auth.authgate`). Null when either side has no figure.
 */
export function computeCpuRatios (scenarios, pairs) {
  /** @type {Record<string, number | null>} */
  const ratios = {}
  const cpuOf = (/** @type {string} */ name) => {
    const [scenario, part] = name.split('.')
    const entry = scenarios[scenario ?? '']
    if (!entry || entry.failed || entry.skipped) return undefined
    const value = part === undefined ? entry.cpuUsPerRequest : entry.cpuParts?.[part]
    return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined
  }
  for (const [top, bottom] of pairs) {
    const a = cpuOf(top)
    const b = cpuOf(bottom)
    ratios[`cpu:${top}/${bottom}`] = a !== undefined && b !== undefined ? Math.round((a / b) * 1000) / 1000 : null
  }
  return ratios
}

/** `databases`: refresh, refresh-storm and login per test database server, side by side (lib/database-matrix.mjs). */
export function writeResults (path, { scenarios, ratios, meta, databases }) {
  writeFileSync(path, JSON.stringify({ scenarios, ratios, meta, ...(databases ? { databases } : {}) }, null, 2) + '\n')
}

const pad = (text, width, right = false) => right ? String(text).padStart(width) : String(text).padEnd(width)
const num = (value, digits = 0) => typeof value === 'number' && Number.isFinite(value)
  ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
  : '–'

function note (entry) {
  if (entry.skipped) return `SKIPPED: ${entry.skipped}`
  const parts = []
  if (entry.failed) parts.push(`FAILED: ${entry.failed}`)
  if (entry.rotationsPerSec !== undefined) parts.push(`${num(entry.rotationsPerSec)} rotations/s, ${entry.falseReuse} false reuse, ${entry.forks} forks`)
  if (entry.p99Ratio !== undefined) parts.push(`req/s = logins/s; Bearer p99 idle ${num(entry.idleP99, 2)} ms, during the storm ${num(entry.stormP99, 2)} ms (× ${num(entry.p99Ratio, 2)})`)
  if (entry.cpuParts !== undefined) parts.push(`CPU µs/req ${Object.entries(entry.cpuParts).map(([label, us]) => `${label} ${num(us, 1)}`).join(' + ')}`)
  if (entry.otherLoadMax !== undefined && entry.otherLoadMax >= 10) parts.push(`NOISE: other work on the machine up to ${num(entry.otherLoadMax)} % of a core during a run`)
  if (entry.alongsideCpu !== undefined) parts.push(`beside it: ${Object.entries(entry.alongsideCpu).map(([label, share]) => `${label} ${num(share)} %`).join(', ')} of a core`)
  if (entry.jwksFetches !== undefined) parts.push(`${entry.jwksFetches} JWKS fetches while measured`)
  if (entry.roundTripsPerRotation !== undefined) parts.push(`${num(entry.roundTripsPerRotation, 1)} round trips/rotation`)
  if (entry.placement !== undefined) parts.push(entry.placement)
  return parts.join('; ')
}

/** The readable table: one line per scenario, then the ratios. Markdown-compatible, so docs can paste it. */
export function formatTable (scenarios, ratios) {
  const lines = [
    `| ${pad('scenario', 26)} | ${pad('req/s', 8, true)} | ${pad('p50 ms', 8, true)} | ${pad('p99 ms', 8, true)} | ${pad('errors', 7, true)} | ${pad('CPU µs/req', 10, true)} | notes`,
    `|${'-'.repeat(28)}|${'-'.repeat(9)}:|${'-'.repeat(9)}:|${'-'.repeat(9)}:|${'-'.repeat(8)}:|${'-'.repeat(11)}:|------`
  ]
  for (const [name, entry] of Object.entries(scenarios)) {
    lines.push(`| ${pad(name, 26)} | ${pad(num(entry.rps), 8, true)} | ${pad(num(entry.p50, 1), 8, true)} | ${pad(num(entry.p99, 1), 8, true)} | ${pad(entry.skipped ? '–' : num(entry.errors), 7, true)} | ${pad(num(entry.cpuUsPerRequest, 1), 10, true)} | ${note(entry)}`)
  }
  lines.push('', `| ${pad('ratio (req/s; CPU µs/req for cpu:)', 50)} | ${pad('value', 6, true)} |`, `|${'-'.repeat(52)}|${'-'.repeat(7)}:|`)
  for (const [name, value] of Object.entries(ratios)) {
    lines.push(`| ${pad(name, 50)} | ${pad(value === null ? 'n/a' : num(value, 2), 6, true)} |`)
  }
  return lines.join('\n')
}

/** The side-by-side table of the database servers: one line per server. */
export function formatDatabaseTable (databases) {
  const lines = [
    `| ${pad('database server', 26)} | ${pad('refresh rot/s', 13, true)} | ${pad('p99 ms', 7, true)} | ${pad('storm rot/s', 11, true)} | ${pad('storm err', 9, true)} | ${pad('login/s', 7, true)} | ${pad('trips/rot', 9, true)} | ${pad('storm trips/rot', 15, true)} | notes`,
    `|${'-'.repeat(28)}|${'-'.repeat(14)}:|${'-'.repeat(8)}:|${'-'.repeat(12)}:|${'-'.repeat(10)}:|${'-'.repeat(8)}:|${'-'.repeat(10)}:|${'-'.repeat(16)}:|------`
  ]
  for (const [server, row] of Object.entries(databases)) {
    lines.push(`| ${pad(server, 26)} | ${pad(num(row.refreshRotationsPerSec), 13, true)} | ${pad(num(row.refreshP99, 1), 7, true)} | ${pad(num(row.stormRotationsPerSec), 11, true)} | ${pad(num(row.stormErrors), 9, true)} | ${pad(num(row.loginsPerSec), 7, true)} | ${pad(num(row.roundTripsPerRotation, 1), 9, true)} | ${pad(num(row.roundTripsPerStormRotation, 1), 15, true)} | ${row.note ?? ''}`)
  }
  return lines.join('\n')
}
