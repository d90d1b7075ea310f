// `--port` and `--host` on the command line win over the file's server.port / server.host (and over the
// environment), as a one-off change should not need an edited file.
import { isIP } from 'node:net'
import type { GatewayConfig } from '../config.js'
import { UsageError, flag, type ParsedArgs } from './args.js'

export interface ListenOverrides {
  readonly port?: number
  readonly host?: string
}

/** A host name as DNS allows it (labels of letters, digits and dashes): anything else could only fail at listen. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

/** The --port/--host flags, checked. */
export function listenOverrides (args: ParsedArgs): ListenOverrides {
  const portText = flag(args, 'port')
  const host = flag(args, 'host')
  let port: number | undefined
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN
    if (!(port >= 0 && port <= 65535)) throw new UsageError(`--port must be a whole number from 0 to 65535 (got ${JSON.stringify(portText)})`)
  }
  if (host !== undefined && isIP(host) === 0 && !HOST_NAME.test(host)) throw new UsageError(`--host must be an IP address or a host name (got ${JSON.stringify(host)})`)
  return { ...(port === undefined ? {} : { port }), ...(host === undefined ? {} : { host }) }
}

/** `config` listening where the flags say. */
export function withListenOverrides (config: GatewayConfig, overrides: ListenOverrides): GatewayConfig {
  if (overrides.port === undefined && overrides.host === undefined) return config
  const server = Object.freeze({ ...config.server, ...overrides })
  return Object.freeze({ ...config, server })
}
