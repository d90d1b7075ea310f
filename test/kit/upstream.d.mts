import type { IncomingMessage, Server, ServerResponse } from 'node:http'

export interface TeardownHost { teardown (fn: () => unknown): void }

export interface SeenRequest {
  method: string
  url: string
  headers: IncomingMessage['headers']
  rawHeaders: string[]
}

export type UpstreamHandler = (request: IncomingMessage, response: ServerResponse) => void

export interface RecordingUpstream {
  url: string
  port: number
  server: Server
  /** Every request that reached the upstream, in order (never cleared). */
  seen: SeenRequest[]
  /** Connections ever opened to the upstream. */
  connections: () => number
  /** Replaces the handler (default: `echo`). */
  handle: (handler: UpstreamHandler) => void
}

export interface UpstreamOptions {
  /** Record WebSocket upgrade requests in `seen` and close their sockets (default false: the test handles upgrades). */
  recordUpgrades?: boolean
}

/** 200 JSON echo of method, url and headers, once the request body is consumed. */
export declare function echo (request: IncomingMessage, response: ServerResponse): void
/** A recording upstream on 127.0.0.1:0, closed when `t` ends. */
export declare function startUpstream (t: TeardownHost, options?: UpstreamOptions): Promise<RecordingUpstream>
