// `mail`: the built-in SMTP sender of reset and verification links, and its plain-text templates. Without `smtp`
// the links are delivered by the `passwordReset` / `emailVerification` event hooks only.
import { Type, type TSchema } from '@sinclair/typebox'
import { OrCode, Strict, type Form } from '../config/kinds.js'

function template (form: Form, what: string): TSchema {
  const strings = Type.Object({
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Subject line; may hold {{email}}, {{minutes}}.' })),
    text: Type.Optional(Type.String({ minLength: 1, maxLength: 20_000, description: 'Plain-text body; {{link}} is required, {{email}} and {{minutes}} (the link\'s lifetime) may be used.' }))
  }, { ...Strict, description: `The ${what} mail (plain text). Placeholders: {{link}}, {{email}}, {{minutes}}.` })
  return Type.Optional(OrCode(form, strings, 'function', '({ email, link, expiresAt, minutes }) => ({ subject, text })', 'must be { subject, text } strings (or, in code, a function)'))
}

export function mailSection (form: Form): TSchema {
  return Type.Object({
    smtp: Type.Optional(Type.Object({
      url: Type.String({ pattern: '^smtps?://', 'x-expect': 'must be an smtp:// or smtps:// URL', description: 'smtp:// or smtps:// URL of the mail server, credentials included (give it from the environment). Needs the nodemailer package.' }),
      from: Type.String({ minLength: 3, maxLength: 320, description: 'The From address, e.g. "Example <no-reply@example.com>".' })
    }, { ...Strict, description: 'Send reset and verification links by SMTP (nodemailer). Needs auth.publicOrigin (the gateway: server.publicOrigin).' })),
    templates: Type.Optional(Type.Object({
      passwordReset: template(form, 'password-reset'),
      emailVerification: template(form, 'email-verification')
    }, { ...Strict, description: 'Replace the built-in texts.' }))
  }, { ...Strict, description: 'Mail of password-reset and verification links.' })
}
