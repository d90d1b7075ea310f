#!/usr/bin/env node
// The `authgate` command (bin/authgate.js imports the build of this file). Exit codes: 0 success, 1 failure,
// 2 usage error; see cli/main.ts.
import { main } from './cli/main.js'

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
}, (error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
