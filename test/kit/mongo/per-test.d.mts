import type { Db, MongoClient } from 'mongodb'

export interface TeardownHost { teardown (fn: () => unknown): void }
export interface TestDatabase { url: string, name: string, client: MongoClient, db: Db, kind: string }

export function testDatabaseUrl (): string
export function freshDatabaseName (label?: string): string
export function useTestDatabase (t: TeardownHost, label?: string): Promise<TestDatabase>
