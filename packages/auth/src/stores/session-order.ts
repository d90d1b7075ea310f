// The one order of a user's session list (store contract: newest first, createdAt then id, both descending). A
// total order, so a position (the last session of a page) splits the list exactly: pages never skip or repeat.

type Positioned = { createdAt: Date, id: string }

/** Array.sort comparator: newest first, ties in createdAt by id descending (MongoDB's { createdAt: -1, _id: -1 }). */
export function newestFirst (a: Positioned, b: Positioned): number {
  return b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
}

/** True when `session` comes after `position` in that order (belongs to a later page). */
export function comesAfter (session: Positioned, position: Positioned): boolean {
  return newestFirst(position, session) < 0
}
