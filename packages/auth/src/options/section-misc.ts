// `notifications`, `revocation` and `store`: small sections.
import { Type, type TObject, type TSchema } from '@sinclair/typebox'
import { CodeValue, DurationKey, OneOf, OrFalse, Strict, type Form } from '../config/kinds.js'
import { DEFAULT_IP_PREFIX } from '../notifications/ip-network.js'
import { DEFAULT_AUDIT_QUEUE_SIZE, MAX_AUDIT_QUEUE_SIZE } from '../audit/writer.js'
import { DEFAULT_MONGO_TIMEOUT_MS } from '../stores/mongo/connection.js'

export { DEFAULT_AUDIT_QUEUE_SIZE, MAX_AUDIT_QUEUE_SIZE, DEFAULT_MONGO_TIMEOUT_MS }

export const HTTP_URL_PATTERN = '^https?://'
export const DEFAULT_IP_MEMORY = '90d'

export function notificationsSection (): TObject {
  return Type.Object({
    newDeviceWebhook: Type.Optional(Type.String({ pattern: HTTP_URL_PATTERN, 'x-expect': 'must be an http:// or https:// URL', description: 'URL POSTed a JSON `newDevice` event when a user signs in from a device unknown for them.' })),
    newIpWebhook: Type.Optional(Type.String({ pattern: HTTP_URL_PATTERN, 'x-expect': 'must be an http:// or https:// URL', description: 'URL POSTed a JSON `newIp` event when a user signs in or refreshes from a network not seen for them within ipMemory.' })),
    ipMemory: OrFalse(
      DurationKey({ min: 1000, max: 3650 * 86_400_000 }, 'How long a network a user was seen in stays known.'),
      'How long a network a user was seen in stays known: a login or refresh from a network not seen for this long emits `newIp`. Between 1s and 3650d. false: no addresses are collected or stored for it, and no `newIp`.',
      'must be a duration between 1s and 3650d, or false', DEFAULT_IP_MEMORY),
    ipPrefix: Type.Object({
      v4: Type.Integer({ minimum: 8, maximum: 32, default: DEFAULT_IP_PREFIX.v4, description: 'Leading bits of an IPv4 address that name its network (24: a /24). 32 treats every address as its own network (noisy: home addresses change often). Between 8 and 32.' }),
      v6: Type.Integer({ minimum: 16, maximum: 128, default: DEFAULT_IP_PREFIX.v6, description: 'Leading bits of an IPv6 address that name its network (64: a /64, one household or phone). Larger values notify on every privacy-address change. Between 16 and 128.' })
    }, { ...Strict, default: {}, description: 'How addresses are grouped into networks for `newIp`: a new address inside a known network is not news. The address is the one rate limits use (request.ip: X-Forwarded-For only with Fastify trustProxy).' })
  }, { ...Strict, description: 'Notifications of security events.' })
}

export function revocationSection (): TObject {
  return Type.Object({
    changeStreams: OrFalse(OneOf(['auto'] as const, 'Change streams where the server has them.'), '`auto`: revocations arrive by change stream where the MongoDB server has them (polling stays as a safety net); false: polling only.', 'must be "auto" or false', 'auto'),
    failClosedAfter: Type.Optional(DurationKey({ min: 0, max: 86_400_000 }, 'Bearer checks answer 503 once the revocation list has been unable to sync for this long. Default: never.'))
  }, { ...Strict, description: 'How revocations reach this instance.' })
}

export const DEFAULT_AUDIT_RETENTION = '90d'

export function auditSection (): TObject {
  return Type.Object({
    retention: OrFalse(
      DurationKey({ min: 3_600_000, max: 3650 * 86_400_000 }, 'How long audit rows are kept.'),
      'How long audit rows are kept (a TTL index on MongoDB; reads never return an older row). Between 1h and 3650d. false: no audit trail is written at all.',
      'must be a duration between 1h and 3650d, or false', DEFAULT_AUDIT_RETENTION),
    queueSize: Type.Integer({ minimum: 100, maximum: MAX_AUDIT_QUEUE_SIZE, default: DEFAULT_AUDIT_QUEUE_SIZE, description: 'Rows waiting to be written at most: past it (a slow or down database) rows are dropped and counted (authgate_audit_dropped_total), never a login slowed. Between 100 and 100000.' })
  }, { ...Strict, description: 'The audit trail: logins (and refusals, by reason class), logouts, refresh-token reuse, new devices and networks, key rotations. Written off the request path; never holds tokens, passwords or cookies.' })
}

/** Milliseconds, as the driver reads them: a limit under 100 ms fails on any network, one over 10 min holds requests. */
const MONGO_TIMEOUT_RANGE = { minimum: 100, maximum: 600_000 }

function collectionName (standard: string, holds: string): TSchema {
  // MongoDB refuses `$` and the `system.` prefix in collection names.
  return Type.Optional(Type.String({ minLength: 1, maxLength: 120, pattern: '^(?!system\\.)[^$\\u0000]+$', 'x-expect': 'must be a collection name (no `$`, not `system.`…)', default: standard, description: `Collection of the ${holds}.` }))
}

export function storeSection (form: Form): TSchema {
  const mongodb = Type.Object({
    url: Type.Optional(Type.String({ pattern: '^mongodb(\\+srv)?://', description: 'mongodb:// or mongodb+srv:// URL (give it from the environment when it holds a password).' })),
    ...(form === 'code' ? { client: Type.Optional(CodeValue('object', 'A connected MongoClient (code only); instead of url.')) } : {}),
    database: Type.String({ minLength: 1, default: 'authgate', description: 'Database name.' }),
    serverSelectionTimeoutMS: Type.Integer({ ...MONGO_TIMEOUT_RANGE, default: DEFAULT_MONGO_TIMEOUT_MS, description: 'Milliseconds an operation waits for a reachable server before answering 503 (also the connect timeout).' }),
    maxTimeMS: Type.Integer({ ...MONGO_TIMEOUT_RANGE, default: DEFAULT_MONGO_TIMEOUT_MS, description: 'Server-side time limit of each operation, in milliseconds.' }),
    operationTimeoutMS: Type.Optional(Type.Integer({ ...MONGO_TIMEOUT_RANGE, description: 'Client-side limit of each store call (connect included), in milliseconds: past it the call answers 503 even if the server holds the connection open silently. Default: the larger of serverSelectionTimeoutMS and maxTimeMS, plus 500.' })),
    collections: Type.Optional(Type.Object({
      users: collectionName('users', 'users'),
      sessions: collectionName('sessions', 'sessions (refresh tokens by hash)'),
      devices: collectionName('devices', 'devices seen per user (new-device notifications)'),
      rotations: collectionName('rotations', 'rotation claims (one winner per refresh token)'),
      revocations: collectionName('revocations', 'revocation records the instances poll'),
      networks: collectionName('networks', 'networks each user was seen in (new-IP notifications)'),
      oneTimeTokens: collectionName('oneTimeTokens', 'password-reset and email-verification tokens (by hash)'),
      audit: collectionName('audit', 'audit trail (logins, logouts, reuse, new devices and networks, key rotations)')
    }, { ...Strict, description: 'Collection names, to share a database with other data.' })),
    ...(form === 'code'
      ? {
          logger: Type.Optional(CodeValue('object', 'Where the store says how it adapts to its server (code only; default: the app\'s logger).')),
          onCommandStarted: Type.Optional(CodeValue('function', 'Called with the driver\'s event of every command a url store sends (code only; benchmarks, diagnostics).'))
        }
      : {})
  }, { ...Strict, description: 'MongoDB (or a wire-compatible server).' })
  const plain = Type.Object({
    mongodb: Type.Optional(mongodb),
    ...(form === 'code' ? { memory: Type.Optional(Type.Literal(true, { description: 'The in-memory store (one process, lost on restart).' })) } : {})
  }, { ...Strict, description: 'Sessions, users and devices. Absent: in memory, with a warning.' })
  // A SessionStore instance is taken out before validation (options/normalise.ts): an anyOf here would keep
  // ajv from filling mongodb.database's default.
  return form === 'json' ? plain : { ...plain, description: `${plain.description ?? ''} In code also a SessionStore.` }
}
