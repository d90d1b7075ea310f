// What the gateway can forward as an identity header: the plugin's rules (users/identity-values.ts), which its legacy
// user source applies at login too.
export { MAX_FORWARDED_ID, MAX_FORWARDED_ROLE, MAX_FORWARDED_ROLES, isForwardableId, isForwardableRole, unforwardableReason, forwardableClaimValue } from '@authgate/fastify/proxy'
