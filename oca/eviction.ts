/**
 * Which stored objects to drop so a fill fits the disk store. Pure: the store
 * passes a snapshot and applies the answer.
 *
 * - `lru` (default): least recently served first — the classic CDN choice
 *   when popularity drifts (Open Connect's fill-on-miss tier behaves so).
 * - `lfu`: fewest hits first, ties broken by age — better when a stable
 *   catalogue head should survive one-off scans of the long tail.
 *
 * Pinned objects (pre-positioned titles the control plane wants kept) are
 * never chosen.
 */
export type EvictionPolicy = 'lru' | 'lfu'
export const EVICTION_POLICIES: readonly EvictionPolicy[] = ['lru', 'lfu']

export interface EvictionCandidate {
  key: string
  bytes: number
  /** ms timestamp of the last serve (or the fill) */
  lastAccess: number
  hits: number
  pinned: boolean
}

const ORDER: Record<EvictionPolicy, (a: EvictionCandidate, b: EvictionCandidate) => number> = {
  lru: (a, b) => a.lastAccess - b.lastAccess,
  lfu: (a, b) => a.hits - b.hits || a.lastAccess - b.lastAccess,
}

/**
 * The keys to evict to free at least `needBytes`, in eviction order, or
 * undefined when even evicting every unpinned object would not free enough
 * (then nothing should be evicted: the fill is refused instead).
 */
export function chooseVictims(candidates: readonly EvictionCandidate[], needBytes: number, policy: EvictionPolicy = 'lru'): string[] | undefined {
  if (needBytes <= 0) return []
  const sorted = candidates.filter((c) => !c.pinned).sort(ORDER[policy])
  const victims: string[] = []
  let freed = 0
  for (const c of sorted) {
    if (freed >= needBytes) break
    victims.push(c.key)
    freed += c.bytes
  }
  return freed >= needBytes ? victims : undefined
}
