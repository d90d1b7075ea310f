export interface Totals { passed: number, failed: number, skipped: number }
export class TapTally {
  passed: number
  failed: number
  skipped: number
  filesFailed: string[]
  push (line: string): void
  totals (exitCode?: number): Totals
}
