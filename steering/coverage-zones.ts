import { ErrorCodes, OclabError } from '../lib/errors.js'
import { parseCidr, parseIp, type IpValue } from './ip.js'

/**
 * A coverage zone map (Apache Traffic Control's Traffic Router "CZF"): client
 * CIDRs → the site that serves them, longest prefix wins.
 *
 * Sorted prefix tables: one hash map per prefix length present, keyed by the
 * address shifted right by the host bits. A look-up tries the lengths present
 * from longest to shortest, so it costs one shift and one map probe per
 * distinct length (at most 33 for IPv4, in practice a handful), independent
 * of the number of prefixes — 10,000 prefixes cost the same as 10.
 */
export interface ZoneEntry {
  cidr: string
  site: string
}

export interface ZoneMatch {
  site: string
  /** the matching prefix, canonical text */
  cidr: string
}

interface Table<K> {
  prefix: number
  shift: K
  map: Map<K, ZoneMatch>
}

export class CoverageZones {
  private readonly v4: Table<number>[] = []
  private readonly v6: Table<bigint>[] = []
  readonly size: number

  constructor(entries: readonly ZoneEntry[]) {
    const v4 = new Map<number, Table<number>>()
    const v6 = new Map<number, Table<bigint>>()
    const problems: string[] = []
    let size = 0
    for (const e of entries) {
      const c = parseCidr(e.cidr)
      if (!c) {
        problems.push(`"${e.cidr}" (site ${e.site}) is not a CIDR`)
        continue
      }
      const match = { site: e.site, cidr: c.text }
      let existing: ZoneMatch | undefined
      if (c.family === 4) {
        const t = v4.get(c.prefix) ?? { prefix: c.prefix, shift: 32 - c.prefix, map: new Map<number, ZoneMatch>() }
        v4.set(c.prefix, t)
        const key = keyV4(c.network as number, t.shift)
        existing = t.map.get(key)
        if (!existing) t.map.set(key, match)
      } else {
        const t = v6.get(c.prefix) ?? { prefix: c.prefix, shift: BigInt(128 - c.prefix), map: new Map<bigint, ZoneMatch>() }
        v6.set(c.prefix, t)
        const key = (c.network as bigint) >> t.shift
        existing = t.map.get(key)
        if (!existing) t.map.set(key, match)
      }
      // OCAs of one site repeat the site's coverage; the same prefix in two sites is ambiguous.
      if (existing && existing.site !== e.site) problems.push(`${c.text} is in both site ${existing.site} and site ${e.site}`)
      if (!existing) size++
    }
    if (problems.length) throw new OclabError(ErrorCodes.BAD_CONFIG, `coverage zones: ${problems.join('; ')}`, problems)
    this.v4 = [...v4.values()].sort((a, b) => b.prefix - a.prefix)
    this.v6 = [...v6.values()].sort((a, b) => b.prefix - a.prefix)
    this.size = size
  }

  /** The longest matching prefix for an address (text or parsed); undefined when none covers it. */
  lookup(ip: string | IpValue): ZoneMatch | undefined {
    const a = typeof ip === 'string' ? parseIp(ip) : ip
    if (!a) return undefined
    if (a.family === 4) {
      for (const t of this.v4) {
        const m = t.map.get(keyV4(a.value, t.shift))
        if (m) return m
      }
      return undefined
    }
    for (const t of this.v6) {
      const m = t.map.get(a.value >> t.shift)
      if (m) return m
    }
    return undefined
  }
}

// `x >>> 32` is x in JavaScript (shift counts are mod 32), so /0 needs its own key.
const keyV4 = (v: number, shift: number): number => (shift === 32 ? 0 : v >>> shift)
