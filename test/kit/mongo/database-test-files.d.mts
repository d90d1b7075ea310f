// Types for database-test-files.mjs.
export declare function databaseTestFiles (root?: string): string[]
