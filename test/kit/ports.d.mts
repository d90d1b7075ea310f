/** A loopback port free a moment ago, for a server that binds it itself (another process may take it meanwhile). */
export declare function freePort (): Promise<number>
/** A loopback port with nobody listening: connections to it are refused (an upstream or issuer that is down). */
export declare function closedPort (): Promise<number>
