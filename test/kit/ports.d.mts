/** A loopback port free a moment ago, for a server that binds it itself (another process may take it meanwhile). */
export declare function freePort (): Promise<number>
/** A loopback port with nobody listening: connections to it are refused (an upstream or issuer that is down). */
export declare function closedPort (): Promise<number>
/** A loopback port below the kernel's ephemeral range, for a server stopped and started again on the same port. */
export declare function stablePort (): Promise<number>
