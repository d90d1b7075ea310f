// Secrets written in the configuration file itself rather than read from the environment (`${VAR}`): the file ends
// up in repositories, images, backups and support tickets. Judged on the file as written, before `${VAR}` expansion.
// The class, not a list of today's keys: any value under a key whose name says it is secret, and any URL anywhere
// that carries a password in its userinfo (a database, Redis or SMTP URL).

/** Key names that hold secrets (secret, clientSecret, password, privateKey, keyEncryptionKey, apiKey, token…). */
const SECRET_KEY = /secret|passw(or)?d|private_?key|encryption_?key|api_?key|credential|^token$/i
/** `scheme://user:password@`: the password part (any scheme: mongodb, redis, smtp, http…). */
const URL_PASSWORD = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#@\s]*?:([^/?#@\s]*)@/
const REFERENCE = /\$\{[^}]*\}/g

/** What is left of `text` once every `${VAR}` is taken out: non-empty means something was written literally. */
function literalPart (text: string): string {
  return text.replace(REFERENCE, '')
}

/** Paths (e.g. `store.mongodb.url`, `tokens.keys[0].secret`) of values that hold a literal secret. */
export function literalSecrets (raw: unknown): string[] {
  const found: string[] = []
  const visit = (value: unknown, path: string, key: string): void => {
    if (typeof value === 'string') {
      if (SECRET_KEY.test(key) && literalPart(value).trim() !== '') found.push(path)
      else if (literalPart(URL_PASSWORD.exec(value.trim())?.[1] ?? '') !== '') found.push(path)
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
