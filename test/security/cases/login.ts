// SECURITY-CASES.md section D (Login and credentials), sent to the gateway of lib/target.ts.
import type { CaseGroup } from '../lib/case.js'

export const group: CaseGroup = {
  section: 'D',
  title: 'Login and credentials',
  cases: []
}
