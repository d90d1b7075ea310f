// Ctrl-C half-way through a test run must leave no database process behind (the Foundation issue's "done when").
// Starts a nested test run with its own database, interrupts it, and checks that the database process is gone.
import t from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

const alive = (pid: number) => {
  try { process.kill(pid, 0); return true } catch { return false }
}

t.test('SIGINT to a test run stops its database server', { timeout: 60_000 }, async (t) => {
  const env: NodeJS.ProcessEnv = { ...process.env }
  delete env.MONGODB_URL // the nested run must start a server of its own
  const run = spawn(process.execPath, ['test/run.mjs', 'test/tooling/fixtures/slow.fixture.ts'], {
    cwd: root, env, stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => { if (run.exitCode === null) run.kill('SIGKILL') })
  let out = ''
  run.stderr.resume()
  const pid = await new Promise<number | null>((resolve) => {
    run.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /# test database: .*\(pid (\d+)\)/.exec(out)
      if (m) resolve(Number(m[1]))
    })
    run.on('exit', () => resolve(null))
  })
  if (pid === null) {
    t.comment('the nested run used an external server (MONGODB_URL or no pid): nothing of ours to stop')
    t.fail('expected the nested run to start its own database server')
    return
  }
  t.ok(alive(pid), 'the database server is running during the run')
  await new Promise((resolve) => setTimeout(resolve, 1500)) // let tap start the slow test
  run.kill('SIGINT')
  const code = await new Promise((resolve) => run.on('exit', (c) => resolve(c)))
  t.not(code, 0, 'an interrupted run does not report success')
  t.notOk(alive(pid), 'the database server is gone after the interrupt')
})
