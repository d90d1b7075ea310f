// A canonical path as a lenient upstream framework may read it before routing: the gateway routes on exact
// segments, so any reading that lands on another configured prefix is a way past that prefix's policy
// (issue #11 item 7). The folds, in the order applied:
//   1. percent-escapes decoded (once more than the canonical form: frameworks decode before routing);
//   2. Unicode NFKD, combining marks and variation selectors removed (`á` → `a`, U+034F, U+FE0F: accent-insensitive
//      collations and lookups), then NFKC (fullwidth `ａｄｍｉｎ`, `／`, `．`, `‥`, ligatures, Kelvin sign K → ASCII);
//   3. the path ends at a decoded `?` or `#` (an upstream that re-parses the decoded path sees a query there);
//   4. `\` is a separator like `/` (IIS, some Windows stacks), and so are the slash look-alikes that NFKC leaves
//      alone (`∕` `⁄` `⧸` `∖` `⧵` `╱` `╲`: some stacks map them to ASCII); empty segments are merged (`//`);
//   5. per segment: `;params` dropped (servlet matrix parameters); `.`/`..` resolved; trailing dots and spaces
//      dropped (Windows); case folded, also for letters whose case fold is ASCII (dotless ı, İ, long ſ, ß → ss);
//      invisible format characters (zero-width, soft hyphen, BOM) dropped;
//   6. a format suffix `.<ext>` on the last segment (Rails, Spring's suffix match, `/admin.json`) is matched by
//      `spellsPrefix` rather than stripped here, so a configured prefix with a dot in it still compares.
// Every step is a plain scan: the cost is linear in the length of the path, whatever it holds.

export interface FoldedPath {
  readonly segments: readonly string[]
}

function isAscii (text: string): boolean {
  for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) > 0x7f) return false
  return true
}

const COMBINING = /\p{M}/gu
const FORMAT = /^\p{Cf}$/u

/** `/`, `\` and the look-alikes of either that NFKC does not map (division slash, fraction slash, set minus…). */
function isSeparator (code: number): boolean {
  return code === 0x2f || code === 0x5c || code === 0x2044 || code === 0x2215 || code === 0x2216 || code === 0x2571 ||
    code === 0x2572 || code === 0x29f5 || code === 0x29f8 || code === 0x29f9
}

/** One non-ASCII character folded as case-insensitive routers may: to ASCII when any case mapping of it is ASCII. */
function foldCharacter (character: string): string {
  if (FORMAT.test(character)) return ''
  const lower = character.toLowerCase()
  if (isAscii(lower)) return lower
  // ı → I → i, ſ → S → s, ß → SS → ss (Java/.NET compare upper-case forms).
  const viaUpper = character.toUpperCase().toLowerCase()
  if (isAscii(viaUpper)) return viaUpper
  // İ → i + U+0307 (Java's simple lower-case mapping is plain i).
  const bare = lower.replace(COMBINING, '')
  if (bare !== '' && isAscii(bare)) return bare
  return lower
}

function foldCase (segment: string): string {
  if (isAscii(segment)) return segment.toLowerCase()
  let folded = ''
  for (const character of segment) folded += character.charCodeAt(0) < 0x80 ? character.toLowerCase() : foldCharacter(character)
  return folded
}

/** `segment` without its trailing dots and spaces (a scan from the end: no backtracking on runs of them). */
function trimTrailingDotsAndSpaces (segment: string): string {
  let end = segment.length
  while (end > 0) {
    const code = segment.charCodeAt(end - 1)
    if (code !== 0x2e && code !== 0x20) break
    end--
  }
  return end === segment.length ? segment : segment.slice(0, end)
}

function decodeLeniently (path: string): string {
  if (!path.includes('%')) return path
  try {
    return decodeURIComponent(path)
  } catch {
    // Canonical paths always decode; anything else is read as sent.
    return path
  }
}

/** Appends the folded `raw` segment to `out` (or resolves it when it is a dot segment). */
function pushSegment (out: string[], raw: string): void {
  const semicolon = raw.indexOf(';')
  const bare = semicolon === -1 ? raw : raw.slice(0, semicolon)
  const folded = trimTrailingDotsAndSpaces(foldCase(bare))
  if (folded !== '') {
    out.push(folded)
    return
  }
  // Only dots and spaces: `.`, `..`, and what Windows trims to them (`.. `, `...`): read two or more dots as `..`.
  if (bare.indexOf('.') !== bare.lastIndexOf('.')) out.pop()
}

/** The segments of `path` (no query) as a lenient upstream may read them. */
export function foldPath (path: string): FoldedPath {
  let text = decodeLeniently(path)
  if (!isAscii(text)) text = text.normalize('NFKD').replace(COMBINING, '').normalize('NFKC')
  const segments: string[] = []
  let start = 0
  let end = text.length
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (code === 0x3f || code === 0x23) {
      end = index
      break
    }
  }
  for (let index = 0; index <= end; index++) {
    const code = index === end ? 0x2f : text.charCodeAt(index)
    if (isSeparator(code)) {
      if (index > start) pushSegment(segments, text.slice(start, index))
      start = index + 1
    }
  }
  return { segments }
}

/**
 * Whether the folded path reads as being under the folded `prefix` segments. The last segment of the path may also
 * carry a format suffix: `admin.json` reads as `admin` (from any dot: Spring's suffix match takes `admin.x.json`),
 * also before a trailing slash (`admin.json/`).
 */
export function spellsPrefix (path: FoldedPath, prefix: readonly string[]): boolean {
  const { segments } = path
  if (prefix.length === 0 || segments.length < prefix.length) return false
  const last = prefix.length - 1
  for (let index = 0; index < last; index++) if (segments[index] !== prefix[index]) return false
  const segment = segments[last] as string
  const wanted = prefix[last] as string
  if (segment === wanted) return true
  // A trailing slash does not stop it: `/admin.json/` is `admin` to a router that strips a trailing slash first.
  return last === segments.length - 1 && segment.length > wanted.length &&
    segment.startsWith(wanted) && segment.charCodeAt(wanted.length) === 0x2e
}
