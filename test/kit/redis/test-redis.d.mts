export interface RedisServer { url: string, port: number, pid: number | undefined, stop (): Promise<void> }
export interface TestRedis { url: string, kind: string, pid?: number, stop (): Promise<void> }
export interface RedisTestHost { fail (message: string): unknown, plan (count: number, comment?: string): unknown }

export function startRedisServer (options?: { port?: number }): Promise<RedisServer>
export function startTestRedis (): Promise<TestRedis | null>
export function testRedisUrl (t: RedisTestHost): string | undefined
