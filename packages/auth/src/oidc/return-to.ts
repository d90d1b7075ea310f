// Where a finished sign-in sends the browser. Only a path of this site, or a URL of an allowed origin: anything
// else (`//evil`, `/\evil`, `https://evil`, `javascript:`, control characters) becomes `/`, so the sign-in can never
// be made into an open redirect that lends this site's name to a phishing page.

const MAX_RETURN_TO = 2048
/** A path: one leading slash, then no second slash or backslash right after it, no control characters, no spaces. */
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const SAFE_PATH = /^\/(?![/\\])[^\\\s\x00-\x1f\x7f]*$/

export function safeReturnTo (value: unknown, allowedOrigins: ReadonlySet<string>): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RETURN_TO) return '/'
  if (SAFE_PATH.test(value)) {
    // Browsers read `\` as `/` and drop tabs and newlines: the path must mean the same to them as to this test.
    const resolved = new URL(value, 'http://x.invalid')
    const path = resolved.pathname + resolved.search + resolved.hash
    // Checked again after resolution: dot segments (`/..//evil`, `/%2e//evil`) resolve to `//evil`, another site.
    return resolved.origin === 'http://x.invalid' && SAFE_PATH.test(path) ? path : '/'
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return '/'
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '') return '/'
  return allowedOrigins.has(url.origin) ? url.href : '/'
}
