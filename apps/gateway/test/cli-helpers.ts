// Running the `authgate` CLI from its TypeScript source in a child process, as a user would run the built one:
// the ts-node ESM loader that tap ships plus the authgate-source condition (no build needed).
import { spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))

function loaderArgs (): string[] {
  const fromRoot = createRequire(`${ROOT}package.json`)
  const fromTap = createRequire(fromRoot.resolve('tap/package.json'))
  const fromPlugin = createRequire(fromTap.resolve('@tapjs/typescript/package.json'))
  return ['--import', fromPlugin.resolve('@isaacs/ts-node-temp-fork-for-pr-2009/import'), '--conditions=authgate-source']
}

export interface CliRun { code: number | null, stdout: string, stderr: string }

export function spawnCli (args: string[], options: { env?: Record<string, string>, cwd?: string } = {}): ChildProcess {
  return spawn(process.execPath, [...loaderArgs(), CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', TS_NODE_PROJECT: `${ROOT}test/tsconfig.json`, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe']
  })
}

export function runCli (args: string[], options: { env?: Record<string, string>, stdin?: string, cwd?: string } = {}): Promise<CliRun> {
  const child = spawnCli(args, options)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  child.stdin?.end(options.stdin ?? '')
  return new Promise((resolve) => child.on('close', (code) => { resolve({ code, stdout, stderr }) }))
}

/** Resolves with the first stdout line matching `pattern` (rejects if the child exits first). */
export function waitForLine (child: ChildProcess, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = ''
    const timer = setTimeout(() => { reject(new Error(`no line matching ${String(pattern)} within ${timeoutMs} ms: ${buffer}`)) }, timeoutMs)
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      const line = buffer.split('\n').find((candidate) => pattern.test(candidate))
      if (line !== undefined) {
        clearTimeout(timer)
        resolve(line)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited with ${String(code)} before printing ${String(pattern)}: ${buffer}`))
    })
  })
}
