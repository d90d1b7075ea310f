export interface RestartableDatabase {
  /** `mongodb://127.0.0.1:PORT/`: the same whether the server is running or not. */
  url: string
  port: number
  dir: string
  readonly pid: number | undefined
  readonly running: boolean
  /** Starts the server on the same port and data folder (after `stop()`, or when created with `started: false`). */
  start (): Promise<void>
  /** Stops the server (SIGTERM by PID, SIGKILL after 5 s); the data folder is kept. */
  stop (): Promise<void>
  /** SIGSTOP: sockets stay open, nothing answers. */
  freeze (): void
  /** SIGCONT after freeze(). */
  thaw (): void
  /** Stops the server and removes its data folder. */
  close (): Promise<void>
}

export function startRestartableDatabase (options?: { log?: (line: string) => void, started?: boolean }): Promise<RestartableDatabase>
