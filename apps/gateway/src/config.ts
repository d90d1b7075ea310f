// The gateway configuration: types, the file loader and the validator (see config/).
export { loadConfig, readConfigFile, type LoadOptions } from './config/load.js'
export { parseConfig, AUTH_PREFIX, type ParseOptions } from './config/parse.js'
export { ConfigError, type GatewayConfig, type RouteConfig, type RouteAuth, type IdentityHeaderNames } from './config/types.js'
