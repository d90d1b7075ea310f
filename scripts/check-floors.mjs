#!/usr/bin/env node
// Fails when pnpm-lock.yaml resolves any of these packages below the release that fixed a known advisory
// (docs/security.md E.55). Reads the lockfile, not node_modules, so it checks exactly what CI installs.
import { readFileSync } from 'node:fs'

export const FLOORS = {
  'fast-jwt': '6.3.1',
  '@fastify/reply-from': '12.6.4',
  '@fastify/http-proxy': '11.4.4',
  fastify: '5.8.3'
}

const parse = (v) => v.split(/[.+-]/).slice(0, 3).map(Number)
export function below (version, floor) {
  const a = parse(version)
  const b = parse(floor)
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i]
  return false
}

/** Every `name@version` key of the lockfile's packages section, e.g. `'@fastify/jwt@10.2.8':`. */
export function resolvedVersions (lockText) {
  const found = new Map()
  const key = /^ {2}'?((?:@[^/@\s']+\/)?[^@\s']+)@(\d+\.\d+\.\d+[^(:'\s]*)/gm
  for (const [, name, version] of lockText.matchAll(key)) {
    if (!found.has(name)) found.set(name, new Set())
    found.get(name).add(version)
  }
  return found
}

export function violations (lockText, floors = FLOORS) {
  const versions = resolvedVersions(lockText)
  const bad = []
  for (const [name, floor] of Object.entries(floors)) {
    for (const version of versions.get(name) ?? []) if (below(version, floor)) bad.push(`${name}@${version} < ${floor}`)
  }
  return bad
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const bad = violations(readFileSync(new URL('../pnpm-lock.yaml', import.meta.url), 'utf8'))
  if (bad.length) {
    console.error('security floors not met:\n  ' + bad.join('\n  '))
    process.exit(1)
  }
  console.log(`security floors met: ${Object.entries(FLOORS).map(([n, v]) => `${n} >= ${v}`).join(', ')}`)
}
