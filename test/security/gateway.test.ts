// Attack catalogue, section B: one tap test per case of cases/gateway.ts.
import t from 'tap'
import { runCatalogue } from './lib/run.js'
import { group } from './cases/gateway.js'

runCatalogue(t, group)
