// normaliseTarget(): the canonical request target that both the route policy and the upstream see (B.29, B.30).
import t from 'tap'
import { createPrefixSpellingCheck, normaliseTarget, underPrefix } from '../src/paths.js'
import { foldPath } from '../src/path-fold.js'

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
    // segments of only dots climb like `..` to Windows-style upstreams (and the fold), at any depth
    '/api/x/.../admin/users', '/api/x/y/.../.../admin/users', '/api/x/.../ADMIN/users', '/api/x/%2e../admin', '/a/...;x/b', '/a/....',
    // an escape that appears only after NFKC (fullwidth and small percent signs, fullwidth digits)
    '/api/%EF%BC%8561dmin', '/api/%EF%B9%AA61dmin', '/api/%EF%BC%85%EF%BC%96%EF%BC%91dmin',
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

// Issue #11 item 7: nested prefixes (`/api` weaker, `/api/admin` stricter) and every fold a lenient upstream applies.
t.test('folded spellings of a stricter prefix are caught; exact and unrelated paths are not', async (t) => {
  const loose = createPrefixSpellingCheck([
    { prefix: '/', auth: 'none', roles: [] }, { prefix: '/api', auth: 'optional', roles: [] },
    { prefix: '/api/admin', auth: 'required', roles: ['admin'] }, { prefix: '/admin', auth: 'required', roles: ['admin'] },
    { prefix: '/v1.0', auth: 'required', roles: [] }, { prefix: '/docs', auth: 'none', roles: [] }
  ])
  const refused = [
    // format suffixes on the last segment
    '/api/admin.json', '/api/admin.xml', '/api/admin.html', '/api/admin.x.json', '/api/admin.json.', '/admin.php', '/admin;x.json',
    // encoded `?` and `#` end the path for an upstream that decodes before it parses
    '/api/admin%3F', '/api/admin%3F/users', '/api/admin%3fx', '/api/admin%23frag', '/api/admin%3F.json',
    // Unicode letters whose case fold is ASCII, and NFKC compatibility forms
    '/api/adm%C4%B1n/users', '/api/%C4%B0nside/%E2%80%A5/admin', '/api/adm%C4%B0n', '/%C5%BFecret/%EF%BC%8E%EF%BC%8E/admin', '/api/%EF%BD%81%EF%BD%84%EF%BD%8D%EF%BD%89%EF%BD%8E',
    '/api/admin%EF%BC%8Fusers', '/api/%E2%84%AAeys/..%EF%BC%8Fadmin', '/public/%EF%BC%8E%EF%BC%8E/admin/users', '/public/%E2%80%A5/admin/users',
    '/public/x/%E2%80%A5/%E2%80%A5/admin', '/api/ad%E2%80%8Bmin', '/api/ad%C2%ADmin/x', '/api/admin%EF%BC%9Bx/users', '/api/admin%EF%BC%9Fx',
    // the earlier folds still hold
    '/api/Admin/users', '/api/admin;x/users', '/api/admin./users', '/api/admin%20/users', '/ADMIN', '/public/..%20/admin/users',
    '/v1.0.json', '/V1.0/x',
    // a trailing slash does not hide a format suffix
    '/api/admin.json/', '/api/admin.json;x/', '/admin.php/',
    // slash look-alikes that NFKC leaves alone
    '/api%E2%88%95admin', '/api%E2%81%84admin/users', '/api%E2%A7%B8admin', '/api/x%E2%88%96..%E2%88%96admin', '/api%E2%A7%B5admin',
    // combining marks and variation selectors
    '/api/a%CC%81dmin', '/api/admin%CD%8F', '/api/admin%EF%B8%8F/users', '/api/adm%C3%ADn', '/api/%C3%A0dmin'
  ]
  for (const target of refused) {
    const canonical = normaliseTarget(target)
    t.not(canonical, null, `${target} is a canonical target`)
    t.equal(loose(canonical as string), true, target)
  }
  const allowed = [
    '/api/admin', '/api/admin/users.json', '/api/admin.json/x', '/api/administrators', '/api/adminx.json', '/api/users.json',
    '/public/file.json', '/public/a.b/c..d/.well', '/adminx/users', '/Other/x;y', '/api/caf%C3%A9', '/v1.0/x', '/v1.5', '/api/x?next=/admin.json',
    '/api/%E2%84%AAeys', '/docs.html', '/DOCS/x', '/docs;x/y'
  ]
  for (const target of allowed) t.equal(loose(normaliseTarget(target) as string), false, target)
})

t.test('foldPath: the documented folds, one by one', async (t) => {
  const read = (path: string): string => foldPath(path).segments.join('/')
  t.equal(read('/API/Admin'), 'api/admin')
  t.equal(read('/api/adm%C4%B1n'), 'api/admin', 'dotless ı')
  t.equal(read('/%C5%BFecret'), 'secret', 'long ſ')
  t.equal(read('/%E2%84%AAey'), 'key', 'Kelvin sign')
  t.equal(read('/stra%C3%9Fe'), 'strasse', 'ß')
  t.equal(read('/%EF%BD%81%EF%BD%84'), 'ad', 'fullwidth')
  t.equal(read('/a;b=c/d;e'), 'a/d')
  t.equal(read('/a/b%3Fc/d'), 'a/b')
  t.equal(read('/a/b../c. /d'), 'a/b/c/d')
  t.equal(read('/a/b/../c'), 'a/c')
  t.equal(read('/a\\b//c'), 'a/b/c')
})

t.test('a loose spelling from a target no route matches counts as reaching a stricter route: refused', async (t) => {
  const loose = createPrefixSpellingCheck([{ prefix: '/docs', auth: 'none', roles: [] }])
  t.ok(loose('/DOCS/x'), 'no route matched /DOCS: strictest, even beside a public prefix')
  t.notOk(loose('/docs/x'))
  const nested = createPrefixSpellingCheck([{ prefix: '/api', auth: 'required', roles: ['a', 'b'] }, { prefix: '/api/admin', auth: 'required', roles: ['a'] }])
  t.ok(nested('/api/ADMIN'), 'the spelled prefix asks more (a only): refused')
  const lenient = createPrefixSpellingCheck([{ prefix: '/api', auth: 'required', roles: ['a'] }, { prefix: '/api/docs', auth: 'optional', roles: [] }])
  t.notOk(lenient('/api/DOCS'), 'the spelled prefix admits everyone the matched route does: nothing to gain, let through')
})
