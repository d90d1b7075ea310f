// The JSON Schema text of the configuration file: printed by `authgate config schema`, shipped as
// authgate.schema.json (scripts/write-schema.mjs; a test fails when the two differ).
import { gatewaySchema } from './schema.js'

export function schemaText (): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...gatewaySchema('json') }, null, 2)}\n`
}
