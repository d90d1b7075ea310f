// normaliseTarget(): the canonical request target that both the route policy and the upstream see (B.29, B.30).
import t from 'tap'
import { normaliseTarget, underPrefix } from '../src/paths.js'

t.test('plain targets pass unchanged (same string, no copy)', async (t) => {
  for (const target of ['/', '/api', '/api/', '/api/users/42?x=1&y=%2F', '/public/a.b/c..d/.well', '/a;b=c/d', "/a/!$&'()*+,;=:@~-_"]) {
    t.equal(normaliseTarget(target), target, target)
  }
})

t.test('escapes are decoded once and re-encoded canonically', async (t) => {
  t.equal(normaliseTarget('/%61dmin/users'), '/admin/users')
  t.equal(normaliseTarget('/api/caf%c3%a9'), '/api/caf%C3%A9')
  t.equal(normaliseTarget('/api/a%20b?q=%2e%2e'), '/api/a%20b?q=%2e%2e', 'the query is passed as sent')
  t.equal(normaliseTarget('/api/%3F%23'), '/api/%3F%23', 'an encoded ? or # stays encoded')
  t.equal(normaliseTarget('/api/100%25'), '/api/100%25', 'a literal percent sign survives')
})

t.test('every B.29/B.30 spelling is refused (null → 400)', async (t) => {
  const refused = [
    '/public/../admin/users', '/public/%2e%2e/admin/users', '/public/%2E%2E%2Fadmin/users', '/public/..%2fadmin',
    '/public/%252e%252e%252fadmin', '/public/..;/admin', '/public/.%2e/admin', '/public\\..\\admin', '//admin/users',
    '/admin%2Fusers', '/admin/users%00', '/admin/./users', '/admin/.', '/admin/..', '/a//b', '/a/%2e/b', '/a/%5cb',
    '/a/%0d%0aX-Injected:%201', '/a/%zz', '/a/%c3', '/a#frag', '/a?b#c', '/a\u0000b', '/a b', '/caf\u00e9',
    'http://internal:8080/admin', '//evil.example/x', '@evil.example/', '*', '', 'admin'
  ]
  for (const target of refused) t.equal(normaliseTarget(target), null, JSON.stringify(target))
})

t.test('underPrefix matches on segment boundaries', async (t) => {
  t.ok(underPrefix('/api', '/api'))
  t.ok(underPrefix('/api/x', '/api'))
  t.notOk(underPrefix('/apix', '/api'))
  t.notOk(underPrefix('/API/x', '/api'))
  t.ok(underPrefix('/anything', '/'))
})
