// Reading a configuration file: YAML (.yaml/.yml, and anything else) or JSON (.json), then parseConfig().
import { readFileSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { restoreReferences, shieldReferences } from '@authgate/fastify/config'
import { parseConfig } from './parse.js'
import { ConfigError, type GatewayConfig } from './types.js'

export interface LoadOptions {
  /** Source of `${VAR}`; default process.env (the CLI's case). */
  env?: Readonly<Record<string, string | undefined>>
}

/** Far above any real configuration (a few KiB): the bound that keeps a wrong path from exhausting memory. */
const MAX_CONFIG_BYTES = 1024 * 1024

/** Reads and parses the configuration file at `path`, `${VAR}`s not yet expanded (what the file itself says). */
export function readConfigFile (path: string): { file: string, raw: unknown } {
  const file = resolve(path)
  let text: string
  try {
    // A device or FIFO (`/dev/zero`, `/dev/stdin`) or a huge file would be read until memory runs out: refused first.
    const stat = statSync(file)
    if (!stat.isFile()) throw new ConfigError(`${file}: not a regular file`)
    if (stat.size > MAX_CONFIG_BYTES) throw new ConfigError(`${file}: larger than ${MAX_CONFIG_BYTES / 1024} KiB, not a configuration file`)
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if (error instanceof ConfigError) throw error
    throw new ConfigError(`${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error })
  }
  let raw: unknown
  try {
    // YAML 1.2 is a superset of JSON; parse .json strictly so a JSON file gets JSON's error messages.
    raw = file.endsWith('.json') ? JSON.parse(text) : restoreReferences(parseYaml(shieldReferences(text), { prettyErrors: true, uniqueKeys: true }))
  } catch (error) {
    throw new ConfigError(`${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0] ?? ''}`, { cause: error })
  }
  return { file, raw }
}

/** Reads, parses and validates the configuration file at `path`. Throws ConfigError naming the file and key. */
export function loadConfig (path: string, options: LoadOptions = {}): GatewayConfig {
  const { file, raw } = readConfigFile(path)
  return parseConfig(raw, { file, env: options.env ?? process.env, form: 'json' })
}
