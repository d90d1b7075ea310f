// What a user gets: each package packed by `pnpm pack` (the manifest pnpm publishes: workspace versions and
// publishConfig applied), and the tarballs installed by npm into an empty folder outside the workspace, their
// dependencies coming from the registry. One install serves every case of the check.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { run, userEnv } from './processes.js'

export interface Packed {
  /** Package name → its tarball. */
  tarballs: Map<string, string>
  ms: number
}

/** Packs each package directory into `outDir`. Needs `pnpm build` output (dist/). */
export async function packAll (packageDirs: readonly string[], outDir: string, pnpm: string): Promise<Packed> {
  const started = Date.now()
  mkdirSync(outDir, { recursive: true })
  const tarballs = new Map<string, string>()
  for (const dir of packageDirs) {
    if (!existsSync(join(dir, 'dist', 'index.js'))) throw new Error(`${dir}/dist is missing: run \`pnpm build\` first (.ci/run builds before the tests)`)
    const before = new Set(readdirSync(outDir))
    await run(pnpm, ['pack', '--pack-destination', outDir], dir, 60_000, userEnv())
    const added = readdirSync(outDir).filter((name) => !before.has(name) && name.endsWith('.tgz'))
    if (added.length !== 1) throw new Error(`pnpm pack in ${dir} made ${added.length} tarballs`)
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string }
    tarballs.set(manifest.name, join(outDir, added[0]!))
  }
  return { tarballs, ms: Date.now() - started }
}

/** A folder with a package.json of its own (ESM), then one `npm install` of `specs`. */
export async function npmInstall (appDir: string, specs: readonly string[], npm: string, timeoutMs: number): Promise<number> {
  mkdirSync(appDir, { recursive: true })
  writeFileSync(join(appDir, 'package.json'), JSON.stringify({ name: 'authgate-packaging-check', private: true, type: 'module' }, null, 2))
  const { ms } = await run(npm, ['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], appDir, timeoutMs)
  return ms
}
