// Writes authgate.schema.json from the schema the gateway validates with; run by `build` after tsc (and by
// `pnpm --filter @authgate/gateway schema`). test/config-schema-file.test.ts fails when the committed file differs.
import { writeFileSync } from 'node:fs'
import { schemaText } from '../dist/config/schema-file.js'

writeFileSync(new URL('../authgate.schema.json', import.meta.url), schemaText())
