// The test object the shipped contract suites assert through. Structural on purpose: the suites ship in the package
// while tap is only a development dependency, so they name the few methods they call and nothing of tap's types.

/** An assertion's optional message. */
export type ContractMessage = [] | [message: string]

/** What `rejects` matches an error against: an error of the same name and message, or the fields given. */
export type ContractErrorPattern = Error | { code: string, message?: string | RegExp }

/**
 * What a contract suite needs from a test runner's test object. tap's `t` satisfies it as it is (`import t from 'tap'`
 * and pass `t`); to run the suites under another runner, hand them an object with these methods. A failed assertion
 * records a failure of the current (sub)test and returns; it does not have to throw.
 *
 * A message, where given, only names the assertion in the runner's report. (It is a rest parameter, `[] | [string]`,
 * rather than an optional one because that is the form tap's own signatures accept.)
 */
export interface ContractTest {
  /**
   * Runs `body` as a subtest named `name`, with a test object of its own (the same kind as this one). The suites call
   * it synchronously, several times in a row, and never await it: the runner runs the bodies (tap: one after another,
   * each to the end of its returned promise) and counts their assertions and a rejection of the body as failures of
   * that subtest.
   */
  test (name: string, body: (t: this) => unknown): unknown
  /** Passes when `found === wanted`. */
  equal (found: unknown, wanted: unknown, ...message: ContractMessage): boolean
  /** Passes when `found !== wanted`. */
  not (found: unknown, notWanted: unknown, ...message: ContractMessage): boolean
  /**
   * Passes when `found` and `wanted` are deeply equal: same own enumerable keys, arrays in order, Dates by time,
   * recursively (tap's `same` is loose for primitives, `1` same as `'1'`; a strict deep equality works as well for
   * the values the suites compare).
   */
  same (found: unknown, wanted: unknown, ...message: ContractMessage): boolean
  /**
   * Passes when `found` has every field of the `pattern` object with a matching value, extra fields allowed: a
   * RegExp matches a string it tests true on, an object matches recursively, a Date matches the same time, anything
   * else by equality. `null` as `found` fails.
   */
  match (found: unknown, pattern: object, ...message: ContractMessage): boolean
  /** Passes when `value` is truthy. */
  ok (value: unknown, ...message: ContractMessage): boolean
  /** Passes when `value` is falsy. */
  notOk (value: unknown, ...message: ContractMessage): boolean
  /** Records a passing assertion. */
  pass (...message: ContractMessage): boolean
  /** Records a failing assertion; the suites return right after it. */
  fail (...message: ContractMessage): boolean
  /**
   * Resolves once `promise` has settled; passes when it rejected with an error that matches `wanted`: an object of
   * fields as `match` would (`code` equal, `message` equal or tested by a RegExp), an Error instance on its name and
   * message. Fails when the promise resolved.
   */
  rejects (promise: Promise<unknown>, wanted: ContractErrorPattern, ...message: ContractMessage): Promise<unknown>
}
