// Text typed by a person (the admin user search) matched as text by a MongoDB $regex: every pattern character is
// escaped, so `.*` or `(a+)+$` match themselves and cannot widen the match or make the server backtrack.
export function escapeRegExp (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
}
