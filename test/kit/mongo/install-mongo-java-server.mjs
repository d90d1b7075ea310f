#!/usr/bin/env node
// Builds (once) the mongo-java-server launcher so CI pays for it in its own step, not inside the first test's timeout.
// `--maven-repo DIR`: use DIR as Maven's local repository (to time an install from an empty cache).
import { ensureMongoJavaServer } from './mongo-java-server.mjs'

const at = process.argv.indexOf('--maven-repo')
const mavenRepo = at === -1 ? undefined : process.argv[at + 1]
const started = Date.now()
const dir = ensureMongoJavaServer({ log: console.log, mavenRepo })
console.log(`test database: mongo-java-server launcher at ${dir} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
