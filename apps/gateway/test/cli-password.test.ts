// `authgate user add` on a terminal (issue #12 item 4): the password is read in raw mode, so it is never echoed;
// Enter ends it, Backspace and Ctrl-U edit it, Ctrl-C aborts (exit 130), and the terminal mode is restored however
// the read ends. Here the reader alone, on a stand-in terminal that records its mode; cli-user.test.ts drives the
// real command on a pseudo-terminal.
import t from 'tap'
import { PassThrough } from 'node:stream'
import type { ReadStream } from 'node:tty'
import { InputAborted, InputEnded, newPasswordError, readFromPipe, readFromTerminal, readNewPasswordFromTerminal } from '../src/cli/password-input.js'

/** A terminal stand-in: a stream that records the modes setRawMode was asked for. */
function terminal (): { input: ReadStream, modes: boolean[] } {
  const stream = new PassThrough()
  const modes: boolean[] = []
  const input = Object.assign(stream, { isTTY: true, setRawMode: (mode: boolean) => { modes.push(mode); return input } }) as unknown as ReadStream
  return { input, modes }
}

/** What a terminal would show: everything written to it. */
function screen (): { stream: NodeJS.WritableStream, text: () => string } {
  let text = ''
  const stream = new PassThrough()
  stream.on('data', (chunk: Buffer) => { text += chunk.toString() })
  return { stream, text: () => text }
}

t.test('Enter ends the password; nothing typed reaches the screen; raw mode is on before the prompt and off after', async (t) => {
  const { input, modes } = terminal()
  const shown = screen()
  const read = readFromTerminal(input, 'password: ', shown.stream)
  t.same(modes, [true], 'raw mode before anything is typed')
  input.write('s3cret pass')
  input.write('\r')
  t.equal(await read, 's3cret pass')
  t.same(modes, [true, false], 'restored')
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(shown.text(), 'password: \n', 'the prompt and a newline only')
})

t.test('Backspace, Ctrl-U and escape sequences edit the line; multi-byte characters count as one', async (t) => {
  const cases: Array<[string[], string]> = [
    [['hunter22', '\u007f', '\r'], 'hunter2'],
    [['hunter2x\b', '\n'], 'hunter2'],
    [['wrong', '\u0015', 'right\r'], 'right'],
    [['pä', '\u007f', 'a€', '\u007f\u007f', 'ss\r'], 'pss'],
    [['ab\u001b[D\u001b[3~cd\u001bOA\r'], 'abcd'],
    [['\u007f\u007fok\r'], 'ok'],
    [['tab\there\r'], 'tabhere'],
    [['ends at Enter\rnot this'], 'ends at Enter'],
    [['Ctrl-D ends too\u0004'], 'Ctrl-D ends too']
  ]
  for (const [chunks, expected] of cases) {
    const { input, modes } = terminal()
    const read = readFromTerminal(input, '', screen().stream)
    for (const chunk of chunks) input.write(chunk)
    t.equal(await read, expected, JSON.stringify(chunks))
    t.same(modes, [true, false], `${JSON.stringify(chunks)}: restored`)
  }
})

t.test('Ctrl-C aborts (InputAborted, exit 130 in main) and restores the terminal', async (t) => {
  const { input, modes } = terminal()
  const read = readFromTerminal(input, 'password: ', screen().stream)
  input.write('half a pass')
  input.write('\u0003')
  await t.rejects(read, InputAborted)
  t.same(modes, [true, false])
})

t.test('Ctrl-D on an empty line gives up (never an empty password) and restores the terminal; after text it ends the line', async (t) => {
  const cases: string[][] = [['\u0004'], ['typo', '\u0015', '\u0004'], ['x\u007f\u0004'], ['\u001b[A\u0004']]
  for (const chunks of cases) {
    const { input, modes } = terminal()
    const read = readFromTerminal(input, 'Password: ', screen().stream)
    for (const chunk of chunks) input.write(chunk)
    await t.rejects(read, InputEnded, JSON.stringify(chunks))
    t.same(modes, [true, false], `${JSON.stringify(chunks)}: restored`)
  }
  const { input, modes } = terminal()
  const read = readFromTerminal(input, '', screen().stream)
  input.end()
  await t.rejects(read, InputEnded, 'the terminal closed before anything was typed')
  t.same(modes, [true, false])
})

/** Types `lines` into readNewPasswordFromTerminal, each once its prompt is on the screen. */
async function typeTwice (lines: [string, string]): Promise<{ result: Promise<string>, modes: boolean[], shown: () => string }> {
  const { input, modes } = terminal()
  const shown = screen()
  const result = readNewPasswordFromTerminal(input, shown.stream)
  result.catch(() => {})
  input.write(lines[0])
  for (let tries = 0; tries < 100 && !shown.text().includes('Repeat password: '); tries++) await new Promise((resolve) => setImmediate(resolve))
  input.write(lines[1])
  return { result, modes, shown: shown.text }
}

t.test('a new password is asked for twice; the same twice is the password, a mismatch writes nothing', async (t) => {
  const same = await typeTwice(['twice the same\r', 'twice the same\r'])
  t.equal(await same.result, 'twice the same')
  t.same(same.modes, [true, false, true, false], 'raw mode for each prompt, restored after each')
  t.equal(same.shown(), 'Password: \nRepeat password: \n', 'two prompts, nothing typed shown')
  const differ = await typeTwice(['twice the same\r', 'twice the sane\r'])
  await t.rejects(differ.result, /the two passwords typed differ: nothing was written/)
  t.same(differ.modes, [true, false, true, false])
  const prefix = await typeTwice(['long password\r', 'long\r'])
  await t.rejects(prefix.result, /differ/, 'a prefix is no match')
  const aborted = await typeTwice(['first entry\r', '\u0003'])
  await t.rejects(aborted.result, InputAborted, 'Ctrl-C at the second prompt')
  const ended = await typeTwice(['first entry\r', '\u0004'])
  await t.rejects(ended.result, InputEnded, 'Ctrl-D at the second prompt')
  t.same(ended.modes, [true, false, true, false])
})

t.test('the end of input before Enter ends the password too, and restores the terminal', async (t) => {
  const { input, modes } = terminal()
  const read = readFromTerminal(input, '', screen().stream)
  input.end('no newline')
  t.equal(await read, 'no newline')
  t.same(modes, [true, false])
})

t.test('a pipe: the password up to the newline, and an endless pipe is refused, not read until memory runs out', async (t) => {
  const piped = new PassThrough()
  piped.end('correct horse battery staple\n')
  t.equal(await readFromPipe(piped), 'correct horse battery staple')
  // Like `yes | authgate user add`: the reader must give up on its own (the stream never ends).
  const endless = new PassThrough()
  const chunk = Buffer.alloc(4096, 'y')
  const timer = setInterval(() => { endless.write(chunk) }, 1)
  t.teardown(() => { clearInterval(timer); endless.destroy() })
  await t.rejects(readFromPipe(endless), /longer than 1024 characters/)
})

t.test('a pipe: one final newline is dropped, any other line break refuses the password', async (t) => {
  const read = async (text: string): Promise<string> => {
    const piped = new PassThrough()
    piped.end(text)
    return await readFromPipe(piped)
  }
  t.equal(await read('secret12\r\n'), 'secret12', 'a CRLF line')
  t.equal(await read('secret12'), 'secret12', 'no newline')
  for (const text of ['secret12\nsecret12\n', 'secret12\nsecret12', 'secret12\n\n', 'secret12\r', 'sec\rret12\n', '\nsecret12']) {
    await t.rejects(read(text), /the password on stdin must be one line/, JSON.stringify(text))
  }
})

t.test('the length rule of addUser (8 to 1024 characters after NFC), before any store is opened', async (t) => {
  t.match(newPasswordError(''), /the password is empty/)
  t.match(newPasswordError('seven77'), /must hold 8 to 1024 characters \(it has 7\)/)
  t.equal(newPasswordError('eight888'), undefined)
  t.equal(newPasswordError('x'.repeat(1024)), undefined)
  t.match(newPasswordError('x'.repeat(1025)), /must hold 8 to 1024 characters/)
  // e + combining acute is one character once composed, as addUser counts it.
  t.match(newPasswordError('e\u0301'.repeat(7)), /\(it has 7\)/)
  t.equal(newPasswordError('€'.repeat(8)), undefined, 'characters, not bytes')
})

t.test('on a terminal, an empty or too short first entry is refused at once, without asking to repeat it', async (t) => {
  for (const [first, message] of [['\r', /the password is empty/], ['short\r', /must hold 8 to 1024 characters/]] as const) {
    const run = await typeTwice([first, 'short\r'])
    await t.rejects(run.result, message, JSON.stringify(first))
    t.equal(run.shown(), 'Password: \n', `${JSON.stringify(first)}: no second prompt`)
    t.same(run.modes, [true, false], `${JSON.stringify(first)}: the terminal restored, asked once`)
  }
})

t.test('on a terminal, input beyond the longest password ends the read with an error (no unbounded growth)', async (t) => {
  const { input, modes } = terminal()
  const read = readFromTerminal(input, '', screen().stream)
  read.catch(() => {})
  input.write('y'.repeat(1024))
  // The Enter after the excess: the read must already have ended (else it would return 1025 characters).
  input.write('y\r')
  await t.rejects(read, /the password is longer than 1024 characters/)
  t.same(modes, [true, false], 'restored')
  const { input: exact } = terminal()
  const ok = readFromTerminal(exact, '', screen().stream)
  exact.write('z'.repeat(1024) + '\r')
  t.equal((await ok).length, 1024, 'the longest password is still accepted')
})
