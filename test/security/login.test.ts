// Attack catalogue, section D: one tap test per case of cases/login.ts.
import t from 'tap'
import { runCatalogue } from './lib/run.js'
import { group } from './cases/login.js'

runCatalogue(t, group)
