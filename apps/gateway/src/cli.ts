#!/usr/bin/env node
// The `authgate` command (bin/authgate.js imports the build of this file). Exit codes: 0 success, 1 failure,
// 2 usage error; see cli/main.ts.
import { main } from './cli/main.js'

// A failed command exits at once: after a failed `start` (port in use) handles such as a store connection or a
// cluster worker's IPC channel could otherwise keep the process alive with nothing listening.
main(process.argv.slice(2)).then((code) => {
  if (code !== 0) process.exit(code)
  process.exitCode = code
}, (error: unknown) => {
  console.error(error)
  process.exit(1)
})
