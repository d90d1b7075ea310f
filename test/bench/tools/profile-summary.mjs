#!/usr/bin/env node
// `node test/bench/tools/profile-summary.mjs FILE.cpuprofile [TOP_N] [SKIP_FIRST_SECONDS] [--requests=N] [--inclusive=REGEX]`:
// where a --cpu-prof profile spends its time, as self time per function and per package (node_modules/<name>, node:
// internals, the workspace's own src/), and as inclusive time (the function and everything it called) for the
// functions whose name or file matches --inclusive. Idle time is left out of the percentages: they are shares of
// the time the process was busy. With --requests (how many requests the profiled span served), times are also
// given in µs per request, which is what compares a gateway with the plain proxy.
// For `pnpm bench --cpu-prof=DIR --only=gateway-auth-eddsa` or tools/compare.mjs --cpu-prof=DIR.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { requests: { type: 'string' }, inclusive: { type: 'string' } }
})
const [file, topArg, afterArg] = positionals
if (!file) throw new Error('usage: profile-summary.mjs FILE.cpuprofile [TOP_N] [SKIP_FIRST_SECONDS] [--requests=N] [--inclusive=REGEX]')
const top = Number(topArg ?? 25)
// The profile spans the process's whole life: skip its start-up (TypeScript transpiling, imports) to see requests.
const skipMs = Number(afterArg ?? 0) * 1000
const requests = flags.requests === undefined ? undefined : Number(flags.requests)
const profile = JSON.parse(readFileSync(file, 'utf8'))

/** @type {Map<number, any>} */
const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
/** @type {Map<number, number>} child id → parent id */
const parents = new Map()
for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id)

function keyOf (node) {
  const { functionName, url, lineNumber } = node.callFrame
  return `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(node_modules|packages|apps)\//, '$1/')}:${lineNumber + 1}` : ''}`
}

function owner (url) {
  if (!url) return '(native/VM)'
  if (url.startsWith('node:')) return 'node internals'
  const modules = url.lastIndexOf('/node_modules/')
  if (modules !== -1) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/')
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url)
  }
  const workspace = url.match(/\/(packages|apps)\/([^/]+)\//)
  return workspace ? `${workspace[1]}/${workspace[2]}` : url.replace(/^file:\/\//, '')
}

const inclusivePattern = flags.inclusive === undefined ? undefined : new RegExp(flags.inclusive)
// Self time per node: samples landing on it, times the sampling interval (timeDeltas are per sample).
const selfMs = new Map()
/** @type {Map<string, number>} inclusive time per function key (a function counted once per sample, recursion or not) */
const inclusiveMs = new Map()
let elapsedMs = 0
let idleMs = 0
profile.samples.forEach((id, index) => {
  const delta = (profile.timeDeltas[index] ?? 0) / 1000
  elapsedMs += delta
  if (elapsedMs < skipMs) return
  const node = nodes.get(id)
  if (node?.callFrame.functionName === '(idle)') { idleMs += delta; return }
  selfMs.set(id, (selfMs.get(id) ?? 0) + delta)
  if (inclusivePattern === undefined) return
  const seen = new Set()
  for (let at = id; at !== undefined; at = parents.get(at)) {
    const key = keyOf(nodes.get(at))
    if (!seen.has(key) && inclusivePattern.test(key)) { seen.add(key); inclusiveMs.set(key, (inclusiveMs.get(key) ?? 0) + delta) }
  }
})
const busy = [...selfMs.values()].reduce((sum, ms) => sum + ms, 0)

const byFunction = new Map()
const byOwner = new Map()
for (const [id, ms] of selfMs) {
  const node = nodes.get(id)
  const key = keyOf(node)
  byFunction.set(key, (byFunction.get(key) ?? 0) + ms)
  const who = owner(node.callFrame.url)
  byOwner.set(who, (byOwner.get(who) ?? 0) + ms)
}

const perRequest = (ms) => requests ? `${((ms * 1000) / requests).toFixed(1).padStart(7)} µs/req  ` : ''
const show = (title, map, n) => {
  console.log(`\n${title}`)
  for (const [key, ms] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(`${(100 * ms / busy).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(7)} ms  ${perRequest(ms)}${key}`)
  }
}
console.log(`${file}: ${busy.toFixed(0)} ms busy, ${idleMs.toFixed(0)} ms idle${requests ? `; ${requests} requests: ${((busy * 1000) / requests).toFixed(1)} µs busy per request` : ''}`)
show('self time by package', byOwner, 15)
show('self time by function', byFunction, top)
if (inclusivePattern !== undefined) show(`inclusive time (self and callees) of functions matching ${inclusivePattern}`, inclusiveMs, top)
