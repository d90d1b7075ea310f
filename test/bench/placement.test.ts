// The bench's placement read-back (lib/placement.mjs): the report's placement line comes from every thread's
// Cpus_allowed_list, not from what the bench meant to do. Real processes; Linux only.
import t from 'tap'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { checkPlacement, normaliseCpuList, pinningEnabled, pinPid, threadAffinities, verifyPlacement } from './lib/placement.mjs'

const linux = process.platform === 'linux'

/** This process's main thread's Cpus_allowed_list. */
function ownList (): string {
  return /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '?'
}

t.test('cpu lists compare however they are written', async (t) => {
  t.equal(normaliseCpuList('0-1'), '0,1')
  t.equal(normaliseCpuList('1,0'), '0,1')
  t.equal(normaliseCpuList('0-2,5'), '0,1,2,5')
  t.equal(normaliseCpuList(1), '1')
  t.equal(normaliseCpuList('x'), 'x', 'not a list: left as it is (and so never equal to a real one)')
})

t.test('every thread of this process is read back; a wrong expectation is a mismatch per thread', { skip: !linux && 'needs /proc' }, async (t) => {
  const threads = threadAffinities(process.pid, false)
  t.ok(threads.length >= 2, `a Node process has several threads (${threads.length})`)
  t.ok(threads.every((thread) => thread.pid === process.pid))
  const right = checkPlacement([{ name: 'self', pid: process.pid, cores: ownList(), tree: false }])
  t.equal(right.threads, threads.length)
  t.same(right.mismatches, [])
  const wrong = checkPlacement([{ name: 'self', pid: process.pid, cores: '4095', tree: false }])
  t.equal(wrong.mismatches.length, threads.length)
  t.match(wrong.mismatches[0], { name: 'self', pid: process.pid, expected: '4095' })
  t.same(checkPlacement([{ name: 'gone', pid: 2 ** 22 + 12_345, cores: 1 }]), { processes: 0, threads: 0, mismatches: [] })
})

t.test('pinPid pins every thread of a child and its descendants, and the read-back agrees', { skip: (!linux || !pinningEnabled()) && 'needs taskset and 2 cores' }, async (t) => {
  // A parent with a child of its own (as nginx has its worker), both idle; they end when this process's pipe closes.
  const parent = spawn(process.execPath, ['-e', `
    const { spawn } = require('node:child_process')
    const child = spawn(process.execPath, ['-e', 'process.stdin.resume(); process.stdin.on("end", () => process.exit(0))'], { stdio: ['pipe', 'ignore', 'ignore'] })
    process.stdout.write(child.pid + '\\n')
    process.stdin.on('end', () => process.exit(0)).resume()
  `], { stdio: ['pipe', 'pipe', 'ignore'] })
  t.teardown(() => { parent.kill('SIGKILL') })
  const childPid = await new Promise<number>((resolve, reject) => {
    let text = ''
    const timer = setTimeout(() => { reject(new Error('no child pid within 10 s')) }, 10_000)
    parent.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      if (text.includes('\n')) { clearTimeout(timer); resolve(Number(text.trim())) }
    })
  })
  t.teardown(() => { try { process.kill(childPid, 'SIGKILL') } catch { /* gone */ } })
  const core = availableParallelism() - 1
  t.same(pinPid(parent.pid, core), [], 'nothing astray')
  const threads = threadAffinities(parent.pid)
  t.same(new Set(threads.map((thread) => thread.pid)), new Set([parent.pid, childPid]), 'the child\'s threads are read too')
  t.ok(threads.every((thread) => normaliseCpuList(thread.allowed) === String(core)), 'every thread on the core')
  const verified = verifyPlacement([
    { name: 'pinned', pid: parent.pid, cores: core },
    { name: 'external database', pid: undefined, why: 'MONGODB_URL' }
  ])
  t.same(verified.mismatches, [])
  t.same(verified.unpinned, ['external database (MONGODB_URL)'], 'what is not pinned is named, with why')
  t.match(verified.groups, [{ cores: String(core), names: ['pinned'], processes: 2 }])
})
