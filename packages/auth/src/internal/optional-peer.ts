// mongodb, ioredis and nodemailer are optional peer dependencies: an application that keeps its sessions in memory (and its
// rate limits in its own process) installs none of them. Each is imported only when the option that needs it is given,
// through importOptionalPeer, so that a missing package is reported as what it is: which option needs which
// package, and the command that installs it, instead of a bare ERR_MODULE_NOT_FOUND from deep inside the plugin or,
// worse, an "unavailable store" 503 that no retry can cure.

/**
 * The optional peers, with the range the plugin is tested against (what the error tells the user to install): the
 * peerDependencies ranges of package.json (test/optional-peer-ranges.test.ts keeps them equal).
 */
export const OPTIONAL_PEERS = { mongodb: '^7.0.0', ioredis: '^5.11.1', nodemailer: '^10.6.0' } as const

export type OptionalPeer = keyof typeof OPTIONAL_PEERS

/** A configured option needs an optional peer dependency that is not installed. */
export class MissingPeerError extends Error {
  readonly code = 'AUTHGATE_PEER_MISSING'
  /** The package to install, e.g. `mongodb`. */
  readonly packageName: OptionalPeer

  constructor (packageName: OptionalPeer, option: string, cause: unknown) {
    super(`@authgate/fastify: ${option} needs the "${packageName}" package, which is not installed. ` +
      `Install it next to @authgate/fastify: npm install ${packageName}@${OPTIONAL_PEERS[packageName]}`, { cause })
    this.name = 'MissingPeerError'
    this.packageName = packageName
  }
}

/**
 * Whether `error` says that `name` itself cannot be found. A package that is installed but fails to load (one of its
 * own dependencies missing, a syntax error) is a different problem and keeps its own error. Read from the message:
 * with module hooks registered (tsx, a test runner), resolution runs on the hooks thread and the error that comes
 * back has lost its `code`.
 */
function isNotFound (error: unknown, name: string): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as NodeJS.ErrnoException).code
  if (code !== undefined && code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false
  return error.message.startsWith(`Cannot find package '${name}' `) || error.message.startsWith(`Cannot find module '${name}'`)
}

/**
 * Runs `load` (an `import()` of `name` written out at the call site, so that types and bundlers see the specifier)
 * and turns "not installed" into a MissingPeerError naming `option`.
 */
export async function importOptionalPeer<T> (name: OptionalPeer, option: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load()
  } catch (error) {
    if (isNotFound(error, name)) throw new MissingPeerError(name, option, error)
    throw error
  }
}
