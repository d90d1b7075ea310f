// Attack catalogue, section C: one tap test per case of cases/cookies.ts.
import t from 'tap'
import { runCatalogue } from './lib/run.js'
import { group } from './cases/cookies.js'

runCatalogue(t, group)
