// Child processes of the packaging check: commands with a time bound, and servers whose output is watched for the
// line that says where they listen. Each server is started in its own process group (so that `npx`, the shell it
// runs and the node process under it stop together) and stopped by that group's id, never by name.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

/** Variables of a user's shell that the check keeps (the rest belongs to the test run). */
const USER_VARIABLES = /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LC_\w+|TZ|TMPDIR|TERM|NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|(HTTPS?|NO|ALL)_PROXY|(https?|no|all)_proxy)$/
/**
 * npm settings a user (or the CI machine) gives through the environment: where packages come from and how to reach
 * it. Without them the installs would go to the public registry, past a mirror or a proxy the machine needs. The
 * other npm_* variables are the ones pnpm sets for the script it runs (npm_package_*, npm_lifecycle_*,
 * npm_config_user_agent, npm_execpath...): no user's shell has them.
 */
const NPM_SETTINGS = /^npm_config_(registry|cache|userconfig|globalconfig|cafile|strict_ssl|proxy|https_proxy|noproxy|@[^:]+:registry)$/i

/**
 * The environment a user's shell would give: the path, home (npm's user config and cache), locale, proxies, CA
 * certificates and npm's registry settings, nothing of the test run (no NODE_OPTIONS with the test runner's loaders,
 * no `authgate-source` condition, no database or Redis of the test harness, no npm_* variables of the pnpm script
 * around us).
 */
export function userEnv (extra: Record<string, string> = {}, from: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(from)) if (USER_VARIABLES.test(name) || NPM_SETTINGS.test(name)) env[name] = value
  return { ...env, CI: 'true', NO_COLOR: '1', ...extra }
}

export interface RunResult { stdout: string, stderr: string, ms: number }

/** Runs `file args` in `cwd` within `timeoutMs`; rejects with the command's output when it fails. */
export async function run (file: string, args: string[], cwd: string, timeoutMs: number, env = userEnv()): Promise<RunResult> {
  const started = Date.now()
  try {
    const { stdout, stderr } = await execFileAsync(file, args, { cwd, env, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024, encoding: 'utf8' })
    return { stdout, stderr, ms: Date.now() - started }
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string, stderr?: string }
    throw new Error(`${file} ${args.join(' ')} failed in ${cwd} after ${Date.now() - started} ms: ${(error as Error).message}\n${stdout}\n${stderr}`.slice(0, 20_000))
  }
}

export interface Server {
  child: ChildProcess
  /** Everything printed so far (stdout and stderr). */
  output: () => string
  /** The first match of `pattern` in the output, waited for at most `timeoutMs`. */
  waitFor: (pattern: RegExp, timeoutMs: number) => Promise<RegExpExecArray>
  /** SIGINT to the process group, SIGKILL after `graceMs`; resolves once the leader has exited. */
  stop: (graceMs?: number) => Promise<void>
}

/** Whether any process of the group led by `pid` is still there (signal 0 only checks). */
function groupAlive (pid: number | undefined): boolean {
  if (pid === undefined) return false
  try {
    process.kill(-pid, 0)
    return true
  } catch {
    return false
  }
}

/** Process groups started and not yet stopped, and folders to remove: both cleaned up if the test process exits. */
const liveGroups = new Set<number>()
const exitCleanups = new Set<() => void>()
let exitHookInstalled = false

/**
 * A detached group outlives the test process unless something stops it: a failed assertion, a timeout of the test
 * runner or an uncaught error skips the teardowns. The 'exit' event still runs (synchronous work only).
 */
function installExitHook (): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const pid of liveGroups) {
      try {
        process.kill(-pid, 'SIGKILL')
      } catch {
        // The group is gone already.
      }
    }
    for (const cleanup of exitCleanups) {
      try {
        cleanup()
      } catch {
        // Best effort: the process is exiting.
      }
    }
  })
}

/** Runs `cleanup` (synchronous) when the test process exits, whatever the teardowns did. */
export function onExit (cleanup: () => void): void {
  installExitHook()
  exitCleanups.add(cleanup)
}

/** Starts `file args` in `cwd`, in a process group of its own (killed on the test process's exit if still there). */
export function startServer (file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Server {
  installExitHook()
  const child = spawn(file, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  const groupId = child.pid
  if (groupId !== undefined) liveGroups.add(groupId)
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => { resolve() })
  })
  const signalGroup = (signal: NodeJS.Signals): void => {
    if (child.pid === undefined) return
    try {
      process.kill(-child.pid, signal)
    } catch {
      // The group is gone already.
    }
  }
  return {
    child,
    output: () => output,
    async waitFor (pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const match = pattern.exec(output)
        if (match !== null) return match
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${file} ${args.join(' ')} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${output}`)
        if (Date.now() > deadline) throw new Error(`${file} ${args.join(' ')} did not print ${pattern} within ${timeoutMs} ms:\n${output}`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    },
    async stop (graceMs = 10_000) {
      signalGroup('SIGINT')
      const deadline = Date.now() + graceMs
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, graceMs).unref())])
      // The leader (npx) may exit before the node process it ran: wait for the whole group, within the same bound.
      while (groupAlive(child.pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
      if (groupAlive(child.pid)) signalGroup('SIGKILL')
      await exited
      if (groupId !== undefined && !groupAlive(groupId)) liveGroups.delete(groupId)
    }
  }
}
