// Running the `authgate` CLI from its TypeScript source in a child process, as a user would run the built one:
// the repository's cached transpiler (test/kit/typescript) plus the authgate-source condition (no build needed).
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { typescriptNodeArgs } from '@authgate/test-kit/node-args'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))

export interface CliRun { code: number | null, stdout: string, stderr: string }

export function spawnCli (args: string[], options: { env?: Record<string, string>, cwd?: string } = {}): ChildProcess {
  return spawn(process.execPath, [...typescriptNodeArgs(), CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    env: cliEnv(options.env),
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

/** The command line that runs the CLI from source (for a shell or `script -c`): node, its loader flags, cli.ts. */
export function cliCommandLine (): string[] {
  return [process.execPath, ...typescriptNodeArgs(), CLI]
}

/** The environment spawnCli gives the CLI: the test's own, plus `extra`. */
export function cliEnv (extra: Record<string, string> = {}): Record<string, string | undefined> {
  return { ...process.env, ...extra }
}

export interface MainRun { code: number, stdout: string, stderr: string }

/** main(argv) in-process with process.stdout and console.error captured (they would otherwise mix with TAP output). */
export async function runMain (...argv: string[]): Promise<MainRun> {
  const { main } = await import('../src/cli/main.js')
  let stdout = ''
  let stderr = ''
  const write = process.stdout.write.bind(process.stdout)
  const error = console.error
  process.stdout.write = ((chunk: string | Uint8Array) => { stdout += String(chunk); return true })
  console.error = (...parts: unknown[]) => { stderr += parts.map(String).join(' ') + '\n' }
  try {
    return { code: await main(argv), stdout, stderr }
  } finally {
    process.stdout.write = write
    console.error = error
  }
}

export interface TerminalStep {
  /** Wait until the terminal shows this, */
  after: RegExp
  /** then type this (raw bytes: '\r' is Enter, '\x7f' Backspace, '\x03' Ctrl-C), */
  send: string
  /** this many milliseconds later (default at once). */
  delayMs?: number
}

export interface TerminalRun { code: number | null, output: string }

const shellQuote = (word: string): string => `'${word.replaceAll('\'', '\'\\\'\'')}'`

/**
 * Runs the CLI on a real pseudo-terminal (util-linux `script`, in Debian's essential packages): its stdin is a TTY
 * and `output` is everything the terminal showed, echo included. `steps` are typed one at a time, each once the
 * terminal shows what it waits for. Bounded: killed after `timeoutMs`.
 */
export function runInTerminal (args: string[], steps: TerminalStep[], options: { env?: Record<string, string>, timeoutMs?: number } = {}): Promise<TerminalRun> {
  const command = `exec ${[...cliCommandLine(), ...args].map(shellQuote).join(' ')}`
  const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { cwd: ROOT, env: { ...cliEnv(options.env), SHELL: '/bin/sh' }, stdio: ['pipe', 'pipe', 'pipe'] })
  let output = ''
  let next = 0
  const advance = (): void => {
    const step = steps[next]
    if (step !== undefined && step.after.test(output)) {
      next++
      setTimeout(() => {
        child.stdin.write(step.send)
        advance()
      }, step.delayMs ?? 0)
    }
  }
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); advance() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); advance() })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL') }, options.timeoutMs ?? 90_000)
    child.once('error', (error) => { clearTimeout(timer); reject(error) })
    child.once('close', (code) => {
      clearTimeout(timer)
      child.stdin.end()
      resolve({ code, output })
    })
  })
}
