import type { ESLint } from 'eslint'
export const LAYERS: string[][]
export function unitOf (srcRoot: string, file: string): string | undefined
export function layerOf (unit: string): number
export function layerViolation (srcRoot: string, importer: string, imported: string): string | undefined
declare const plugin: ESLint.Plugin
export default plugin
