// @authgate/gateway: the reverse-proxy gateway as a library (the `authgate` CLI is cli.ts). Importing it holds one
// process.nextTick object for the life of the process (tick-shape.ts: keeps Node's nextTick cheap; ≈ 60 bytes).
export { buildApp, type BuildOptions } from './app.js'
export { LOG_REDACT } from './logging.js'
export { loadConfig, parseConfig, ConfigError, AUTH_PREFIX, type GatewayConfig, type RouteConfig, type RouteAuth, type IdentityHeaderNames, type LoadOptions, type ParseOptions } from './config.js'
export { startServer, closeOnSignals, SHUTDOWN_GRACE_MS, type RunningGateway } from './server.js'
export { normaliseTarget, underPrefix, BAD_PATH_ROUTE } from './paths.js'
export { GATEWAY_ERRORS, type GatewayErrorCode, type GatewayErrorBody } from './errors.js'
export { gatewaySchema } from './config/schema.js'
// The legacy user source and the new-device webhook moved into @authgate/fastify (its `users` and `notifications`).
export { mapLegacyUser, createLegacyVerifier, createLegacyLookup, createNewDeviceWebhook, type WebhookOptions } from '@authgate/fastify/proxy'
