// Recovery units: the delivery queue (recovery/delivery-queue.ts: bounded, a few jobs at once, counts what it drops,
// forgets the waiting jobs at stop), the loopback test that decides whether STARTTLS is required, the templates.
import t from 'tap'
import { createDeliveryQueue } from '../src/recovery/delivery-queue.js'
import { isLoopbackUrl } from '../src/recovery/smtp.js'

function gate (): { wait: Promise<void>, open: () => void } {
  let open = (): void => {}
  const wait = new Promise<void>((resolve) => { open = resolve })
  return { wait, open }
}

t.test('full: jobs beyond the bound are dropped, counted and logged; at most `concurrency` run at once', async (t) => {
  const warnings: Array<Record<string, unknown>> = []
  const queue = createDeliveryQueue({ warn: (object: Record<string, unknown>) => { warnings.push(object) } } as never, 2, 3)
  const held = gate()
  let running = 0
  let most = 0
  let done = 0
  const job = async (): Promise<void> => {
    running++
    most = Math.max(most, running)
    await held.wait
    running--
    done++
  }
  // Pushed in one turn, before any worker took one: three are queued (the bound), four dropped.
  for (let index = 0; index < 7; index++) queue.push(job)
  await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(running, 2, 'two at once')
  t.equal(queue.dropped(), 4)
  t.match(warnings[0], { event: 'recovery_queue_full', dropped: 1 })
  held.open()
  await queue.idle()
  t.equal(done, 3, 'every job that was queued ran')
  t.equal(most, 2, 'never more than the concurrency')
})

t.test('stop: the waiting jobs are forgotten and counted, the running one ends, later pushes are dropped', async (t) => {
  const queue = createDeliveryQueue({ warn: () => {} } as never, 1, 10)
  const held = gate()
  const ran: number[] = []
  for (let index = 0; index < 4; index++) queue.push(async () => { ran.push(index); await held.wait })
  await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(queue.stop(), 3, 'three were waiting')
  queue.push(async () => { ran.push(99) })
  held.open()
  await queue.idle()
  t.same(ran, [0], 'only the running job ran')
  t.equal(queue.dropped(), 4)
})

t.test('STARTTLS is required unless the mail server is on loopback', async (t) => {
  for (const url of ['smtp://127.0.0.1:25', 'smtp://localhost', 'smtp://[::1]:2525', 'smtp://user:pw@127.8.9.10']) t.ok(isLoopbackUrl(url), url)
  for (const url of ['smtp://mail.example.com', 'smtp://127.0.0.1.example.com', 'smtp://10.0.0.1', 'smtp://localhost.example', 'not a url']) t.notOk(isLoopbackUrl(url), url)
})

t.test('a code template\'s subject is made one line, like a string template\'s', async (t) => {
  const { compileTemplate } = await import('../src/recovery/templates.js')
  const input = { email: 'a@example.com\r\nBcc: victim@example.com', link: 'https://app.example.com/r#token=x', expiresAt: new Date(), minutes: 15 }
  const coded = compileTemplate('passwordReset', ({ email, link }) => ({ subject: `Reset for ${email}\u2028x`, text: link }), 'mail.templates.passwordReset')
  t.equal(coded(input).subject, 'Reset for a@example.com Bcc: victim@example.com x')
  const written = compileTemplate('passwordReset', { subject: 'Reset for {{email}}' }, 'mail.templates.passwordReset')
  t.notMatch(written(input).subject, /[\r\n]/)
})
