// The gateway's `notifications` section is the plugin's (issue #15 item 2): the new-IP keys load from a file and from
// AUTHGATE_* variables, and bad values are refused naming the file and the key.
import t from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig } from '../src/config.js'

const dir = mkdtempSync(join(tmpdir(), 'authgate-newip-'))
const ROUTES = 'tokens: { keysDir: ./keys }\nroutes: [{ prefix: /api, upstream: "http://127.0.0.1:3001" }]\n'

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

t.test('notifications.newIpWebhook, ipMemory and ipPrefix load from the file and the environment', async (t) => {
  const path = file('ok.yaml', `notifications: { newIpWebhook: "https://hooks.example/new-ip", ipMemory: 30d, ipPrefix: { v4: 16 } }\n${ROUTES}`)
  const config = loadConfig(path, { env: {} })
  t.match(config.notifications, { newIpWebhook: 'https://hooks.example/new-ip', ipMemory: '30d', ipPrefix: { v4: 16, v6: 64 } })
  const overridden = loadConfig(path, { env: { AUTHGATE_NOTIFICATIONS_IP_MEMORY: '7d', AUTHGATE_NOTIFICATIONS_IP_PREFIX_V6: '56' } })
  t.match(overridden.notifications, { ipMemory: '7d', ipPrefix: { v4: 16, v6: 56 } })
  t.equal(loadConfig(path, { env: { AUTHGATE_NOTIFICATIONS_IP_MEMORY: 'false' } }).notifications.ipMemory, false, 'false turns it off')
})

t.test('bad new-IP settings are refused, naming the key', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['notifications: { ipPrefix: { v4: 40 } }', /notifications\.ipPrefix\.v4/],
    ['notifications: { ipPrefix: { v6: 8 } }', /notifications\.ipPrefix\.v6/],
    ['notifications: { ipPrefix: { v7: 8 } }', /notifications\.ipPrefix\.v7/],
    ['notifications: { ipMemory: soon }', /notifications\.ipMemory/],
    ['notifications: { ipMemory: 500 }', /notifications\.ipMemory/],
    ['notifications: { newIpWebhook: "javascript:alert(1)" }', /notifications\.newIpWebhook/]
  ]
  for (const [index, [yaml, key]] of cases.entries()) {
    const path = file(`bad-${index}.yaml`, `${yaml}\n${ROUTES}`)
    const message = errorOf(() => loadConfig(path, { env: {} }))
    t.match(message, key, yaml)
    t.match(message, path, 'and the file')
  }
  t.match(errorOf(() => loadConfig(file('env.yaml', ROUTES), { env: { AUTHGATE_NOTIFICATIONS_IP_PREFIX_V4: 'twenty' } })), /notifications\.ipPrefix\.v4|AUTHGATE_NOTIFICATIONS_IP_PREFIX_V4/)
})
