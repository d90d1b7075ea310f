// Query values out of what the gateway writes down: log lines (logging.ts, access-log.ts) and exported spans
// (tracing/scrub.ts).
/**
 * `url` with every query value replaced: a `?token=` or `?code=` in a link would otherwise sit in the logs in
 * clear. Parameter names are kept (they say what was asked); values are not.
 */
export function redactQuery (url: string): string {
  const query = url.indexOf('?')
  if (query === -1) return url
  const params = url.slice(query + 1).split('&').map((part) => {
    const equals = part.indexOf('=')
    return equals === -1 ? part : `${part.slice(0, equals)}=[redacted]`
  })
  return `${url.slice(0, query)}?${params.join('&')}`
}
