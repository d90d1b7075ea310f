// The shape of one attack of the catalogue (docs/security.md, generated from
// these cases). A case is data plus one `attack` function: the runner (run.ts) asserts the expectation and the
// table generator (table.ts) prints it, so the documented answer is the asserted one and the two cannot drift.
import type { AttackTarget } from './target.js'

/** What came back from the gateway: the status, the parsed JSON error `code` when there is one, and the rest. */
export interface Outcome {
  status: number
  code: string | undefined
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** The "status" of a configuration refused before anything listens: nothing answered, nothing could be reached. */
export const STARTUP_REFUSED = 0

export interface Expectation {
  /**
   * Allowed statuses (one, or several when the case itself allows either, e.g. 400 or 401). STARTUP_REFUSED: the
   * configuration never starts (a route's registration throws, `ready()` fails); the attack answers that status
   * only when it did, and otherwise the status its request got.
   */
  status: number | readonly number[]
  /** The AUTH_* code the JSON error body must carry; omit when the answer is not an authgate error (431 from Node). */
  code?: string
  /**
   * 'untouched': nothing of this attack reached any upstream. 'reached': it did (e.g. a spoofed header that must
   * arrive stripped; `check` then asserts what arrived). 'n/a': no upstream route is involved (/auth endpoints).
   */
  upstream: 'untouched' | 'reached' | 'n/a'
}

export interface AttackCase {
  /** Section letter and item number in docs/security.md, e.g. 'A.2'; several cases may share one item. */
  id: string
  /** What the attacker does, one line, for the table (e.g. "alg `none` in any case, original signature kept"). */
  name: string
  expect: Expectation
  /** Carries out the attack against `target` and returns the LAST answer of interest. */
  attack: (target: AttackTarget) => Promise<Outcome>
  /** Further assertions beyond status/code/upstream (what the upstream saw, cookies, DB state). Throw to fail. */
  check?: (outcome: Outcome, target: AttackTarget) => void | Promise<void>
  /**
   * Extra sentence for the table's "also asserted" column: what `check` verifies, in words. Keep it true to `check`.
   */
  also?: string
}

/** A section of the catalogue: one test file runs it, the table prints it under `title`. */
export interface CaseGroup {
  /** 'A' … 'D'. */
  section: string
  title: string
  cases: readonly AttackCase[]
}
