// @ts-check
// Counts results in tap's TAP 14 output. A "test" is a top-level `t.test(...)` of a test file (indent 4 under the
// file's subtest); a file that fails without any failing test of its own (a crash at load, a timeout) counts as one
// failure, so nothing that failed can hide behind a green count.
const TOP_TEST = /^ {4}(not ok|ok) \d+ - .*?(#\s*(SKIP|TODO)\b.*)?$/i
const FILE_RESULT = /^(not ok|ok) \d+ - (.*?)(\s+#.*)?$/

export class TapTally {
  passed = 0
  failed = 0
  skipped = 0
  #failedInCurrentFile = 0
  filesFailed = []

  push (line) {
    const top = TOP_TEST.exec(line)
    if (top) {
      const directive = top[3]?.toUpperCase()
      if (directive === 'SKIP' || directive === 'TODO') this.skipped++
      else if (top[1] === 'ok') this.passed++
      else { this.failed++; this.#failedInCurrentFile++ }
      return
    }
    const file = FILE_RESULT.exec(line)
    if (file) {
      if (file[1] === 'not ok') {
        this.filesFailed.push(file[2])
        if (this.#failedInCurrentFile === 0) this.failed++
      }
      this.#failedInCurrentFile = 0
    }
  }

  /** Totals; a non-zero tap exit with nothing counted as failed still counts as one failure. */
  totals (exitCode = 0) {
    const failed = exitCode !== 0 && this.failed === 0 ? 1 : this.failed
    return { passed: this.passed, failed, skipped: this.skipped }
  }
}
