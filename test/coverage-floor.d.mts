export declare const FLOOR_FILE: string
export declare function parseFloor (text: string): number
export declare function measuredLines (root: string): number | null
export declare function verdict (measured: number | null, floor: number): { ok: boolean, message: string }
export declare function readFloor (root: string): number
