/**
 * Rendezvous (highest random weight) hashing, Thaler & Ravishankar 1998:
 * every node gets a score hash(key, node) and the key goes to the highest.
 * Adding a node moves only the keys it now wins (about 1/(n+1) of them);
 * removing one moves only its own keys. Unlike a ring it needs no virtual
 * nodes for an even spread, and with a handful of OCAs per site scoring them
 * all is cheaper than a ring look-up.
 */

/** FNV-1a over UTF-16 code units, then the murmur3 finaliser so near keys spread. */
export function hash32(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

export const rendezvousScore = (key: string, node: string): number => hash32(`${key}\u0000${node}`)

/** Nodes ordered by score for this key, highest first; ties (vanishingly rare) by id so the order is total. */
export function rendezvousOrder<T extends { id: string }>(key: string, nodes: readonly T[]): T[] {
  return nodes
    .map((n) => ({ n, s: rendezvousScore(key, n.id) }))
    .sort((a, b) => b.s - a.s || (a.n.id < b.n.id ? -1 : 1))
    .map((x) => x.n)
}
