#!/usr/bin/env node
// `node test/bench/tools/profile-summary.mjs FILE.cpuprofile [TOP_N] [SKIP_FIRST_SECONDS]`: where a --cpu-prof profile spends its time,
// as self time per function and per package (node_modules/<name>, node: internals, the workspace's own src/).
// For `pnpm bench --cpu-prof=DIR --only=gateway-auth-eddsa`: the profile covers the whole gateway process life.
import { readFileSync } from 'node:fs'

const [file, topArg, afterArg] = process.argv.slice(2)
if (!file) throw new Error('usage: profile-summary.mjs FILE.cpuprofile [TOP_N] [SKIP_FIRST_SECONDS]')
const top = Number(topArg ?? 25)
// The profile spans the process's whole life: skip its start-up (TypeScript transpiling, imports) to see requests.
const skipMs = Number(afterArg ?? 0) * 1000
const profile = JSON.parse(readFileSync(file, 'utf8'))

// Self time per node: samples landing on it, times the sampling interval (timeDeltas are per sample).
const selfMs = new Map()
let elapsedMs = 0
profile.samples.forEach((id, index) => {
  const delta = (profile.timeDeltas[index] ?? 0) / 1000
  elapsedMs += delta
  if (elapsedMs >= skipMs) selfMs.set(id, (selfMs.get(id) ?? 0) + delta)
})
const total = [...selfMs.values()].reduce((sum, ms) => sum + ms, 0)

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

const byFunction = new Map()
const byOwner = new Map()
for (const node of profile.nodes) {
  const ms = selfMs.get(node.id) ?? 0
  if (!ms) continue
  const { functionName, url, lineNumber } = node.callFrame
  const key = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(node_modules|packages|apps)\//, '$1/')}:${lineNumber + 1}` : ''}`
  byFunction.set(key, (byFunction.get(key) ?? 0) + ms)
  const who = owner(url)
  byOwner.set(who, (byOwner.get(who) ?? 0) + ms)
}

const show = (title, map, n) => {
  console.log(`\n${title}`)
  for (const [key, ms] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(`${(100 * ms / total).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(7)} ms  ${key}`)
  }
}
console.log(`${file}: ${total.toFixed(0)} ms sampled`)
show('self time by package', byOwner, 15)
show('self time by function', byFunction, top)
