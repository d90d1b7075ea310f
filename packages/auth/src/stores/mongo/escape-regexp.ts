// Text typed by a person (the admin user search) matched as text by a MongoDB $regex: every pattern character is
// escaped, so `.*` or `(a+)+$` match themselves and cannot widen the match or make the server backtrack. Control
// characters become \xHH escapes: MongoDB refuses a pattern holding a NUL byte, and a store called directly (not
// through the admin API's schema, which refuses them) must answer "no user", not fail.
export function escapeRegExp (text: string): string {
  return text
    .replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    .replace(/[\u0000-\u001f\u007f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`)
}
