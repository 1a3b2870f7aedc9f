/**
 * IP addresses as integers, so prefix matching is shifts and map look-ups
 * instead of string work: IPv4 as one uint32, IPv6 as four (most significant
 * first; a steering request parses one or two addresses, and BigInt
 * arithmetic cost more than the rest of the decision). IPv4-mapped IPv6
 * (`::ffff:10.1.2.3`, what a dual-stack socket reports for an IPv4 peer) is
 * treated as the IPv4 address it carries.
 */
export type Ipv6Words = readonly [number, number, number, number]
export type IpValue = { family: 4; value: number } | { family: 6; words: Ipv6Words }

export interface Cidr {
  family: 4 | 6
  /** the network address with host bits cleared */
  network: number | Ipv6Words
  prefix: number
  /** canonical text, e.g. `10.0.0.0/8` */
  text: string
}

/**
 * A strict dotted quad (four decimal bytes, no leading zeros, as node:net's
 * isIPv4 accepts) as a uint32, or -1. By character codes: split + regex cost
 * more than the decision.
 */
export function parseIpv4(s: string, from = 0, to = s.length): number {
  let value = 0
  let parts = 0
  let i = from
  while (i < to) {
    const start = i
    let octet = 0
    while (i < to) {
      const c = s.charCodeAt(i)
      if (c < 48 || c > 57) break
      octet = octet * 10 + (c - 48)
      i++
    }
    const digits = i - start
    if (digits === 0 || digits > 3 || octet > 255 || (digits > 1 && s.charCodeAt(start) === 48)) return -1
    value = value * 256 + octet
    parts++
    if (i === to) break
    if (s.charCodeAt(i) !== 46 || parts === 4) return -1
    i++
    if (i === to) return -1
  }
  return parts === 4 ? value : -1
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  if (c >= 65 && c <= 70) return c - 55
  return -1
}

/** A zone id as node:net's isIPv6 allows it after `%`: one or more of [0-9a-zA-Z.:-]. */
function validZone(s: string, from: number): boolean {
  if (from >= s.length) return false
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (!((c >= 48 && c <= 58) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46)) return false
  }
  return true
}

// One parse at a time (no re-entrancy): the groups are collected here rather than in a new array per call.
const groups = new Array<number>(8).fill(0)

/**
 * IPv6 text (optionally with a zone, which is dropped) as four words, or
 * undefined; accepts exactly what node:net's isIPv6 accepts: groups of one to
 * four hex digits, at most one `::` standing for one or more zero groups, and
 * an optional dotted quad as the last 32 bits.
 */
export function parseIpv6(s: string): Ipv6Words | undefined {
  let end = s.length
  const pct = s.indexOf('%')
  if (pct >= 0) {
    if (!validZone(s, pct + 1)) return undefined
    end = pct
  }
  let count = 0
  let gap = -1
  let i = 0
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return undefined
    gap = 0
    i = 2
  }
  while (i < end) {
    const start = i
    let g = 0
    for (; i < end && i - start < 5; i++) {
      const h = hexDigit(s.charCodeAt(i))
      if (h < 0) break
      g = g * 16 + h
    }
    if (i < end && s.charCodeAt(i) === 46) {
      // an embedded dotted quad: the rest of the address, two groups
      const v4 = parseIpv4(s, start, end)
      if (v4 < 0 || count > 6) return undefined
      groups[count++] = v4 >>> 16
      groups[count++] = v4 & 0xffff
      break
    }
    if (i === start || i - start > 4 || count === 8) return undefined
    groups[count++] = g
    if (i === end) break
    if (s.charCodeAt(i) !== 58) return undefined
    i++
    if (s.charCodeAt(i) === 58 && i < end) {
      if (gap >= 0) return undefined
      gap = count
      i++
    } else if (i === end) return undefined
  }
  if (gap < 0 ? count !== 8 : count > 7) return undefined
  if (gap >= 0) {
    // move the groups after `::` to the end and zero the gap
    const tail = count - gap
    for (let k = 0; k < tail; k++) groups[7 - k] = groups[count - 1 - k]!
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0
  }
  return [
    ((groups[0]! << 16) | groups[1]!) >>> 0,
    ((groups[2]! << 16) | groups[3]!) >>> 0,
    ((groups[4]! << 16) | groups[5]!) >>> 0,
    ((groups[6]! << 16) | groups[7]!) >>> 0,
  ]
}

const isMapped = (w: Ipv6Words): boolean => w[0] === 0 && w[1] === 0 && w[2] === 0xffff

/** Parse an address (optionally with an IPv6 zone, `fe80::1%eth0`); undefined when it is not one. */
export function parseIp(raw: string): IpValue | undefined {
  const s = raw.length && (raw.charCodeAt(0) <= 32 || raw.charCodeAt(raw.length - 1) <= 32) ? raw.trim() : raw
  const v4 = parseIpv4(s)
  if (v4 >= 0) return { family: 4, value: v4 }
  const words = parseIpv6(s)
  if (!words) return undefined
  if (isMapped(words)) return { family: 4, value: words[3] }
  return { family: 6, words }
}

const formatIpv4 = (v: number): string => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`

/** RFC 5952: lower case, no leading zeros, the first longest run of two or more zero groups as `::`. */
function formatIpv6(w: Ipv6Words): string {
  for (let k = 0; k < 4; k++) {
    groups[2 * k] = w[k]! >>> 16
    groups[2 * k + 1] = w[k]! & 0xffff
  }
  let at = -1
  let len = 1
  for (let i = 0; i < 8; ) {
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > len) {
      at = i
      len = j - i
    }
    i = j === i ? i + 1 : j
  }
  let out = ''
  for (let i = 0; i < 8; i++) {
    if (i === at) {
      out += i === 0 ? '::' : ':'
      i += len - 1
      continue
    }
    out += groups[i]!.toString(16)
    if (i < 7) out += ':'
  }
  return out
}

/** Canonical text (RFC 5952 for IPv6). */
export function formatIp(ip: IpValue): string {
  return ip.family === 4 ? formatIpv4(ip.value) : formatIpv6(ip.words)
}

/** The top `bits` bits of a uint32 as a mask (0 ≤ bits ≤ 32). */
const maskOf = (bits: number): number => (bits <= 0 ? 0 : bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0)

/** Parse `a.b.c.d/n` or `x::/n`; host bits are cleared (10.1.2.3/8 is 10.0.0.0/8). */
export function parseCidr(raw: string): Cidr | undefined {
  const slash = raw.indexOf('/')
  const addr = (slash < 0 ? raw : raw.slice(0, slash)).trim()
  const prefixText = slash < 0 ? undefined : raw.slice(slash + 1)
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined
  const v4 = parseIpv4(addr)
  if (v4 >= 0) {
    const prefix = prefixText === undefined ? 32 : Number(prefixText)
    if (prefix > 32) return undefined
    const network = (v4 & maskOf(prefix)) >>> 0
    return { family: 4, network, prefix, text: `${formatIpv4(network)}/${prefix}` }
  }
  // Written as IPv6, a prefix is an IPv6 prefix, even for a mapped address…
  const w = parseIpv6(addr)
  if (!w) return undefined
  const prefix = prefixText === undefined ? 128 : Number(prefixText)
  if (prefix > 128) return undefined
  // …except that clients with mapped addresses are looked up as IPv4, so a mapped prefix becomes the IPv4 prefix it covers.
  if (prefix >= 96 && isMapped(w)) return parseCidr(`${formatIpv4(w[3])}/${prefix - 96}`)
  const network = w.map((x, k) => (x & maskOf(prefix - 32 * k)) >>> 0) as unknown as Ipv6Words
  return { family: 6, network, prefix, text: `${formatIpv6(network)}/${prefix}` }
}
