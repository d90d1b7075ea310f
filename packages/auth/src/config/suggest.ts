// "did you mean …?" for an unknown key: the closest known key within a small edit distance.

function distance (a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0] as number
    previous[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j] as number
      const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1
      previous[j] = Math.min(above + 1, (previous[j - 1] as number) + 1, diagonal + cost)
      diagonal = above
    }
  }
  return previous[b.length] as number
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
