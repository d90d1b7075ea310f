// The base64url alphabet (RFC 4648 §5) as a character test: token scans (the JWT header segment, the bearer
// b64token) run before any cryptography on attacker-chosen bytes, so they are plain loops over this one check.

/** Whether the UTF-16 code unit is `A-Z`, `a-z`, `0-9`, `-` or `_`. */
export function isBase64UrlCode (code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x2d || code === 0x5f
}
