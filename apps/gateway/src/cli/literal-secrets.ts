// Secrets written in the configuration file itself rather than read from the environment (`${VAR}`): the file ends
// up in repositories, images, backups and support tickets. Judged on the file as written, before `${VAR}` expansion.
// The class, not a list of today's keys: any value (text or number) under a key whose name says it is secret, and
// any URL anywhere that carries a credential — a password in its userinfo, a lone userinfo that is a token
// (`redis://TOKEN@host`), a query parameter named like a secret (`?api_key=…`, `&sig=…`) — or, under a webhook's
// key, a path segment shaped like a token (`https://hooks.example/services/T0/B0/xyz…`).
import { ENV_REFERENCE } from '@authgate/fastify/config'

/** Key names that hold secrets (secret, clientSecret, password, privateKey, keyEncryptionKey, apiKey, token…). */
const SECRET_KEY = /secret|passw(or)?d|private_?key|encryption_?key|api_?key|credential|^token$/i
/** Query parameter names that carry secrets (api_key, access_token, secret, password, pwd, sig, X-Amz-Signature…). */
const SECRET_PARAM = /secret|passw(or)?d|^pass$|^pwd$|api_?key|^key$|token|(^|[-_])sig(nature)?$|^auth$|credential|private_?key/i
const URL_START = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//
/** A lone userinfo that is an account name (`mongodb://app@…`), not a token: short, starts with a letter. */
const ACCOUNT_NAME = /^[A-Za-z][A-Za-z0-9._-]{0,19}$/
/** Schemes whose clients take a lone userinfo as the password (`redis://PASSWORD@host`). */
const PASSWORD_ONLY_SCHEMES = /^rediss?:/i
/** A path segment shaped like a token: 16+ URL-safe characters mixing letters and digits. */
const TOKEN_SEGMENT = /^(?=[A-Za-z0-9_-]*[A-Za-z])(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{16,}$/

/** What is left of `text` once every `${NAME}` is taken out: non-empty means something was written literally. */
function literalPart (text: string): string {
  return text.replace(ENV_REFERENCE, '')
}

function decoded (text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** Whether the URL `text` (references already taken out) carries a credential in its userinfo, query or, for a webhook, path. */
function urlCarriesSecret (text: string, webhook: boolean): boolean {
  const afterScheme = text.slice(text.indexOf('://') + 3)
  const authorityEnd = afterScheme.search(/[/?#]/)
  const authority = authorityEnd === -1 ? afterScheme : afterScheme.slice(0, authorityEnd)
  const rest = authorityEnd === -1 ? '' : afterScheme.slice(authorityEnd)
  const at = authority.lastIndexOf('@')
  const hash = rest.indexOf('#')
  const beforeFragment = hash === -1 ? rest : rest.slice(0, hash)
  const question = beforeFragment.indexOf('?')
  const path = question === -1 ? beforeFragment : beforeFragment.slice(0, question)
  const query = question === -1 ? '' : beforeFragment.slice(question + 1)
  if (at !== -1) {
    const userinfo = authority.slice(0, at)
    const colon = userinfo.indexOf(':')
    if (colon !== -1 && userinfo.slice(colon + 1) !== '') return true
    const user = decoded(colon === -1 ? userinfo : userinfo.slice(0, colon))
    // X.509 authentication names the certificate's subject: an identity, not a secret.
    const x509 = /(^|&)authMechanism=MONGODB-X509(&|$)/i.test(query)
    if (colon === -1 && user !== '' && !x509 && (PASSWORD_ONLY_SCHEMES.test(text) || !ACCOUNT_NAME.test(user))) return true
  }
  for (const pair of query.split(/[&;]/)) {
    const equals = pair.indexOf('=')
    if (equals > 0 && pair.slice(equals + 1) !== '' && SECRET_PARAM.test(decoded(pair.slice(0, equals)))) return true
  }
  return webhook && path.split('/').some((segment) => TOKEN_SEGMENT.test(decoded(segment)))
}

function holdsLiteralSecret (value: string | number, key: string): boolean {
  if (typeof value === 'number') return SECRET_KEY.test(key)
  const literal = literalPart(value).trim()
  if (SECRET_KEY.test(key)) return literal !== ''
  return URL_START.test(literal) && urlCarriesSecret(literal, /webhook/i.test(key))
}

/** Paths (e.g. `store.mongodb.url`, `tokens.keys[0].secret`) of values that hold a literal secret. */
export function literalSecrets (raw: unknown): string[] {
  const found: string[] = []
  const visit = (value: unknown, path: string, key: string): void => {
    if (typeof value === 'string' || typeof value === 'number') {
      if (holdsLiteralSecret(value, key)) found.push(path)
      return
    }
    if (Array.isArray(value)) {
      value.forEach((item: unknown, index) => { visit(item, `${path}[${index}]`, key) })
      return
    }
    if (typeof value === 'object' && value !== null) {
      // A Buffer or KeyObject (programmatic configurations) under a secret's key is material in the process, not a file.
      if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return
      for (const [name, item] of Object.entries(value)) visit(item, path === '' ? name : `${path}.${name}`, name)
    }
  }
  visit(raw, '', '')
  return found
}
