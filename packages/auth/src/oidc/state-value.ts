// The `state` parameter of a sign-in: made here, not by the protocol library, and checked at the callback against
// this file's own format. A library upgrade that changed its state format would otherwise make every callback fail
// the shape check while its states were still in flight (or for good).
import { randomBytes } from 'node:crypto'

/** 32 random bytes: 256 bits, far beyond guessing (RFC 6749 §10.12 asks for a non-guessable value). */
const STATE_BYTES = 32
/**
 * What a callback may present: base64url, bounded. Wider than what newStateValue makes (43 characters) so that a
 * change of STATE_BYTES never refuses the states begun before it; the store lookup decides, this only keeps
 * junk (and unbounded input) away from the hash and the store.
 */
const STATE_VALUE = /^[A-Za-z0-9_-]{22,128}$/

export function newStateValue (): string {
  return randomBytes(STATE_BYTES).toString('base64url')
}

export function isStateValue (value: string): boolean {
  return STATE_VALUE.test(value)
}
