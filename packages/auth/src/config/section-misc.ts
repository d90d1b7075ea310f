// `notifications`, `revocation` and `store`: small sections.
import { Type, type TObject, type TSchema } from '@sinclair/typebox'
import { CodeValue, DurationKey, OneOf, OrFalse, Strict, type Form } from './kinds.js'

export const HTTP_URL_PATTERN = '^https?://'

export function notificationsSection (): TObject {
  return Type.Object({
    newDeviceWebhook: Type.Optional(Type.String({ pattern: HTTP_URL_PATTERN, 'x-expect': 'must be an http:// or https:// URL', description: 'URL POSTed a JSON `newDevice` event when a user signs in from a device unknown for them.' }))
  }, { ...Strict, description: 'Notifications of security events.' })
}

export function revocationSection (): TObject {
  return Type.Object({
    changeStreams: OrFalse(OneOf(['auto'] as const, 'Change streams where the server has them.'), '`auto`: revocations arrive by change stream where the MongoDB server has them (polling stays as a safety net); false: polling only.', 'must be "auto" or false', 'auto'),
    failClosedAfter: Type.Optional(DurationKey({ min: 0, max: 86_400_000 }, 'Bearer checks answer 503 once the revocation list has been unable to sync for this long. Default: never.'))
  }, { ...Strict, description: 'How revocations reach this instance.' })
}

export function storeSection (form: Form): TSchema {
  const mongodb = Type.Object({
    url: Type.Optional(Type.String({ pattern: '^mongodb(\\+srv)?://', description: 'mongodb:// or mongodb+srv:// URL (give it from the environment when it holds a password).' })),
    ...(form === 'code' ? { client: Type.Optional(CodeValue('object', 'A connected MongoClient (code only); instead of url.')) } : {}),
    database: Type.String({ minLength: 1, default: 'authgate', description: 'Database name.' })
  }, { ...Strict, description: 'MongoDB (or a wire-compatible server).' })
  const plain = Type.Object({
    mongodb: Type.Optional(mongodb),
    ...(form === 'code' ? { memory: Type.Optional(Type.Literal(true, { description: 'The in-memory store (one process, lost on restart).' })) } : {})
  }, { ...Strict, description: 'Sessions, users and devices. Absent: in memory, with a warning.' })
  // A SessionStore instance is taken out before validation (options/validate-options.ts): an anyOf here would keep
  // ajv from filling mongodb.database's default.
  return form === 'json' ? plain : { ...plain, description: `${plain.description ?? ''} In code also a SessionStore.` }
}
