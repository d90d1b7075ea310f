// Key-ring changes in the audit trail. They happen in `authgate keys rotate | retire` (another process, no plugin,
// no events): the command writes its row itself, once the new generation is stored. Kids only, never key material.
import type { AuditEntry } from './mapping.js'

export interface KeyRingChange {
  /** `created`, `rotated`, `next-created` (rotate) or `retired` (retire). */
  action: 'created' | 'rotated' | 'next-created' | 'retired'
  generation: number
  current?: string
  next?: string
  retired?: string
  dropped?: string[]
  /** Who changed it: `cli` for the command. */
  actor: string
  /** The OS account that ran the command (os.userInfo()), null when the system cannot tell. */
  operator?: string | null
  /** rotate: whether --force promoted a young next key. */
  force?: boolean
  at: Date
}

export function keyRotationEntry (change: KeyRingChange): AuditEntry {
  return {
    type: 'keyRotation',
    at: change.at,
    userId: null,
    actor: change.actor,
    ip: '',
    userAgent: '',
    details: {
      action: change.action,
      generation: change.generation,
      current: change.current ?? null,
      next: change.next ?? null,
      retired: change.retired ?? null,
      dropped: change.dropped === undefined ? null : change.dropped.join(','),
      operator: change.operator ?? null,
      force: change.force ?? null
    }
  }
}
