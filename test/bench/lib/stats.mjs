// Medians over the measured runs: a single 10 s run on a shared 2-core machine varies by up to ~28 %
// (docs/benchmarks.md#early-measurements), the median of three is what the team compares.

/**
 * Median of numbers (mean of the middle two for an even count), NaN left out (a run whose CPU could not be read
 * has no figure, and must not turn the others' into none); NaN when nothing is left.
 */
export function median (values) {
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? /** @type {number} */ (sorted[middle]) : (/** @type {number} */ (sorted[middle - 1]) + /** @type {number} */ (sorted[middle])) / 2
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile (sorted, p) {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return /** @type {number} */ (sorted[rank])
}

/**
 * Folds the runs of one scenario: medians of rps and latencies, errors summed (one error in any run matters),
 * extra numeric fields (rotationsPerSec, falseReuse…) as medians, or sums for counters of bad events.
 * @param {Array<Record<string, any>>} runs
 */
export function aggregate (runs) {
  const result = {
    rps: round(median(runs.map((run) => run.rps))),
    p50: round(median(runs.map((run) => run.p50)), 2),
    p99: round(median(runs.map((run) => run.p99)), 2),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    runs: runs.length
  }
  const extra = /** @type {Record<string, number>} */ ({})
  for (const key of ['rotationsPerSec', 'idleP99', 'stormP99', 'p99Ratio', 'roundTripsPerRotation', 'cpuUsPerRequest', 'cpuSystemUsPerRequest']) {
    // Latencies and their ratio keep two decimals (a p99 of 1.4 ms is not 1 ms); CPU µs one.
    const digits = key === 'rotationsPerSec' ? 0 : key.startsWith('cpu') ? 1 : 2
    if (runs.some((run) => key in run)) extra[key] = round(median(runs.map((run) => run[key] ?? 0)), digits)
  }
  /** @type {Record<string, number>} per process of a scenario measured as several, medians */
  const cpuParts = {}
  for (const label of new Set(runs.flatMap((run) => Object.keys(run.cpuParts ?? {})))) {
    cpuParts[label] = round(median(runs.map((run) => run.cpuParts?.[label] ?? Number.NaN)), 1)
  }
  /** @type {Record<string, number>} % of a core used beside the scenario by each process it needs but does not meter */
  const alongsideCpu = {}
  for (const label of new Set(runs.flatMap((run) => Object.keys(run.alongsideCpu ?? {})))) {
    alongsideCpu[label] = round(median(runs.map((run) => run.alongsideCpu?.[label] ?? Number.NaN)), 1)
  }
  // The most other work seen during any run (% of a core): a run beside other work is noise, whichever it was.
  if (runs.some((run) => Number.isFinite(run.otherLoad))) extra.otherLoadMax = round(Math.max(...runs.map((run) => run.otherLoad).filter(Number.isFinite)))
  for (const key of ['falseReuse', 'forks', 'jwksFetches']) {
    if (runs.some((run) => key in run)) extra[key] = runs.reduce((sum, run) => sum + (run[key] ?? 0), 0)
  }
  /** @type {Record<string, number>} */
  const statusCodes = {}
  for (const run of runs) for (const [code, n] of Object.entries(run.statusCodes ?? {})) statusCodes[code] = (statusCodes[code] ?? 0) + n
  // Where the multi-worker gateway ran, as seen in the last run (a description, not a number).
  const placement = runs.at(-1)?.placement
  return { ...result, ...extra, ...(Object.keys(cpuParts).length ? { cpuParts } : {}), ...(Object.keys(alongsideCpu).length ? { alongsideCpu } : {}), statusCodes, ...(placement === undefined ? {} : { placement }) }
}

function round (value, digits = 0) {
  if (!Number.isFinite(value)) return value
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}
