// `authgate start` with no configuration, as the quick start runs it: it prints the URL, a demo user and curl lines;
// following them logs in, calls /api/whoami and shows the user id arriving at the demo upstream as a header.
// Ctrl-C (SIGINT) stops it cleanly. Runs the CLI source in a child process (the repository's cached transpiler).
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { typescriptNodeArgs } from '@authgate/test-kit/node-args'
import { freePort } from '@authgate/test-kit/ports'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

t.test('the embedded default prints working instructions and stops on Ctrl-C', async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'authgate-embedded-'))
  const port = await freePort()
  const env: NodeJS.ProcessEnv = { ...process.env }
  delete env.MONGODB_URL
  const child = spawn(process.execPath, [...typescriptNodeArgs(), join(ROOT, 'apps', 'gateway', 'src', 'cli.ts'), 'start', '--port', String(port)], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const deadline = Date.now() + 60_000
  while (!output.includes('password:') || !output.includes('curl -si')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no banner: ${output}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const origin = `http://127.0.0.1:${port}`
  t.match(output, `authgate is running at ${origin}`)
  t.match(output, /in-memory store: users and sessions vanish/)
  t.ok(existsSync(join(cwd, '.authgate-dev', 'keys', 'keys.json')), 'development keys in .authgate-dev/keys')
  const email = /demo user: (\S+)/.exec(output)?.[1] ?? ''
  const password = /password: +(\S+)/.exec(output)?.[1] ?? ''
  t.match(output, `curl -s -X POST ${origin}/auth/login`)
  t.match(output, `curl -s ${origin}/api/whoami -H "authorization: Bearer $TOKEN"`)

  const login = await fetch(`${origin}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) })
  t.equal(login.status, 200)
  const { accessToken, user } = await login.json() as { accessToken: string, user: { id: string } }
  const whoami = await fetch(`${origin}/api/whoami`, { headers: { authorization: `Bearer ${accessToken}` } })
  t.equal(whoami.status, 200)
  t.match(await whoami.json(), { userId: user.id, path: '/api/whoami', headers: { 'x-user-id': user.id } })
  t.equal((await fetch(`${origin}/api/whoami`)).status, 401)
  t.equal((await fetch(`${origin}/admin/x`, { headers: { authorization: `Bearer ${accessToken}` } })).status, 403)
  t.equal((await fetch(`${origin}/public/x`)).status, 200)
  // The demo opens self-registration (a configured gateway keeps it off) and says so.
  t.match(output, /registration: OPEN \(demo only\)/)
  const registered = await fetch(`${origin}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'visitor@example.com', password: 'correct horse battery staple' }) })
  t.equal(registered.status, 201, 'anyone may register on the demo')
  // The page ships in the gateway package (apps/gateway/demo), so it is always there.
  const page = await fetch(`${origin}/demo/`)
  t.equal(page.status, 200)
  t.match(page.headers.get('content-type'), /text\/html/)
  t.equal((await fetch(`${origin}/demo/..%2fpackage.json`)).status, 400)

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code) }))
  child.kill('SIGINT')
  t.equal(await exited, 0)
})
