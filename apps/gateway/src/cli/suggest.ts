// "Did you mean …?" for the CLI: the closest known name to what was typed (`--confg` → `--config`, `strat` → `start`).

/** Edit distance (insertions, deletions, substitutions, adjacent swaps) between two short strings. */
function distance (a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_row, i) => Array.from({ length: b.length + 1 }, (_cell, j) => i === 0 ? j : j === 0 ? i : 0))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = rows[i] ?? []
      const above = rows[i - 1] ?? []
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      row[j] = Math.min((above[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (above[j - 1] ?? 0) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] ?? 0, (rows[i - 2]?.[j - 2] ?? 0) + 1)
    }
  }
  return rows[a.length]?.[b.length] ?? Number.POSITIVE_INFINITY
}

/**
 * The known name closest to `typed`, when close enough to be a typo (at most 2 edits, 1 for names of 4 characters
 * or fewer, where 2 edits reach almost anything), or one that `typed` abbreviates; undefined otherwise.
 */
export function closest (typed: string, known: readonly string[]): string | undefined {
  const lower = typed.toLowerCase()
  let best: { name: string, cost: number } | undefined
  for (const name of known) {
    const cost = name.startsWith(lower) && lower.length >= 3 ? 0 : distance(lower, name.toLowerCase())
    if (cost <= (name.length <= 4 ? 1 : 2) && (best === undefined || cost < best.cost)) best = { name, cost }
  }
  return best?.name
}
