// Node arguments for children that import the workspace's TypeScript sources (the gateway, the plugin): the
// `authgate-source` export condition (packages resolve each other's src/, no build needed, as in the tests) plus the
// ts-node ESM loader that tap already ships (@tapjs/typescript), in transpile-only mode. The loader only costs at
// import time; the request path runs the same JavaScript a build would produce.
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** @returns {{ args: string[], env: Record<string, string> } | { error: string }} */
export function typescriptNode () {
  try {
    const fromRoot = createRequire(join(REPO_ROOT, 'package.json'))
    const fromTap = createRequire(fromRoot.resolve('tap/package.json'))
    const fromPlugin = createRequire(fromTap.resolve('@tapjs/typescript/package.json'))
    const loader = fromPlugin.resolve('@isaacs/ts-node-temp-fork-for-pr-2009/import')
    return {
      args: ['--import', loader, '--conditions=authgate-source'],
      env: { TS_NODE_TRANSPILE_ONLY: '1', TS_NODE_PROJECT: join(REPO_ROOT, 'test', 'tsconfig.json') }
    }
  } catch (error) {
    return { error: `no TypeScript loader (tap's @tapjs/typescript / ts-node): ${String(error).split('\n')[0]}` }
  }
}
