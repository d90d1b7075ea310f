// The recovery mail's templates and the normalised recovery settings the service runs on.

/** What a mail template is given. `minutes`: the link's lifetime, rounded up. */
export interface MailTemplateInput {
  email: string
  link: string
  expiresAt: Date
  minutes: number
}

export interface MailContent { subject: string, text: string }

/** A template: strings with `{{link}}`, `{{email}}`, `{{minutes}}` placeholders, or (in code) a function. */
export type MailTemplate = Partial<MailContent> | ((input: MailTemplateInput) => MailContent)

export interface NormalisedRecovery {
  requireVerifiedEmail: boolean
  resetTtlMs: number
  verifyTtlMs: number
  resetLinkPath: string
  verifyLinkPath: string
  smtp: { url: string, from: string } | undefined
  templates: { passwordReset: (input: MailTemplateInput) => MailContent, emailVerification: (input: MailTemplateInput) => MailContent }
  /** Whether the operator asked for recovery explicitly (mail or requireVerifiedEmail): a store lacking it is then an error. */
  wanted: boolean
}
