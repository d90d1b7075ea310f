// The CLI's one grammar: every verb is parsed by node:util parseArgs in strict mode, from a spec (its options, its
// positionals, its usage). Mistakes are usage errors (exit 2) that name the argument and, where one is close, what
// was meant: a typo'd flag, or a config file given without --config (which would otherwise run the embedded demo).
import { statSync } from 'node:fs'
import { parseArgs as parseStrict, type ParseArgsConfig } from 'node:util'
import { closest } from './suggest.js'

export class UsageError extends Error {
  /** `usage`: the text to print after the message (the verb's own, or a sub-verb's); main falls back to the verb's. */
  constructor (message: string, readonly usage?: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export interface OptionSpec { readonly type: 'string' | 'boolean' }

export interface CommandSpec {
  /** As typed: `start`, `user add`. */
  readonly name: string
  readonly usage: string
  readonly options: Readonly<Record<string, OptionSpec>>
  /** The positionals it requires, in order (`['FILE']`); none when absent. */
  readonly positionals?: readonly string[]
  /** Positionals it accepts after those (`config check`'s FILE, which --config may name instead). */
  readonly optionalPositionals?: readonly string[]
}

export interface GroupSpec {
  readonly name: string
  readonly usage: string
  readonly commands: Readonly<Record<string, CommandSpec>>
}

export interface ParsedArgs {
  /** Set when -h/--help was given: the usage to print; nothing else is to be done. */
  readonly help?: string
  /** The sub-verb (`add` of `user add`); '' for a verb without any. */
  readonly sub: string
  readonly flags: ReadonlyMap<string, string | true>
  readonly positionals: readonly string[]
}

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const

export function isHelpFlag (arg: string): boolean {
  return arg === '-h' || arg === '--help'
}

/** -h/--help anywhere before `--`: help wins over every other mistake on the line, and never runs the verb. */
export function wantsHelp (argv: readonly string[]): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).some(isHelpFlag)
}

function unknownOption (raw: string, name: string, options: Readonly<Record<string, OptionSpec>>): string {
  const near = closest(name, [...Object.keys(options), 'help'])
  return `unknown option ${raw}` + (near === undefined ? '' : ` (did you mean --${near}?)`)
}

/** What is wrong with `argv`, in our words, once parseArgs has refused it (undefined: keep parseArgs' message). */
function explain (argv: readonly string[], options: Readonly<Record<string, OptionSpec>>): string | undefined {
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] ?? ''
    if (arg === '--') return undefined
    if (!arg.startsWith('-') || arg === '-') continue
    if (!arg.startsWith('--')) {
      const letters = arg.slice(1)
      if (letters === 'h') continue
      // `-config`: a long option written with one dash.
      if (options[letters] !== undefined) return `unknown option ${arg} (did you mean --${letters}?)`
      return unknownOption(arg, letters, options)
    }
    const equals = arg.indexOf('=')
    const name = equals === -1 ? arg.slice(2) : arg.slice(2, equals)
    const spec = options[name]
    if (spec === undefined && name !== 'help') return unknownOption(equals === -1 ? arg : arg.slice(0, equals), name, options)
    if (spec?.type !== 'string') {
      if (equals !== -1) return `--${name} takes no value`
      continue
    }
    if (equals !== -1) continue
    const next = argv[index + 1]
    if (next === undefined) return `--${name} needs a value`
    if (next.startsWith('-') && next !== '-') return `--${name} needs a value (got ${next}; write --${name}=${next} if that is the value)`
    index++
  }
  return undefined
}

/** parseArgs, strict, positionals allowed (checked by the caller, which knows what they may be); undefined: help. */
function strictParse (argv: readonly string[], options: Readonly<Record<string, OptionSpec>>, usage: string): ParsedArgs | undefined {
  const config: ParseArgsConfig & { tokens: true } = { args: [...argv], options: { ...options, ...HELP_OPTION }, strict: true, allowPositionals: true, tokens: true }
  let parsed
  try {
    parsed = parseStrict(config)
  } catch (error) {
    if (wantsHelp(argv)) return undefined
    throw new UsageError(explain(argv, options) ?? ((error as Error).message.split('\n')[0] ?? 'bad arguments'), usage)
  }
  if ((parsed.values as Record<string, string | boolean | undefined>).help === true) return undefined
  const flags = new Map<string, string | true>()
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue
    // parseArgs keeps the last of repeated flags: `--config a.yaml --config b.yaml` is more likely a mistake.
    if (flags.has(token.name)) throw new UsageError(`--${token.name} is given more than once`, usage)
    if (token.value === '') throw new UsageError(`--${token.name} needs a value`, usage)
    flags.set(token.name, token.value ?? true)
  }
  return { sub: '', flags, positionals: parsed.positionals }
}

/** Whether a stray argument is a configuration file given without --config: an existing file, or a config name. */
function looksLikeConfigFile (arg: string): boolean {
  if (/\.(ya?ml|json)$/i.test(arg)) return true
  try {
    return statSync(arg, { throwIfNoEntry: false })?.isFile() ?? false
  } catch {
    return false
  }
}

/** `arg` as a shell would need it typed back. */
function shellWord (arg: string): string {
  return /^[\w./@:+,=-]+$/.test(arg) ? arg : `'${arg.replaceAll('\'', '\'\\\'\'')}'`
}

function checkPositionals (spec: CommandSpec, positionals: readonly string[]): void {
  const wanted = spec.positionals ?? []
  const missing = wanted[positionals.length]
  if (missing !== undefined) throw new UsageError(`${missing} is required`, spec.usage)
  const stray = positionals[wanted.length + (spec.optionalPositionals?.length ?? 0)]
  if (stray === undefined) return
  // Where a positional can name the file already, a second one is no forgotten --config.
  const canNameFile = spec.options.config !== undefined && spec.optionalPositionals === undefined
  const hint = canNameFile && looksLikeConfigFile(stray) ? ` (did you mean --config ${shellWord(stray)}?)` : ''
  throw new UsageError(`unexpected argument ${stray}${hint}`, spec.usage)
}

/** Parses the arguments of a verb without sub-verbs (`start`, `token`, `doctor`, …). */
export function parseCommand (argv: readonly string[], spec: CommandSpec): ParsedArgs {
  const parsed = strictParse(argv, spec.options, spec.usage)
  if (parsed === undefined) return { help: spec.usage, sub: '', flags: new Map(), positionals: [] }
  checkPositionals(spec, parsed.positionals)
  return parsed
}

/** Parses `GROUP SUB [options]` (`user add`, `keys rotate`, `config check FILE`): the sub-verb is the first positional. */
export function parseSubcommand (argv: readonly string[], group: GroupSpec): ParsedArgs {
  const names = Object.keys(group.commands)
  // Every sub-verb's options, so that `keys --config f rotate` parses; each sub-verb then refuses the others' options.
  const options: Record<string, OptionSpec> = {}
  for (const command of Object.values(group.commands)) Object.assign(options, command.options)
  const parsed = strictParse(argv, options, group.usage)
  if (parsed === undefined) {
    const named = argv.find((arg) => names.includes(arg))
    return { help: named === undefined ? group.usage : (group.commands[named]?.usage ?? group.usage), sub: named ?? '', flags: new Map(), positionals: [] }
  }
  const [sub, ...positionals] = parsed.positionals
  if (sub === undefined) throw new UsageError(`which ${group.name} command? (${names.join(', ')})`, group.usage)
  const spec = group.commands[sub]
  if (spec === undefined) {
    const near = closest(sub, names)
    throw new UsageError(`unknown ${group.name} command ${sub}` + (near === undefined ? ` (expected: ${names.join(', ')})` : ` (did you mean ${group.name} ${near}?)`), group.usage)
  }
  for (const name of parsed.flags.keys()) {
    if (spec.options[name] !== undefined) continue
    const owners = Object.values(group.commands).filter((command) => command.options[name] !== undefined).map((command) => command.name)
    throw new UsageError(`--${name} is only for ${owners.join(', ')}`, spec.usage)
  }
  checkPositionals(spec, positionals)
  return { sub, flags: parsed.flags, positionals }
}

export function flag (args: ParsedArgs, name: string): string | undefined {
  const value = args.flags.get(name)
  return typeof value === 'string' ? value : undefined
}

export function requiredFlag (args: ParsedArgs, name: string): string {
  const value = flag(args, name)
  if (value === undefined) throw new UsageError(name === 'config' ? MISSING_CONFIG : `--${name} is required`)
  return value
}

/** What every verb that needs a configuration file says without one (`config check` adds its FILE form). */
export const MISSING_CONFIG = '--config FILE is required'

/** `a,b` → ['a', 'b'] (empty items dropped). */
export function list (value: string | undefined): string[] {
  return value === undefined ? [] : value.split(',').map((item) => item.trim()).filter((item) => item !== '')
}

export function out (text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n')
}

/** Prints a verb's usage for -h/--help; exit code 0. */
export function printHelp (usage: string): number {
  out(usage)
  return 0
}
