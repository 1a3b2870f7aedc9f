import { ErrorCodes, OclabError } from '../lib/errors.js'
import type { LatLon } from './geo.js'
import { type IpValue, parseCidr, parseIp } from './ip.js'

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
  /** the site's coordinates (the distance origin for its clients), when it has them */
  point?: LatLon
}

/**
 * A matching zone, made once per prefix and shaped as the client location
 * steering works with (see client-location.ts), so that locating a client
 * of a zone allocates nothing and reads no other table. One object serves
 * every client of the zone, hence read-only.
 */
export interface ZoneMatch {
  readonly site: string
  readonly point: LatLon | undefined
  readonly how: 'coverage'
  /** the matching prefix, canonical text */
  readonly cidr: string
}

interface V4Table {
  prefix: number
  shift: number
  map: Map<number, ZoneMatch>
}

/**
 * An IPv6 prefix length's table: one map level per 32-bit word the prefix
 * reaches (a /48 is keyed by its first word, then the top 16 bits of the
 * second), so keys stay small integers.
 */
type Level = Map<number, Level | ZoneMatch>
interface V6Table {
  prefix: number
  /** words the prefix reaches (at least 1) */
  levels: number
  /** host bits of the last word */
  shift: number
  root: Level
}

export class CoverageZones {
  private readonly v4: V4Table[] = []
  private readonly v6: V6Table[] = []
  readonly size: number

  constructor(entries: readonly ZoneEntry[]) {
    const v4 = new Map<number, V4Table>()
    const v6 = new Map<number, V6Table>()
    const problems: string[] = []
    let size = 0
    for (const e of entries) {
      const c = parseCidr(e.cidr)
      if (!c) {
        problems.push(`"${e.cidr}" (site ${e.site}) is not a CIDR`)
        continue
      }
      const match: ZoneMatch = { site: e.site, point: e.point, how: 'coverage', cidr: c.text }
      let existing: ZoneMatch | undefined
      if (typeof c.network === 'number') {
        const t = v4.get(c.prefix) ?? { prefix: c.prefix, shift: 32 - c.prefix, map: new Map<number, ZoneMatch>() }
        v4.set(c.prefix, t)
        const key = wordKey(c.network, t.shift)
        existing = t.map.get(key)
        if (!existing) t.map.set(key, match)
      } else {
        const levels = Math.max(1, Math.ceil(c.prefix / 32))
        const t = v6.get(c.prefix) ?? { prefix: c.prefix, levels, shift: 32 * levels - c.prefix, root: new Map() }
        v6.set(c.prefix, t)
        let level = t.root
        for (let k = 0; k < levels - 1; k++) {
          let next = level.get(c.network[k]!) as Level | undefined
          if (!next) {
            next = new Map()
            level.set(c.network[k]!, next)
          }
          level = next
        }
        const key = wordKey(c.network[levels - 1]!, t.shift)
        existing = level.get(key) as ZoneMatch | undefined
        if (!existing) level.set(key, match)
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
        const m = t.map.get(wordKey(a.value, t.shift))
        if (m) return m
      }
      return undefined
    }
    const w = a.words
    for (const t of this.v6) {
      let level: Level | undefined = t.root
      for (let k = 0; k < t.levels - 1 && level; k++) level = level.get(w[k]!) as Level | undefined
      const m = level?.get(wordKey(w[t.levels - 1]!, t.shift)) as ZoneMatch | undefined
      if (m) return m
    }
    return undefined
  }
}

// `x >>> 32` is x in JavaScript (shift counts are mod 32), so a word's /0 needs its own key.
const wordKey = (v: number, shift: number): number => (shift === 32 ? 0 : v >>> shift)
