// The one owner of the dot-segment rule for configured paths (routes[].prefix, auth.verifyPath). It is code, not part of
// the schema's patterns: a pattern would need a lookahead, which JSON Schema's recommended regex subset lacks and
// RE2-based editors and validators refuse, so the shipped authgate.schema.json keeps a portable plain-path pattern.

/** Whether `path` has a `.` or `..` segment: the request normaliser resolves those, so such a path never matches. */
export function hasDotSegment (path: string): boolean {
  return path.split('/').some((segment) => segment === '.' || segment === '..')
}
