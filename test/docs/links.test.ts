// The docs stand alone: every relative link of every Markdown file in the repository reaches a file of the
// repository (and a heading of it, for a #fragment into Markdown), and no file points readers at notes that live
// outside it (the team's design notes, another machine's paths). A link that only works in one checkout is a broken
// link for everybody else.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join, relative, resolve, sep } from 'node:path'

const root = fileURLToPath(new URL('../..', import.meta.url))
const self = relative(root, fileURLToPath(import.meta.url)).split(sep).join('/')

/** Files git tracks, plus new ones not ignored (so a doc is checked before its first commit), that still exist. */
function repositoryFiles (pattern?: string): string[] {
  const args = ['ls-files', '-z', '--cached', '--others', '--exclude-standard', ...(pattern === undefined ? [] : ['--', pattern])]
  const names = execFileSync('git', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).split('\0').filter((name) => name !== '')
  return [...new Set(names)].filter((name) => existsSync(join(root, name)) && statSync(join(root, name)).isFile()).sort()
}

/** The text outside fenced code blocks and inline code spans, line numbers kept (code lines become empty). */
function proseLines (markdown: string): string[] {
  let fence: string | null = null
  return markdown.split('\n').map((line) => {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1]
    if (fence !== null) {
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) fence = null
      return ''
    }
    if (marker !== undefined) { fence = marker; return '' }
    return line.replace(/(`+)[^`]*?\1/g, '')
  })
}

/** GitHub's heading ids (github-slugger): lower case, punctuation dropped, spaces to `-`, `-1`, `-2` for repeats. */
function headingIds (markdown: string): Set<string> {
  const ids = new Set<string>()
  const seen = new Map<string, number>()
  let fence: string | null = null
  for (const line of markdown.split('\n')) {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1]
    if (fence !== null) {
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) fence = null
      continue
    }
    if (marker !== undefined) { fence = marker; continue }
    for (const match of line.matchAll(/<a\s[^>]*?(?:name|id)="([^"]+)"/g)) ids.add(match[1] ?? '')
    const heading = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)?.[1]
    if (heading === undefined) continue
    const text = heading.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/<[^>]+>/g, '')
    const base = text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-')
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    ids.add(count === 0 ? base : `${base}-${count}`)
  }
  return ids
}

const headingCache = new Map<string, Set<string>>()
function headingsOf (file: string): Set<string> {
  let ids = headingCache.get(file)
  if (ids === undefined) {
    ids = headingIds(readFileSync(join(root, file), 'utf8'))
    headingCache.set(file, ids)
  }
  return ids
}

/** Link targets of a Markdown file: inline links and images, reference definitions, HTML href/src. */
function linkTargets (markdown: string): { line: number, target: string }[] {
  const found: { line: number, target: string }[] = []
  proseLines(markdown).forEach((text, index) => {
    const add = (raw: string | undefined): void => {
      if (raw !== undefined) found.push({ line: index + 1, target: raw.trim().replace(/^<(.*)>$/, '$1') })
    }
    for (const match of text.matchAll(/\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g)) add(match[1])
    const definition = /^\s{0,3}\[[^\]]+\]:\s*(\S+)/.exec(text)
    if (definition !== null) add(definition[1])
    for (const match of text.matchAll(/\b(?:href|src)="([^"]*)"/g)) add(match[1])
  })
  return found
}

/** Why a link target is broken, or null when it resolves inside the repository. */
function problemOf (file: string, target: string): string | null {
  if (/^file:/i.test(target)) return 'a file: URL (absolute, of one machine)'
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return null // https:, mailto:…: not a file of the repository
  if (target.startsWith('/')) return 'an absolute path (write it relative to the file)'
  const hash = target.indexOf('#')
  const pathPart = hash === -1 ? target : target.slice(0, hash)
  const fragment = hash === -1 ? '' : target.slice(hash + 1)
  let path: string
  try { path = decodeURIComponent(pathPart.replace(/\?.*$/, '')) } catch { return 'a malformed percent-escape' }
  const absolute = path === '' ? join(root, file) : resolve(root, dirname(file), path)
  const inside = relative(root, absolute)
  if (inside.startsWith('..') || resolve(root, inside) !== absolute) return 'a path outside the repository'
  if (!existsSync(absolute)) return 'no such file in the repository'
  const targetFile = inside.split(sep).join('/')
  if (fragment !== '' && targetFile.endsWith('.md') && statSync(absolute).isFile()) {
    if (!headingsOf(targetFile).has(decodeURIComponent(fragment).toLowerCase())) return `no heading #${fragment} in ${targetFile}`
  }
  return null
}

t.test('every relative link in the Markdown files reaches a file (and heading) of the repository', async (t) => {
  const markdownFiles = repositoryFiles('*.md')
  t.ok(markdownFiles.includes('README.md') && markdownFiles.includes('docs/design.md'), 'the READMEs and docs/ are checked')
  const problems: string[] = []
  let links = 0
  for (const file of markdownFiles) {
    for (const { line, target } of linkTargets(readFileSync(join(root, file), 'utf8'))) {
      links++
      const problem = problemOf(file, target)
      if (problem !== null) problems.push(`${file}:${String(line)}: (${target}) is ${problem}`)
    }
  }
  t.ok(links > 50, `links found (${String(links)})`)
  t.same(problems, [], 'no broken links')
})

// Mentions of files outside the repository, in any tracked text file (sources, tests and scripts included: their
// comments are read too). The design notes' contents live in docs/ (design.md, security.md, benchmarks.md).
const OUTSIDE: readonly { pattern: RegExp, why: string }[] = [
  { pattern: /\bDESIGN\b/, why: 'the design notes: refer to docs/design.md and its section' },
  { pattern: /\bSECURITY-CASES\b/, why: 'the attack notes: refer to docs/security.md (its ids, e.g. A.12, are the same)' },
  { pattern: /\bPERF-NOTES\b/, why: 'the performance notes: refer to docs/benchmarks.md or docs/profiling.md' },
  { pattern: /(?<![\w-])STYLE\.md\b/, why: 'the style notes are not part of the repository' },
  { pattern: /(?:\.\.\/)+shared\//, why: 'a path out of the repository' },
  { pattern: /(?<![\w.])\/work\//, why: 'an absolute path of one machine' }
]

t.test('no file points at notes outside the repository', async (t) => {
  const problems: string[] = []
  for (const file of repositoryFiles()) {
    if (file === self || file === 'pnpm-lock.yaml') continue
    const text = readFileSync(join(root, file))
    if (text.includes(0)) continue // binary
    text.toString('utf8').split('\n').forEach((line, index) => {
      for (const { pattern, why } of OUTSIDE) {
        if (pattern.test(line)) problems.push(`${file}:${String(index + 1)}: ${why}: ${line.trim().slice(0, 120)}`)
      }
    })
  }
  t.same(problems, [], 'no references to files outside the repository')
})

// Sources and tests name doc sections as `docs/design.md#token-model`: those must exist as well.
t.test('doc sections named in sources, tests and docs exist', async (t) => {
  const problems: string[] = []
  let mentions = 0
  for (const file of repositoryFiles()) {
    if (file === self || !/\.(?:ts|mts|mjs|js|md|sh|yaml|json)$/.test(file) || file === 'pnpm-lock.yaml') continue
    const lines = readFileSync(join(root, file), 'utf8').split('\n')
    lines.forEach((line, index) => {
      for (const match of line.matchAll(/(?<![\w./-])((?:docs|packages\/[\w-]+|apps\/[\w-]+)\/(?:[\w-]+\/)*[\w.-]+\.md)(?:#([\w-]+))?/g)) {
        mentions++
        const [, target = '', fragment] = match
        if (!existsSync(join(root, target))) problems.push(`${file}:${String(index + 1)}: ${target} does not exist`)
        else if (fragment !== undefined && !headingsOf(target).has(fragment)) problems.push(`${file}:${String(index + 1)}: no heading #${fragment} in ${target}`)
      }
    })
  }
  t.ok(mentions > 10, `mentions found (${String(mentions)})`)
  t.same(problems, [], 'every named doc and section exists')
})
