// `authgate --version`: the version of the installed @authgate/gateway, read from its package.json at run time
// (src/cli/ and dist/cli/ are both two levels below it), so a build never reports a version it was not given.
import { readFileSync } from 'node:fs'

export function gatewayVersion (): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown }
  if (typeof manifest.version !== 'string') throw new Error('the @authgate/gateway package.json has no version')
  return manifest.version
}
