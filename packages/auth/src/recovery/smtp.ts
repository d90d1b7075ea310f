// The built-in sender of reset and verification links (`mail.smtp`), through nodemailer, an optional peer loaded
// only when mail.smtp is configured: at registration, so a missing package stops the start, naming it.
import { importOptionalPeer } from '../internal/optional-peer.js'
import type { MailContent } from './types.js'
import { DELIVERY_CONCURRENCY } from './delivery-queue.js'

export interface MailSender {
  send: (to: string, content: MailContent) => Promise<void>
  close: () => void
}

/** Bounds one delivery: a mail server that accepts the connection and then stalls must not hold the queue. */
const SMTP_TIMEOUT_MS = 15_000

/** Whether the URL's host is on this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackUrl (url: string): boolean {
  let host: string
  try {
    host = new URL(url).hostname.toLowerCase()
  } catch {
    return false
  }
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host)
}

export async function createSmtpSender (smtp: { url: string, from: string }): Promise<MailSender> {
  const nodemailer = await importOptionalPeer('nodemailer', 'mail.smtp', async () => import('nodemailer'))
  // The URL (credentials included) is nodemailer's alone from here: it never goes to a log.
  // Pooled, as many connections as the queue runs jobs: one connection per mail would be a TLS handshake each.
  // STARTTLS is required unless the server is on loopback (a local relay): a reset link in clear text over the network
  // is the account. The URL's own query (`?requireTLS=false`) wins over this default: the operator's explicit choice.
  const transport = nodemailer.createTransport({
    url: smtp.url,
    pool: true,
    maxConnections: DELIVERY_CONCURRENCY,
    requireTLS: !isLoopbackUrl(smtp.url),
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS
  })
  return {
    async send (to, content) {
      // An address object and an explicit envelope: a plain string would be parsed as an address LIST, so a stored
      // `a;b@x`, `p,x@x` or `e(c)@x` could reach other mailboxes (or lose its comment part) instead of exactly itself.
      await transport.sendMail({ from: smtp.from, to: { name: '', address: to }, envelope: { from: smtp.from, to: [{ name: '', address: to }] }, subject: content.subject, text: content.text })
    },
    close () { transport.close() }
  }
}
