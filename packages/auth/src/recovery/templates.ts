// The plain-text mails of reset and verification links: the built-in texts, and operator strings with {{link}},
// {{email}}, {{minutes}} placeholders turned into the same function form code may give.
import type { MailContent, MailTemplate, MailTemplateInput } from './types.js'

export type TemplateFunction = (input: MailTemplateInput) => MailContent

const DEFAULTS = {
  passwordReset: {
    subject: 'Reset your password',
    text: 'Someone (hopefully you) asked to reset the password of {{email}}.\n\n' +
      'To choose a new password, open this link within {{minutes}} minutes:\n\n{{link}}\n\n' +
      'If you did not ask for this, ignore this mail: your password stays as it is.\n'
  },
  emailVerification: {
    subject: 'Verify your email address',
    text: 'To confirm that {{email}} is your address, open this link within {{minutes}} minutes:\n\n{{link}}\n\n' +
      'If you did not ask for this, ignore this mail.\n'
  }
} as const satisfies Record<string, MailContent>

export type TemplateName = keyof typeof DEFAULTS

function fill (template: string, input: MailTemplateInput): string {
  // One pass, so a placeholder spelled inside an email address is never expanded again.
  return template.replace(/\{\{(link|email|minutes)\}\}/g, (_match, name: 'link' | 'email' | 'minutes') => String(input[name]))
}

function oneLine (subject: string): string {
  return subject.replace(/[\r\n\u2028\u2029]+/g, ' ')
}

/**
 * The template `given` (or the built-in one) as a function. Throws `path: reason` when a text has no {{link}}: a
 * mail without its link is useless, and that mistake should stop the start, not reach users.
 */
export function compileTemplate (name: TemplateName, given: MailTemplate | undefined, path: string): TemplateFunction {
  // A code template's subject is made one line too: it is built from the user's email, and a line break in a
  // header is where header injection starts (nodemailer folds it, but the mail must not depend on that).
  if (typeof given === 'function') return (input) => { const content = given(input); return { subject: oneLine(content.subject), text: content.text } }
  const subject = given?.subject ?? DEFAULTS[name].subject
  const text = given?.text ?? DEFAULTS[name].text
  if (!text.includes('{{link}}')) throw new Error(`${path}.text must hold the {{link}} placeholder`)
  return (input) => ({ subject: oneLine(fill(subject, input)), text: fill(text, input) })
}
