// The gateway's `mail` section and the recovery keys of `auth` (issue #15 item 1): they load from a file and from
// AUTHGATE_* variables; mail without server.publicOrigin, bad URLs, templates without {{link}} and bad lifetimes are
// refused naming the key.
import t from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig } from '../src/config.js'
import { pluginOptions } from '../src/plugin-options.js'

const dir = mkdtempSync(join(tmpdir(), 'authgate-mail-'))
const ROUTES = 'tokens: { keysDir: ./keys }\nroutes: [{ prefix: /api, upstream: "http://127.0.0.1:3001" }]\n'
const ORIGIN = 'server: { publicOrigin: "https://app.example.com" }\n'

function file (name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

function errorOf (run: () => unknown): string {
  try {
    run()
  } catch (error) {
    if (error instanceof ConfigError) return error.message
    throw error
  }
  return 'no error'
}

t.test('mail.smtp, templates and the auth recovery keys load from the file and the environment, and reach the plugin', async (t) => {
  const path = file('ok.yaml', `${ORIGIN}mail:\n  smtp: { url: "smtp://mail.example:25", from: "no-reply@example.com" }\n  templates:\n    passwordReset:\n      text: |\n        Go to {{link}}\nauth: { requireVerifiedEmail: true, resetTtl: 10m }\n${ROUTES}`)
  const config = loadConfig(path, { env: {} })
  t.match(config.mail, { smtp: { url: 'smtp://mail.example:25', from: 'no-reply@example.com' }, templates: { passwordReset: { text: 'Go to {{link}}\n' } } })
  t.match(config.auth, { requireVerifiedEmail: true, resetTtl: '10m', verifyTtl: '24h', resetLinkPath: '/reset-password' })
  const overridden = loadConfig(path, { env: { AUTHGATE_MAIL_SMTP_URL: 'smtps://user:pw@mail.example:465', AUTHGATE_AUTH_RESET_TTL: '5m' } })
  t.equal(overridden.mail?.smtp?.url, 'smtps://user:pw@mail.example:465')
  t.equal(overridden.auth.resetTtl, '5m')
  t.match(pluginOptions(config), { mail: { smtp: { from: 'no-reply@example.com' } }, auth: { publicOrigin: 'https://app.example.com', requireVerifiedEmail: true } })
})

t.test('bad mail and recovery settings are refused, naming the key', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['mail: { smtp: { url: "smtp://mail.example", from: "a@example.com" } }', /mail\.smtp: needs auth\.publicOrigin \(the gateway: server\.publicOrigin\)/],
    [`${ORIGIN}mail: { smtp: { url: "http://mail.example", from: "a@example.com" } }`, /mail\.smtp\.url/],
    [`${ORIGIN}mail: { smtp: { url: "smtp://mail.example" } }`, /mail\.smtp.*from/],
    [`${ORIGIN}mail: { templates: { passwordReset: { text: "no link" } } }`, /mail\.templates\.passwordReset\.text: must hold the \{\{link\}\} placeholder/],
    [`${ORIGIN}auth: { resetTtl: 2d }`, /auth\.resetTtl/],
    [`${ORIGIN}auth: { resetLinkPath: "https://evil.example/x" }`, /auth\.resetLinkPath/],
    ['auth: { requireVerifiedEmail: true }', /auth\.requireVerifiedEmail: needs auth\.publicOrigin/],
    [`${ORIGIN}mail: { smtp: { url: "smtp://x", from: "a@example.com", pass: 1 } }`, /mail\.smtp/]
  ]
  for (const [text, expected] of cases) {
    t.match(errorOf(() => loadConfig(file('bad.yaml', `${text}\n${ROUTES}`), { env: {} })), expected, text)
  }
})
