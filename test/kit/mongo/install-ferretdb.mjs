#!/usr/bin/env node
// Builds (once) the pinned FerretDB so CI pays for it in its own step, not inside the first test's timeout.
import { ensureFerretDB, which } from './test-database.mjs'

if (process.env.MONGODB_URL) console.log('test database: MONGODB_URL is set; FerretDB not needed')
else if (which('mongod')) console.log('test database: mongod found on PATH; FerretDB not needed')
else console.log(`test database: FerretDB at ${ensureFerretDB()}`)
