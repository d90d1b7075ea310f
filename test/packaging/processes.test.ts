// The packaging check's child processes (processes.ts): the environment a user's shell would give, and servers that
// cannot outlive the test process even when its teardowns never run.
import t from 'tap'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { userEnv } from './processes.js'

t.test('userEnv keeps npm\'s registry settings and drops what pnpm sets for the running script', async (t) => {
  const env = userEnv({}, {
    PATH: '/bin',
    npm_config_registry: 'http://127.0.0.1:4873/',
    NPM_CONFIG_CACHE: '/tmp/npm-cache',
    npm_config_userconfig: '/home/u/.npmrc',
    npm_config_globalconfig: '/etc/npmrc',
    npm_config_cafile: '/etc/ca.pem',
    npm_config_strict_ssl: 'true',
    npm_config_proxy: 'http://proxy:3128',
    npm_config_https_proxy: 'http://proxy:3128',
    npm_config_noproxy: 'localhost',
    'npm_config_@acme:registry': 'http://127.0.0.1:4874/',
    npm_package_name: 'authgate',
    npm_lifecycle_event: 'test',
    npm_lifecycle_script: 'tap',
    npm_config_user_agent: 'pnpm/9',
    npm_execpath: '/usr/lib/pnpm.cjs',
    npm_node_execpath: '/usr/bin/node',
    NODE_OPTIONS: '--import=loader',
    MONGODB_URL: 'mongodb://127.0.0.1:27017'
  })
  t.same(Object.keys(env).sort(), [
    'CI', 'NO_COLOR', 'NPM_CONFIG_CACHE', 'PATH', 'npm_config_@acme:registry', 'npm_config_cafile', 'npm_config_globalconfig',
    'npm_config_https_proxy', 'npm_config_noproxy', 'npm_config_proxy', 'npm_config_registry', 'npm_config_strict_ssl',
    'npm_config_userconfig'
  ].sort())
})

t.test('a server still running when the test process exits is killed with its whole group; onExit folders go', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'authgate-processes-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const doomed = mkdtempSync(join(dir, 'doomed-'))
  const processes = pathToFileURL(join(import.meta.dirname, 'processes.ts')).href
  // The server: a shell whose node child (a grandchild of the test process) prints its pid and stays.
  const script = `
    import { onExit, startServer } from ${JSON.stringify(processes)}
    import { rmSync } from 'node:fs'
    onExit(() => { rmSync(${JSON.stringify(doomed)}, { recursive: true, force: true }) })
    const server = startServer('/bin/sh', ['-c', ${JSON.stringify(`${process.execPath} -e "console.log('pid', process.pid); setTimeout(() => {}, 60000)"`)}], ${JSON.stringify(dir)}, { PATH: process.env.PATH })
    const [, pid] = await server.waitFor(/pid (\\d+)/, 20000)
    console.log(server.child.pid, pid)
    process.exit(0)`
  const { stdout } = await promisify(execFile)(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], { cwd: dir, timeout: 60_000 })
  const [group, grandchild] = stdout.trim().split(/\s+/).map(Number) as [number, number]
  t.ok(group > 0 && grandchild > 0, `pids printed: ${stdout.trim()}`)
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0)
      // A zombie waiting for its reaper counts as gone.
      return !/^\S+ \S+ Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^\d+ \(.*\) /, '0 x '))
    } catch {
      return false
    }
  }
  const deadline = Date.now() + 5000
  while (alive(grandchild) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  if (alive(grandchild)) process.kill(grandchild, 'SIGKILL')
  t.notOk(alive(grandchild), 'the server\'s node process is gone')
  t.notOk(existsSync(doomed), 'the folder given to onExit is removed')
})
