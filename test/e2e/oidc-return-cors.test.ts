// The gateway's one origin list (cors.origins with credentials, unless auth.allowedOrigins sets it apart) is also the
// list of origins an OIDC sign-in may send the browser back to: the plugin's allowedOrigins serve both checks. A real
// sign-in through a real OpenID Provider on loopback; the callback's Location is what is asserted.
import t, { type Test } from 'tap'
import { startOidcGateway } from './helpers/oidc-gateway.js'

const APP = 'https://app.example.com'
const ACCOUNTS = { alice: { email: 'alice@example.com', email_verified: true } }

/** A gateway with `config`; signs in with each returnTo and gives where the callback sends the browser. */
async function landings (t: Test, config: Record<string, unknown>, returnTos: string[]): Promise<Array<string | null>> {
  const gateway = await startOidcGateway(t, { accounts: ACCOUNTS, config })
  const locations: Array<string | null> = []
  for (const returnTo of returnTos) {
    const callback = await gateway.browser().signIn('test', 'alice', returnTo)
    t.equal(callback.status, 303, callback.body)
    locations.push(callback.location)
  }
  return locations
}

t.test('cors.origins with credentials: a returnTo URL on a listed origin is kept, another origin\'s becomes /', async (t) => {
  const cors = { cors: { origins: [APP], credentials: true } }
  t.same(await landings(t, cors, [`${APP}/x?y=1`, 'https://evil.example/x', `${APP}.evil/x`, '/app/']), [`${APP}/x?y=1`, '/', '/', '/app/'],
    'a listed origin\'s URL kept; an unlisted or look-alike origin\'s: /; a path as always')
  t.same(await landings(t, { cors: { origins: [APP] } }, [`${APP}/x`]), ['/'], 'without credentials the CORS origins are not on the list')
  t.same(await landings(t, { ...cors, auth: { allowedOrigins: ['https://other.example.com'] } }, [`${APP}/x`, 'https://other.example.com/x']),
    ['/', 'https://other.example.com/x'], 'auth.allowedOrigins set apart: it alone decides')
})
