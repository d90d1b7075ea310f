// `node --import …/register.mjs`: installs hooks.mjs in this process (and, through execArgv, in cluster workers).
import { register } from 'node:module'

register('./hooks.mjs', import.meta.url)
