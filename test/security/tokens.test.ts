// Attack catalogue, section A: one tap test per case of cases/tokens.ts.
import t from 'tap'
import { runCatalogue } from './lib/run.js'
import { group } from './cases/tokens.js'

runCatalogue(t, group)
