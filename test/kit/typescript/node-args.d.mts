// Types for node-args.mjs, for the packages' tests (their tsconfig does not read JavaScript).
export declare const REPO_ROOT: string
export declare function typescriptNode (): { args: string[], env: Record<string, string> } | { error: string }
export declare function typescriptNodeArgs (): string[]
