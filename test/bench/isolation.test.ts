// The bench's freeze/resume bookkeeping (lib/isolation.mjs): each scenario is measured with every bench process it
// does not need stopped (SIGSTOP), and they must all be continued afterwards, also when the measurement throws.
// Real processes (idle Node children), their state read from /proc/PID/stat ('T' = stopped). Linux only.
import t, { type Test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createIsolator, freezeOrder, freezeOthers, frozenPids, neededNames, processTree, thawAll, withOthersFrozen } from './lib/isolation.mjs'

const linux = process.platform === 'linux'

/** The state letter of /proc/PID/stat ('S' sleeping, 'R' running, 'T' stopped), or '' for a process that is gone. */
function state (pid: number | undefined): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').pop()?.trim().split(' ')[0] ?? ''
  } catch {
    return ''
  }
}

/** Waits (bounded) until `pid` reaches a state for which `accept` is true; the kernel applies signals asynchronously. */
async function until (pid: number | undefined, accept: (letter: string) => boolean): Promise<string> {
  const deadline = Date.now() + 5000
  let letter = state(pid)
  while (!accept(letter) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10))
    letter = state(pid)
  }
  return letter
}

const stopped = (pid: number | undefined) => until(pid, (letter) => letter === 'T')
const notStopped = (pid: number | undefined) => until(pid, (letter) => letter !== 'T')

/**
 * An idle Node process (a timer keeps it alive), killed at teardown whatever the test did to it, and ending by
 * itself when this process is gone (its stdin closes) should the teardown never run.
 */
function idleChild (t: Test, code = 'setInterval(() => {}, 1000)'): ChildProcess {
  const child = spawn(process.execPath, ['-e', `process.stdin.on('end', () => process.exit(0)).resume(); ${code}`], { stdio: ['pipe', 'pipe', 'ignore'] })
  t.teardown(() => {
    thawAll()
    child.kill('SIGKILL')
  })
  return child
}

t.test('neededNames closes over dependencies, cycles included', async (t) => {
  const dependsOn = {
    'nginx-forward-auth': ['upstream', 'gateway-eddsa'],
    'gateway-eddsa': ['upstream'],
    'gateway-revocation': ['upstream', 'database'],
    a: ['b'],
    b: ['a']
  }
  t.same([...neededNames(['nginx-forward-auth'], dependsOn)].sort(), ['gateway-eddsa', 'nginx-forward-auth', 'upstream'])
  t.same([...neededNames(['gateway-revocation'], dependsOn)].sort(), ['database', 'gateway-revocation', 'upstream'])
  t.same([...neededNames(['a'], dependsOn)].sort(), ['a', 'b'])
  t.same([...neededNames(['unknown'], dependsOn)], ['unknown'], 'a name without an entry needs only itself')
})

t.test('freezes what is not needed, never what is, and resumes exactly what it froze', { skip: !linux && 'needs /proc' }, async (t) => {
  const upstream = idleChild(t)
  const gateway = idleChild(t)
  const database = idleChild(t)
  const other = idleChild(t)
  const processes = { upstream: upstream.pid, gateway: gateway.pid, database: database.pid, other: other.pid, gone: undefined }
  const isolation = freezeOthers(processes, neededNames(['gateway'], { gateway: ['upstream'] }))
  t.same(isolation.names.sort(), ['database', 'other'])
  t.same(isolation.running.sort(), ['gateway', 'upstream'])
  t.equal(await stopped(database.pid), 'T')
  t.equal(await stopped(other.pid), 'T')
  t.not(state(gateway.pid), 'T', 'the scenario\'s own server runs')
  t.not(state(upstream.pid), 'T', 'its dependency runs')
  t.same(frozenPids().sort(), [database.pid, other.pid].sort())
  isolation.resume()
  t.not(await notStopped(database.pid), 'T')
  t.not(await notStopped(other.pid), 'T')
  t.same(frozenPids(), [])
  isolation.resume()
  t.same(frozenPids(), [], 'resume is idempotent')
})

t.test('resumed when the work throws or rejects', { skip: !linux && 'needs /proc' }, async (t) => {
  const server = idleChild(t)
  const idle = idleChild(t)
  const processes = { server: server.pid, idle: idle.pid }
  await t.rejects(withOthersFrozen(processes, ['server'], async () => {
    t.equal(await stopped(idle.pid), 'T', 'frozen while the work runs')
    throw new Error('the measurement failed')
  }), /the measurement failed/)
  t.not(await notStopped(idle.pid), 'T', 'resumed after the throw')
  t.same(frozenPids(), [])
  const result = await withOthersFrozen(processes, ['server'], async (isolation) => isolation.stopped.length)
  t.equal(result, 1, 'the work sees what was frozen')
  t.not(await notStopped(idle.pid), 'T', 'resumed after success')
})

t.test('unknown, exited and foreign pids are ignored; this process is never stopped', { skip: !linux && 'needs /proc' }, async (t) => {
  const exited = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await new Promise((resolve) => exited.once('exit', resolve))
  const isolation = freezeOthers({
    // A pid far above any this kernel hands out, one that has exited, init, this process itself, and garbage.
    unknown: 2 ** 22 + 12_345,
    exited: exited.pid,
    init: 1,
    self: process.pid,
    garbage: -5
  }, [])
  t.same(isolation.stopped, [])
  t.same(isolation.names, [])
  t.same(frozenPids(), [])
  isolation.resume()
})

t.test('a process tree is frozen whole, and a needed pid inside another tree is left running', { skip: !linux && 'needs /proc' }, async (t) => {
  // A parent that spawns an idle child and prints its pid (a gateway primary and its worker).
  const parent = idleChild(t, `
    const { spawn } = require('node:child_process')
    // The worker ends when its stdin closes, i.e. when the parent is gone, however it went.
    const child = spawn(process.execPath, ['-e', 'process.stdin.resume(); process.stdin.on("end", () => process.exit(0))'], { stdio: ['pipe', 'ignore', 'ignore'] })
    process.stdout.write(child.pid + '\\n')
    process.on('SIGTERM', () => { child.kill('SIGKILL'); process.exit(0) })
    setInterval(() => {}, 1000)
  `)
  const worker = await new Promise<number>((resolve, reject) => {
    let text = ''
    const timer = setTimeout(() => { reject(new Error('the parent printed no child pid within 10 s')) }, 10_000)
    parent.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      if (text.includes('\n')) { clearTimeout(timer); resolve(Number(text.trim())) }
    })
  })
  t.teardown(() => { try { process.kill(worker, 'SIGKILL') } catch { /* gone */ } })
  t.same(processTree(parent.pid).sort(), [parent.pid, worker].sort())
  await withOthersFrozen({ workers: parent.pid }, [], async (isolation) => {
    t.equal(isolation.stopped.length, 2)
    t.equal(await stopped(parent.pid), 'T')
    t.equal(await stopped(worker), 'T')
  })
  t.not(await notStopped(parent.pid), 'T')
  t.not(await notStopped(worker), 'T')
  // The worker also listed under a needed name: its tree's parent is frozen, it is not.
  await withOthersFrozen({ workers: parent.pid, worker }, ['worker'], async (isolation) => {
    t.same(isolation.stopped, [parent.pid])
    t.not(state(worker), 'T')
  })
  t.not(await notStopped(parent.pid), 'T')
})

t.test('a pid already frozen by an outer isolation stays frozen when an inner one resumes', { skip: !linux && 'needs /proc' }, async (t) => {
  const idle = idleChild(t)
  const outer = freezeOthers({ idle: idle.pid }, [])
  t.equal(await stopped(idle.pid), 'T')
  const inner = freezeOthers({ idle: idle.pid }, [])
  t.same(inner.stopped, [], 'not frozen twice')
  inner.resume()
  t.equal(state(idle.pid), 'T', 'still frozen: the outer isolation owns it')
  outer.resume()
  t.not(await notStopped(idle.pid), 'T')
})

t.test('thawAll resumes everything still frozen (the exit paths)', { skip: !linux && 'needs /proc' }, async (t) => {
  const a = idleChild(t)
  const b = idleChild(t)
  freezeOthers({ a: a.pid }, [])
  freezeOthers({ b: b.pid }, [])
  t.equal(await stopped(a.pid), 'T')
  t.equal(await stopped(b.pid), 'T')
  thawAll()
  t.not(await notStopped(a.pid), 'T')
  t.not(await notStopped(b.pid), 'T')
  t.same(frozenPids(), [])
})

t.test('freezeOrder: every process before what it depends on', async (t) => {
  const dependsOn = {
    'nginx-forward-auth': ['upstream', 'gateway-eddsa'],
    'gateway-eddsa': ['upstream'],
    'gateway-revocation': ['upstream', 'database'],
    'auth-endpoints': ['database'],
    a: ['b'],
    b: ['a']
  }
  t.same(freezeOrder(['upstream', 'gateway-eddsa', 'nginx-forward-auth', 'database', 'auth-endpoints'], dependsOn).map((stage) => stage.sort()),
    [['auth-endpoints', 'nginx-forward-auth'], ['database', 'gateway-eddsa'], ['upstream']])
  t.same(freezeOrder(['database'], dependsOn), [['database']], 'a dependency whose clients are not being frozen goes at once')
  t.same(freezeOrder(['a', 'b'], dependsOn).map((stage) => stage.sort()), [['a', 'b']], 'a cycle ends up in one stage')
  t.same(freezeOrder([], dependsOn), [])
})

t.test('the isolator moves from scenario to scenario, keeps frozen what neither needs, and releases all', { skip: !linux && 'needs /proc' }, async (t) => {
  const upstream = idleChild(t)
  const database = idleChild(t)
  const gateway = idleChild(t)
  const auth = idleChild(t)
  const idle = idleChild(t)
  const processes = { upstream: upstream.pid, database: database.pid, gateway: gateway.pid, auth: auth.pid, idle: idle.pid }
  const dependsOn = { gateway: ['upstream'], auth: ['database'] }
  const isolator = createIsolator(processes, dependsOn, { graceMs: 10 })
  t.teardown(() => { isolator.release() })

  const first = await isolator.isolate(['gateway'])
  t.same(first.running.sort(), ['gateway', 'upstream'])
  t.same(first.frozen.sort(), ['auth', 'database', 'idle'])
  t.same(first.resumed, [])
  for (const child of [database, auth, idle]) t.equal(await stopped(child.pid), 'T')
  t.not(state(gateway.pid), 'T')
  t.not(state(upstream.pid), 'T')

  const second = await isolator.isolate(['auth'])
  t.same(second.resumed.sort(), ['auth', 'database'], 'what the next scenario needs is resumed, its database with it')
  t.same(second.frozen.sort(), ['gateway', 'idle', 'upstream'])
  for (const child of [database, auth]) t.not(await notStopped(child.pid), 'T')
  for (const child of [gateway, upstream, idle]) t.equal(await stopped(child.pid), 'T')
  t.equal(frozenPids().length, 3, 'idle stayed frozen in between: frozen once, not resumed and frozen again')

  isolator.release()
  for (const child of [upstream, database, gateway, auth, idle]) t.not(await notStopped(child.pid), 'T')
  t.same(frozenPids(), [])
  isolator.release()
  t.same(frozenPids(), [], 'release is idempotent')
})
