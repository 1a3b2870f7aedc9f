import { isIPv6 } from 'node:net'

/**
 * IP addresses as integers, so prefix matching is shifts and map look-ups
 * instead of string work. IPv4 fits a uint32 number; IPv6 needs a bigint.
 * IPv4-mapped IPv6 (`::ffff:10.1.2.3`, what a dual-stack socket reports for
 * an IPv4 peer) is treated as the IPv4 address it carries.
 */
export type IpValue = { family: 4; value: number } | { family: 6; value: bigint }

export interface Cidr {
  family: 4 | 6
  /** the network address with host bits cleared */
  network: number | bigint
  prefix: number
  /** canonical text, e.g. `10.0.0.0/8` */
  text: string
}

/**
 * A strict dotted quad (four decimal bytes, no leading zeros, as node:net's
 * isIPv4 accepts) as a uint32, or -1. By character codes: a steering request
 * parses one or two addresses, and split + regex cost more than the decision.
 */
export function parseIpv4(s: string): number {
  let value = 0
  let parts = 0
  let i = 0
  const n = s.length
  while (i < n) {
    const start = i
    let octet = 0
    while (i < n) {
      const c = s.charCodeAt(i)
      if (c < 48 || c > 57) break
      octet = octet * 10 + (c - 48)
      i++
    }
    const digits = i - start
    if (digits === 0 || digits > 3 || octet > 255 || (digits > 1 && s.charCodeAt(start) === 48)) return -1
    value = value * 256 + octet
    parts++
    if (i === n) break
    if (s.charCodeAt(i) !== 46 || parts === 4) return -1
    i++
    if (i === n) return -1
  }
  return parts === 4 ? value : -1
}

function ipv6ToBigint(s: string): bigint {
  let text = s
  // An embedded IPv4 tail (`::ffff:1.2.3.4`, `64:ff9b::1.2.3.4`) is the last two groups.
  const lastColon = text.lastIndexOf(':')
  if (text.includes('.', lastColon)) {
    const v4 = parseIpv4(text.slice(lastColon + 1))
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`
  }
  const double = text.indexOf('::')
  const groupsOf = (part: string): string[] => (part === '' ? [] : part.split(':'))
  const left = groupsOf(double < 0 ? text : text.slice(0, double))
  const right = double < 0 ? [] : groupsOf(text.slice(double + 2))
  const groups = [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right]
  let v = 0n
  for (const g of groups) v = (v << 16n) | BigInt(parseInt(g, 16))
  return v
}

const MAPPED_V4 = 0xffffn << 32n

/** Parse an address (optionally with an IPv6 zone, `fe80::1%eth0`); undefined when it is not one. */
export function parseIp(raw: string): IpValue | undefined {
  const s = raw.trim()
  const v4 = parseIpv4(s)
  if (v4 >= 0) return { family: 4, value: v4 }
  const noZone = s.split('%')[0]!
  if (!isIPv6(noZone)) return undefined
  const v = ipv6ToBigint(noZone)
  if (v >> 32n === 0xffffn && (v & ~0xffffffffn) === MAPPED_V4) return { family: 4, value: Number(v & 0xffffffffn) }
  return { family: 6, value: v }
}

/** Canonical text (RFC 5952 for IPv6: lower case, the longest run of two or more zero groups as `::`). */
export function formatIp(ip: IpValue): string {
  if (ip.family === 4) return [24, 16, 8, 0].map((s) => (ip.value >>> s) & 255).join('.')
  const groups: number[] = []
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn))
  let best = { at: -1, len: 1 }
  for (let i = 0; i < 8; ) {
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > best.len) best = { at: i, len: j - i }
    i = j === i ? i + 1 : j
  }
  const hex = groups.map((g) => g.toString(16))
  if (best.at < 0) return hex.join(':')
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`
}

/** Parse `a.b.c.d/n` or `x::/n`; host bits are cleared (10.1.2.3/8 is 10.0.0.0/8). */
export function parseCidr(raw: string): Cidr | undefined {
  const slash = raw.indexOf('/')
  const addr = parseIp(slash < 0 ? raw : raw.slice(0, slash))
  if (!addr) return undefined
  // A mapped address written as IPv6 with a prefix is still an IPv6 prefix; keep the family as written.
  const writtenV6 = raw.slice(0, slash < 0 ? undefined : slash).includes(':')
  const family = writtenV6 ? 6 : 4
  const bits = family === 4 ? 32 : 128
  const prefixText = slash < 0 ? String(bits) : raw.slice(slash + 1)
  if (!/^\d{1,3}$/.test(prefixText)) return undefined
  const prefix = Number(prefixText)
  if (prefix > bits) return undefined
  if (family === 4) {
    const v = addr.family === 4 ? addr.value : Number(addr.value & 0xffffffffn)
    const network = prefix === 0 ? 0 : ((v >>> (32 - prefix)) << (32 - prefix)) >>> 0
    return { family, network, prefix, text: `${formatIp({ family: 4, value: network })}/${prefix}` }
  }
  const v = addr.family === 6 ? addr.value : MAPPED_V4 | BigInt(addr.value)
  // Clients with mapped addresses are looked up as IPv4, so a mapped prefix becomes the IPv4 prefix it covers.
  if (prefix >= 96 && v >> 32n === 0xffffn) return parseCidr(`${formatIp({ family: 4, value: Number(v & 0xffffffffn) })}/${prefix - 96}`)
  const shift = BigInt(128 - prefix)
  const network = (v >> shift) << shift
  return { family, network, prefix, text: `${formatIp({ family: 6, value: network })}/${prefix}` }
}
