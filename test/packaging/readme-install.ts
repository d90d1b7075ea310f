// The examples of a README's "## Install" section: the packaging check runs exactly these texts, so the docs a user
// copies from and the test cannot drift apart.
import { readFileSync } from 'node:fs'

export interface CodeBlock {
  /** The fence's language (`sh`, `js`…). */
  lang: string
  code: string
}

/** The fenced code blocks of the `## Install` section of `readmePath`, in order. Throws when there is no such section. */
export function installBlocks (readmePath: string): CodeBlock[] {
  const text = readFileSync(readmePath, 'utf8')
  const start = text.search(/^## Install$/m)
  if (start === -1) throw new Error(`${readmePath}: no "## Install" section`)
  const rest = text.slice(start + '## Install'.length)
  const end = rest.search(/^## /m)
  const section = end === -1 ? rest : rest.slice(0, end)
  return [...section.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map((match) => ({ lang: match[1]!, code: match[2]! }))
}

/** The one block of `lang` in the section (the section's example), or an error naming the README. */
export function installBlock (readmePath: string, lang: string, index = 0): string {
  const blocks = installBlocks(readmePath).filter((block) => block.lang === lang)
  const block = blocks[index]
  if (block === undefined) throw new Error(`${readmePath}: the Install section has no ${lang} block #${index + 1}`)
  return block.code
}

/** The `npm install …` line of an Install section's shell block: the package names a user is told to install. */
export function npmInstallPackages (shell: string): string[] {
  const line = shell.split('\n').find((candidate) => candidate.startsWith('npm install '))
  if (line === undefined) throw new Error(`no "npm install" line in:\n${shell}`)
  return line.replace(/#.*$/, '').trim().split(/\s+/).slice(2)
}
