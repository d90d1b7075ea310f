import type { TeardownHost } from './per-test.mjs'

export interface ReplicaSetServer { url: string, kind: string, stop: () => Promise<void> }
export function useReplicaSet (t: TeardownHost): Promise<ReplicaSetServer | { skip: string }>
