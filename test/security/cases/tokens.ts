// SECURITY-CASES.md section A (Access-token verification), sent to the gateway of lib/target.ts.
import type { CaseGroup } from '../lib/case.js'

export const group: CaseGroup = {
  section: 'A',
  title: 'Access-token verification',
  cases: [
    {
      id: 'A.1',
      name: 'no `Authorization` header on a protected route',
      expect: { status: 401, code: 'AUTH_TOKEN_MISSING', upstream: 'untouched' },
      attack: (target) => target.request('/api/whoami'),
      check: (outcome) => { if (!String(outcome.headers['www-authenticate'] ?? '').startsWith('Bearer')) throw new Error('no WWW-Authenticate: Bearer') },
      also: '`WWW-Authenticate: Bearer`'
    }
  ]
}
