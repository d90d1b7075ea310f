// "did you mean …?" for an unknown key: the closest known key within a small edit distance.

/** Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`, ignoring case. */
function distance (a: string, b: string): number {
  const x = a.toLowerCase()
  const y = b.toLowerCase()
  const rows: number[][] = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost)
      // `prot` for `port`, `auht` for `auth`: the commonest typo is one edit, not two.
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1)
      ;(rows[i] as number[])[j] = best
    }
  }
  return at(x.length, y.length)
}

/** The known key closest to `key` (at most a third of its length in edits, at least 1, at most 3), or undefined. */
export function closest (key: string, known: readonly string[]): string | undefined {
  // Bound the work: a key is a name, not a document.
  if (key.length > 100) return undefined
  const limit = Math.min(3, Math.max(1, Math.floor(key.length / 3)))
  let best: string | undefined
  let bestDistance = limit + 1
  for (const candidate of known) {
    const d = distance(key, candidate)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}

/** ` (did you mean x?)` or an empty string. */
export function didYouMean (key: string, known: readonly string[]): string {
  const match = closest(key, known)
  return match === undefined ? '' : ` (did you mean ${match}?)`
}
