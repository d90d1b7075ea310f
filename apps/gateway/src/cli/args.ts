// A small argument parser for the CLI: `--flag value`, `--flag=value`, boolean flags, positionals. Unknown flags
// are usage errors (exit code 2), like a typo in a config key.

export class UsageError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export interface ParsedArgs {
  flags: Map<string, string | true>
  positionals: string[]
}

/** `valued`: flags that take a value; `booleans`: flags that do not. */
export function parseArgs (argv: readonly string[], valued: readonly string[], booleans: readonly string[] = []): ParsedArgs {
  const flags = new Map<string, string | true>()
  const positionals: string[] = []
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] ?? ''
    if (!arg.startsWith('--') || arg === '--') {
      positionals.push(arg)
      continue
    }
    const equals = arg.indexOf('=')
    const name = equals === -1 ? arg.slice(2) : arg.slice(2, equals)
    if (booleans.includes(name) || name === 'help') {
      if (equals !== -1) throw new UsageError(`--${name} takes no value`)
      flags.set(name, true)
    } else if (valued.includes(name)) {
      const value = equals === -1 ? argv[++index] : arg.slice(equals + 1)
      if (value === undefined || value === '' || (equals === -1 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`)
      flags.set(name, value)
    } else {
      throw new UsageError(`unknown option --${name}`)
    }
  }
  return { flags, positionals }
}

export function flag (args: ParsedArgs, name: string): string | undefined {
  const value = args.flags.get(name)
  return typeof value === 'string' ? value : undefined
}

export function requiredFlag (args: ParsedArgs, name: string): string {
  const value = flag(args, name)
  if (value === undefined) throw new UsageError(`--${name} is required`)
  return value
}

/** `a,b` → ['a', 'b'] (empty items dropped). */
export function list (value: string | undefined): string[] {
  return value === undefined ? [] : value.split(',').map((item) => item.trim()).filter((item) => item !== '')
}

export function out (text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n')
}
