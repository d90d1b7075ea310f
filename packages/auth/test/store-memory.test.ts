import t from 'tap'
import { MemorySessionStore } from '../src/stores/memory.js'
import { storeContract } from './store-contract.js'

storeContract(t, async () => new MemorySessionStore())
