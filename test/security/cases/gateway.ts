// SECURITY-CASES.md section B (Gateway and proxy), sent to the gateway of lib/target.ts.
import type { CaseGroup } from '../lib/case.js'

export const group: CaseGroup = {
  section: 'B',
  title: 'Gateway and proxy',
  cases: []
}
