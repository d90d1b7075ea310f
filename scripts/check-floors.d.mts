export const FLOORS: Record<string, string>
export function below (version: string, floor: string): boolean
export function resolvedVersions (lockText: string): Map<string, Set<string>>
export function violations (lockText: string, floors?: Record<string, string>): string[]
