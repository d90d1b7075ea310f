// Session ids of the seeded revoked sessions (setup/seed.mjs). Deterministic, so setup/prepare.mjs can mint tokens
// of two of them (the newest, index 0, and the oldest) and the probe can check the gateway refuses both: proof the
// revocation list really holds the seeded entries while the scenario is measured.
export function revokedSessionId (index) {
  return `bench-revoked-${index}`
}
