// A real SMTP server on a loopback ephemeral port (smtp-server) that parses every mail it receives (mailparser):
// the tests follow the links the plugin actually mailed.
import type { AddressInfo } from 'node:net'
import { simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  to: string
  from: string
  subject: string
  text: string
  /** The envelope's recipients (RCPT TO), where the mail really goes. */
  rcpt: string[]
}

export interface TestSmtp {
  url: string
  mails: ReceivedMail[]
  /**
   * The next mail to `to` whose subject matches `subject` (waits up to `timeoutMs`); rejects when none comes. The
   * subject tells a reset mail from the verification mail /register sends.
   */
  next: (to: string, subject?: RegExp, timeoutMs?: number) => Promise<ReceivedMail>
  close: () => Promise<void>
}

export async function startSmtp (): Promise<TestSmtp> {
  const mails: ReceivedMail[] = []
  const waiters: Array<() => void> = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData (stream, session, callback) {
      const rcpt = session.envelope.rcptTo.map((entry) => entry.address)
      simpleParser(stream).then((parsed) => {
        const to = Array.isArray(parsed.to) ? parsed.to.map((entry) => entry.text).join(',') : parsed.to?.text ?? ''
        mails.push({ to, from: parsed.from?.text ?? '', subject: parsed.subject ?? '', text: parsed.text ?? '', rcpt })
        for (const wake of waiters.splice(0)) wake()
        callback()
      }, (error: unknown) => { callback(error instanceof Error ? error : new Error(String(error))) })
    }
  })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', () => { resolve() }) })
  const { port } = server.server.address() as AddressInfo
  const taken = new Set<ReceivedMail>()
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    async next (to, subject = /./, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const mail = mails.find((candidate) => !taken.has(candidate) && candidate.to.includes(to) && subject.test(candidate.subject))
        if (mail !== undefined) {
          taken.add(mail)
          return mail
        }
        const left = deadline - Date.now()
        if (left <= 0) throw new Error(`no mail to ${to} within ${timeoutMs} ms`)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left)
          waiters.push(() => { clearTimeout(timer); resolve() })
        })
      }
    },
    close: async () => new Promise<void>((resolve) => { server.close(() => { resolve() }) })
  }
}

export const RESET_MAIL = /reset/i
export const VERIFY_MAIL = /verify/i

/** The token of a mailed link (`…#token=…`). */
export function tokenOfMail (mail: ReceivedMail): { link: string, token: string } {
  const match = /(https?:\/\/\S+#token=([A-Za-z0-9_-]+))/.exec(mail.text)
  if (match === null) throw new Error(`no link in the mail: ${mail.text}`)
  return { link: match[1] as string, token: match[2] as string }
}
