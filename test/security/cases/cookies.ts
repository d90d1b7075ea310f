// SECURITY-CASES.md section C (Refresh tokens, cookies, CSRF, logout), sent to the gateway of lib/target.ts.
import type { CaseGroup } from '../lib/case.js'

export const group: CaseGroup = {
  section: 'C',
  title: 'Refresh tokens, cookies, CSRF, logout',
  cases: []
}
