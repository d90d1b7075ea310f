// The Node cookie jar decides where a cookie goes: Path, Domain, Secure, expiry.
import t from 'tap'
import { createMemoryCookieJar } from '../src/index.js'

function headers (...cookies: string[]): Headers {
  const h = new Headers()
  for (const c of cookies) h.append('set-cookie', c)
  return h
}

t.test('Path restricts where a cookie is sent', async (t) => {
  const jar = createMemoryCookieJar()
  jar.storeFrom(new URL('http://127.0.0.1:8080/auth/login'), headers('rt=abc; Path=/auth; HttpOnly; Secure; SameSite=Strict'))
  t.equal(jar.cookieHeaderFor(new URL('http://127.0.0.1:8080/auth/refresh')), 'rt=abc')
  t.equal(jar.cookieHeaderFor(new URL('http://127.0.0.1:8080/auth')), 'rt=abc')
  t.equal(jar.cookieHeaderFor(new URL('http://127.0.0.1:8080/authx')), undefined, '/authx is not under /auth')
  t.equal(jar.cookieHeaderFor(new URL('http://127.0.0.1:8080/api/data')), undefined)
})

t.test('without Path, the default path is the directory of the request', async (t) => {
  const jar = createMemoryCookieJar()
  jar.storeFrom(new URL('http://localhost/auth/login'), headers('a=1'))
  t.equal(jar.cookieHeaderFor(new URL('http://localhost/auth/me')), 'a=1')
  t.equal(jar.cookieHeaderFor(new URL('http://localhost/other')), undefined)
})

t.test('host-only cookies stay on their host; Domain cookies reach subdomains; foreign Domain is refused', async (t) => {
  const jar = createMemoryCookieJar()
  jar.storeFrom(new URL('https://app.example.com/'), headers('host=1; Path=/', 'dom=2; Path=/; Domain=example.com', 'evil=3; Path=/; Domain=other.com'))
  t.equal(jar.cookieHeaderFor(new URL('https://app.example.com/')), 'host=1; dom=2')
  t.equal(jar.cookieHeaderFor(new URL('https://api.example.com/')), 'dom=2')
  t.equal(jar.cookieHeaderFor(new URL('https://other.com/')), undefined)
})

t.test('Secure cookies go over https and to loopback only', async (t) => {
  const jar = createMemoryCookieJar()
  jar.storeFrom(new URL('https://example.com/'), headers('s=1; Path=/; Secure'))
  t.equal(jar.cookieHeaderFor(new URL('http://example.com/')), undefined)
  t.equal(jar.cookieHeaderFor(new URL('https://example.com/')), 's=1')
  jar.storeFrom(new URL('http://127.0.0.1/'), headers('l=1; Path=/; Secure'))
  t.equal(jar.cookieHeaderFor(new URL('http://127.0.0.1/')), 'l=1')
})

t.test('Max-Age=0 and a past Expires delete; a new value replaces; longer paths first', async (t) => {
  const jar = createMemoryCookieJar()
  const url = new URL('http://localhost/auth/login')
  jar.storeFrom(url, headers('rt=old; Path=/auth', 'x=1; Path=/auth/login'))
  jar.storeFrom(url, headers('rt=new; Path=/auth'))
  t.equal(jar.cookieHeaderFor(url), 'x=1; rt=new')
  jar.storeFrom(url, headers('rt=; Path=/auth; Max-Age=0', 'x=; Path=/auth/login; Expires=Thu, 01 Jan 1970 00:00:00 GMT'))
  t.equal(jar.cookieHeaderFor(url), undefined)
  jar.storeFrom(url, headers('y=1; Path=/; Max-Age=1'))
  jar.clear()
  t.equal(jar.cookieHeaderFor(url), undefined)
})
