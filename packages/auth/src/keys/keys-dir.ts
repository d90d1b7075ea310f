// Key generation and the on-disk key set (`authgate keygen`, `tokens.keysDir`, the embedded dev default, tests).
//
// A keys directory holds PEM files (private ones mode 0600), HMAC secrets as base64url text (0600), and
// `keys.json`, the manifest: `{ "version": 1, "signing": kid, "keys": [{ kid, alg, privateKey?, publicKey?, secret? }] }`
// with file names relative to the directory. Old keys stay listed (public part only is enough) so tokens they
// signed keep verifying during rotation.
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'
import { checkAlgorithm, checkKid, isHmac, readKeyInput } from '../tokens/key-material.js'
import { keyIdFor } from '../tokens/jwks.js'
import type { AccessAlgorithm, KeyInput } from '../tokens/types.js'

export const KEYS_MANIFEST = 'keys.json'
const HMAC_SECRET_BYTES = 64
// kids become file names: anything else (a user-chosen kid with `/`, `..`) gets an index-based name.
const SAFE_FILE_STEM = /^[A-Za-z0-9_-]{1,128}$/

interface ManifestKey {
  kid: string
  alg: AccessAlgorithm
  privateKey?: string
  publicKey?: string
  secret?: string
}

interface Manifest {
  version: 1
  signing: string | null
  keys: ManifestKey[]
}

/** A new key: Ed25519 (EdDSA), P-256 (ES256), RSA-2048 (RS256) or 64 random bytes (HS256/HS512), as PEM strings. */
export function generateKey (algorithm: AccessAlgorithm, kid?: string): KeyInput {
  checkAlgorithm(algorithm, 'generateKey: algorithm')
  if (isHmac(algorithm)) {
    return { kid: kid ?? `hs-${randomBytes(12).toString('base64url')}`, algorithm, secret: randomBytes(HMAC_SECRET_BYTES) }
  }
  const pair = algorithm === 'EdDSA'
    ? generateKeyPairSync('ed25519')
    : algorithm === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 })
  return {
    kid: kid ?? keyIdFor(pair.publicKey),
    algorithm,
    privateKey: pem(pair.privateKey, 'pkcs8'),
    publicKey: pem(pair.publicKey, 'spki')
  }
}

function pem (key: KeyObject, type: 'pkcs8' | 'spki'): string {
  return key.export({ type, format: 'pem' }).toString()
}

/**
 * Writes a key set to `dir` (created 0700 if missing). The signing key is `signingKid`, else the first key with a
 * private part. Existing files of the same names are replaced; the manifest is replaced atomically, last.
 */
export function writeKeysDir (dir: string, keys: KeyInput[], signingKid?: string): void {
  const entries = keys.map((key, index) => readKeyInput(key, `keys[${index}]`))
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const manifest: Manifest = { version: 1, signing: null, keys: [] }
  entries.forEach((entry, index) => {
    const stem = SAFE_FILE_STEM.test(entry.kid) ? entry.kid : `key-${index + 1}`
    const item: ManifestKey = { kid: entry.kid, alg: entry.algorithm }
    if (isHmac(entry.algorithm)) {
      item.secret = writeFile(dir, `${stem}.secret`, (entry.signKey as Buffer).toString('base64url') + '\n', 0o600)
    } else {
      if (entry.signKey !== undefined) item.privateKey = writeFile(dir, `${stem}.private.pem`, entry.signKey.toString(), 0o600)
      item.publicKey = writeFile(dir, `${stem}.public.pem`, entry.verifyKey.toString(), 0o644)
    }
    manifest.keys.push(item)
  })
  const signing = signingKid === undefined ? entries.find((entry) => entry.signKey !== undefined) : entries.find((entry) => entry.kid === signingKid)
  if (signingKid !== undefined && signing?.signKey === undefined) throw new Error(`writeKeysDir: signingKid ${signingKid} names no key with a private part`)
  manifest.signing = signing?.kid ?? null
  const temporary = join(dir, `.${KEYS_MANIFEST}.${process.pid}.tmp`)
  writeFileSync(temporary, JSON.stringify(manifest, null, 2) + '\n', { mode: 0o644 })
  renameSync(temporary, join(dir, KEYS_MANIFEST))
}

function writeFile (dir: string, name: string, content: string, mode: number): string {
  const path = join(dir, name)
  writeFileSync(path, content, { mode })
  // `mode` only applies when the file is created: tighten a file that already existed too.
  chmodSync(path, mode)
  return name
}

/**
 * Reads a key set written by writeKeysDir (or by hand in the same format). The signing key comes first in the
 * result, so TokenOptions picks it without a `signingKid`. Throws an Error naming the file or manifest entry.
 */
export function loadKeysDir (dir: string): KeyInput[] {
  const manifestPath = join(dir, KEYS_MANIFEST)
  let manifest: unknown
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
  } catch (error) {
    throw new Error(`cannot read the key manifest ${manifestPath}`, { cause: error })
  }
  if (typeof manifest !== 'object' || manifest === null || !Array.isArray((manifest as { keys?: unknown }).keys)) {
    throw new Error(`${manifestPath} must be an object with a "keys" array`)
  }
  const { keys, signing } = manifest as { keys: unknown[], signing?: unknown }
  const result = keys.map((item, index) => readManifestKey(dir, item, `${manifestPath} keys[${index}]`))
  if (signing !== undefined && signing !== null) {
    const position = result.findIndex((key) => key.kid === signing)
    if (position === -1) throw new Error(`${manifestPath} "signing" names no listed key`)
    const signingKey = result[position]
    if (signingKey?.privateKey === undefined && signingKey?.secret === undefined) {
      throw new Error(`${manifestPath} "signing" names a key without a private part`)
    }
    result.unshift(...result.splice(position, 1))
  }
  return result
}

function readManifestKey (dir: string, item: unknown, path: string): KeyInput {
  if (typeof item !== 'object' || item === null) throw new Error(`${path} must be an object`)
  const { kid, alg, privateKey, publicKey, secret } = item as Record<string, unknown>
  const key: KeyInput = { kid: checkKid(kid, `${path}.kid`), algorithm: checkAlgorithm(alg, `${path}.alg`) }
  if (secret !== undefined) {
    const encoded = readKeyFile(dir, secret, `${path}.secret`).trim()
    if (!/^[A-Za-z0-9_-]+$/.test(encoded)) throw new Error(`${path}.secret file must hold base64url text`)
    key.secret = Buffer.from(encoded, 'base64url')
  }
  if (privateKey !== undefined) key.privateKey = readKeyFile(dir, privateKey, `${path}.privateKey`)
  if (publicKey !== undefined) key.publicKey = readKeyFile(dir, publicKey, `${path}.publicKey`)
  return key
}

function readKeyFile (dir: string, name: unknown, path: string): string {
  // The manifest may only name files inside the directory.
  if (typeof name !== 'string' || name.length === 0 || basename(name) !== name || name === '..' || name === '.') {
    throw new Error(`${path} must be a file name inside the keys directory`)
  }
  try {
    return readFileSync(join(dir, name), 'utf8')
  } catch (error) {
    throw new Error(`${path}: cannot read ${join(dir, name)}`, { cause: error })
  }
}
