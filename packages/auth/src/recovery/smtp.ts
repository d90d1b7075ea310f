// The built-in sender of reset and verification links (`mail.smtp`), through nodemailer, an optional peer loaded
// only when mail.smtp is configured: at registration, so a missing package stops the start, naming it.
import { importOptionalPeer } from '../optional-peer.js'
import type { MailContent } from '../options-types.js'

export interface MailSender {
  send: (to: string, content: MailContent) => Promise<void>
  close: () => void
}

/** Bounds one delivery: a mail server that accepts the connection and then stalls must not hold the queue. */
const SMTP_TIMEOUT_MS = 15_000

export async function createSmtpSender (smtp: { url: string, from: string }): Promise<MailSender> {
  const nodemailer = await importOptionalPeer('nodemailer', 'mail.smtp', async () => import('nodemailer'))
  // The URL (credentials included) is nodemailer's alone from here: it never goes to a log.
  const transport = nodemailer.createTransport({ url: smtp.url, connectionTimeout: SMTP_TIMEOUT_MS, greetingTimeout: SMTP_TIMEOUT_MS, socketTimeout: SMTP_TIMEOUT_MS })
  return {
    async send (to, content) {
      // An address object and an explicit envelope: a plain string would be parsed as an address LIST, so a stored
      // `a;b@x`, `p,x@x` or `e(c)@x` could reach other mailboxes (or lose its comment part) instead of exactly itself.
      await transport.sendMail({ from: smtp.from, to: { name: '', address: to }, envelope: { from: smtp.from, to: [{ name: '', address: to }] }, subject: content.subject, text: content.text })
    },
    close () { transport.close() }
  }
}
