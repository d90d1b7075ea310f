// Byte strings for section B: request targets that try to reach `/admin/users` past the `/public` (anonymous) or
// `/admin` (role admin) policy (B.29), escaped spellings the gateway accepts with the canonical path they must
// arrive as, and ambiguous message framings (B.27). Sent as they are over a raw socket.

/** B.29's list, then further spellings of the same idea (dot segments, encodings, case, matrix params, NUL). */
export const ADMIN_BYPASS: readonly string[] = [
  '/public/../admin/users', '/public/%2e%2e/admin/users', '/public/%2E%2E%2Fadmin/users', '/public/..%2fadmin', '/public/..%2fadmin/users',
  '/public/%252e%252e%252fadmin', '/public/..;/admin', '/public/..;/admin/users', '/public/.%2e/admin', '/public/.%2e/admin/users',
  '/public\\..\\admin', '/public\\..\\admin\\users', '/ADMIN/users', '/Admin/users', '/admin/users/', '//admin/users', '/admin%2Fusers',
  '/admin/users%00', '/%61dmin/users', '/%41DMIN/users',
  '/public/./../admin/users', '/public/%2e/../admin/users', '/public/..%5cadmin/users', '/public/%c0%ae%c0%ae/admin/users',
  '/public/%u002e%u002e/admin/users', '/public/..%00/admin/users', '/public/%2e%2e%2f%2e%2e%2fadmin/users', '/admin;x/users',
  '/admin./users', '/admin%20/users', '/admin%09/users', '/./admin/users', '/admin/./users', '/admin/users#', '/admin/users?x#y',
  '/public/%2fadmin/users', '/public//../admin/users', '/public/...//admin/users', '/admin/%2e%2e/admin/users', '/%2fadmin/users'
]

/** Spellings that are fine once decoded, and the exact path the upstream must receive for each (in order). */
export const CANONICAL_SPELLINGS: Readonly<Record<string, string>> = {
  '/public/%61dmin/users': '/public/admin/users',
  '/public/%7Euser': '/public/~user',
  '/public/caf%c3%a9': '/public/caf%C3%A9',
  '/public/a%20b?q=%2e%2e': '/public/a%20b?q=%2e%2e',
  '/%70ublic/page': '/public/page'
}

const SMUGGLED_REQUEST = 'GET /api/secret HTTP/1.1\r\nHost: gateway.test\r\n\r\n'

/** Framings a front end and a back end may read differently (request smuggling), each aimed at `/public`. */
export const SMUGGLED: Readonly<Record<string, string>> = {
  'CL and TE': `POST /public/a HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED_REQUEST}`,
  'TE and CL': `POST /public/a HTTP/1.1\r\nHost: gateway.test\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\n${SMUGGLED_REQUEST}0\r\n\r\n`,
  'TE chunked, identity': `POST /public/a HTTP/1.1\r\nHost: gateway.test\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED_REQUEST}`,
  'TE xchunked': `POST /public/a HTTP/1.1\r\nHost: gateway.test\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${SMUGGLED_REQUEST}`,
  'TE twice': `POST /public/a HTTP/1.1\r\nHost: gateway.test\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n${SMUGGLED_REQUEST}`,
  'TE with space before colon': `POST /public/a HTTP/1.1\r\nHost: gateway.test\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n${SMUGGLED_REQUEST}`,
  'TE obs-folded': `POST /public/a HTTP/1.1\r\nHost: gateway.test\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n${SMUGGLED_REQUEST}`,
  'CL 5, 6': 'POST /public/a HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 5, 6\r\n\r\nhello!',
  'two CLs': 'POST /public/a HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
  'CL with plus sign': 'POST /public/a HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: +5\r\n\r\nhello',
  'obs-fold': 'GET /public/a HTTP/1.1\r\nHost: gateway.test\r\nX-Folded: a\r\n b\r\n\r\n',
  'bare LF': 'GET /public/a HTTP/1.1\nHost: gateway.test\nX-A: b\n\n',
  'bare CR': 'GET /public/a HTTP/1.1\rHost: gateway.test\r\n\r\n',
  'NUL in a header': 'GET /public/a HTTP/1.1\r\nHost: gateway.test\r\nX-A: b\u0000c\r\n\r\n'
}
