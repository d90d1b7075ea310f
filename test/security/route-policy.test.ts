// Attack catalogue, section E (configuration): one tap test per case of cases/route-policy.ts.
import t from 'tap'
import { runCatalogue } from './lib/run.js'
import { group } from './cases/route-policy.js'

runCatalogue(t, group)
