// The password of `authgate user add`: typed on a terminal without echo, or piped in. Never an argument (it would
// show in `ps` and the shell history), never printed.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { ReadStream } from 'node:tty'
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '@authgate/fastify/admin'
import { InputAborted } from './input-aborted.js'

export { InputAborted }

/**
 * Ctrl-D on an empty line (or the terminal closing before anything was typed): the user gave up, and an empty
 * password is never a password (exit 1, nothing written).
 */
export class InputEnded extends Error {
  constructor () {
    super('no password typed (Ctrl-D): nothing was written')
    this.name = 'InputEnded'
  }
}

const ENTER = new Set(['\r', '\n'])
const CTRL_C = '\u0003'
const CTRL_D = '\u0004'
const CTRL_U = '\u0015'
const BACKSPACE = new Set(['\u007f', '\b'])
const ESC = '\u001b'

/**
 * Reads one line from a terminal in raw mode: no echo, Enter (or Ctrl-D after some text) ends it, Backspace removes
 * the last character, Ctrl-U the whole line, Ctrl-C aborts, Ctrl-D on an empty line gives up (InputEnded). Raw mode is set before the prompt is shown (so nothing typed
 * after it is echoed) and restored however the read ends. Escape sequences (arrow keys, function keys) are dropped.
 */
export function readFromTerminal (input: ReadStream, prompt: string, output: NodeJS.WritableStream): Promise<string> {
  input.setRawMode(true)
  input.setEncoding('utf8')
  output.write(prompt)
  return new Promise((resolve, reject) => {
    const typed: string[] = []
    // 0: text; 1: after ESC; 2: inside a CSI/SS3 sequence, until its final byte.
    let escape = 0
    const finish = (error?: Error): void => {
      input.off('data', onData)
      input.off('end', onEnd)
      input.setRawMode(false)
      input.pause()
      output.write('\n')
      if (error === undefined) resolve(typed.join(''))
      else reject(error)
    }
    const onEnd = (): void => { finish(typed.length === 0 ? new InputEnded() : undefined) }
    const onData = (chunk: string): void => {
      for (const char of chunk) {
        if (escape === 1) {
          escape = char === '[' || char === 'O' ? 2 : 0
          continue
        }
        if (escape === 2) {
          if (char >= '@' && char <= '~') escape = 0
          continue
        }
        if (char === CTRL_C) {
          finish(new InputAborted())
          return
        }
        if (char === CTRL_D && typed.length === 0) {
          finish(new InputEnded())
          return
        }
        if (ENTER.has(char) || char === CTRL_D) {
          finish()
          return
        }
        if (BACKSPACE.has(char)) typed.pop()
        else if (char === CTRL_U) typed.length = 0
        else if (char === ESC) escape = 1
        else if (char >= ' ') typed.push(char)
        // A paste of a file or a stuck key would otherwise grow without bound; no longer password is accepted anyway.
        if (typed.length > MAX_PASSWORD_LENGTH) {
          typed.length = 0
          finish(new Error(`the password is longer than ${MAX_PASSWORD_LENGTH} characters: nothing was written`))
          return
        }
      }
    }
    input.on('data', onData)
    input.on('end', onEnd)
    input.resume()
  })
}

/** Bytes read from a pipe at most: a password is at most MAX_PASSWORD_LENGTH characters (4 bytes each in UTF-8). */
const MAX_PIPED_BYTES = MAX_PASSWORD_LENGTH * 4 + 2

/**
 * Everything piped in, less one final newline (`echo pw |` and `printf '%s' pw |` give the same password). Any other
 * line break is refused: `printf 'pw\npw\n' |` (the terminal's habit of asking twice) would otherwise store both lines
 * as one password nobody can type at a login form.
 */
export async function readFromPipe (input: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    size += bytes.length
    // `yes | authgate user add` or `< /dev/zero` would otherwise grow until the process dies.
    if (size > MAX_PIPED_BYTES) throw new Error(`the password on stdin is longer than ${MAX_PASSWORD_LENGTH} characters`)
    chunks.push(bytes)
  }
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
  if (/[\r\n]/.test(password)) throw new Error('the password on stdin must be one line: nothing was written')
  return password
}

/**
 * Why `password` cannot be a user's password (addUser's rule: MIN_PASSWORD_LENGTH to MAX_PASSWORD_LENGTH characters
 * after NFC), or undefined. Checked before the store is opened, so a bad password costs no connection.
 */
export function newPasswordError (password: string): string | undefined {
  if (password === '') return 'the password is empty: nothing was written'
  const length = Array.from(password.normalize('NFC')).length
  if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
    return `the password must hold ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters (it has ${length}): nothing was written`
  }
  return undefined
}

/** Whether two typed passwords are the same, in constant time (hashed first: timingSafeEqual needs equal lengths). */
function samePassword (a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest())
}

/**
 * A new password typed on a terminal: asked for twice, since a typo nobody can see would otherwise become the
 * password. A mismatch is an error (exit 1) before anything is written.
 */
export async function readNewPasswordFromTerminal (input: ReadStream, output: NodeJS.WritableStream): Promise<string> {
  const first = await readFromTerminal(input, 'Password: ', output)
  // Refused at once: repeating a password that cannot be used only to learn so afterwards wastes the user's time.
  const error = newPasswordError(first)
  if (error !== undefined) throw new Error(error)
  const second = await readFromTerminal(input, 'Repeat password: ', output)
  if (!samePassword(first, second)) throw new Error('the two passwords typed differ: nothing was written')
  return first
}

/** A new password from stdin: asked for twice without echo on a terminal (prompts on stderr), read whole from a pipe. */
export async function readNewPassword (): Promise<string> {
  const stdin = process.stdin
  const password = stdin.isTTY ? await readNewPasswordFromTerminal(stdin, process.stderr) : await readFromPipe(stdin)
  const error = newPasswordError(password)
  if (error !== undefined) throw new Error(error)
  return password
}
