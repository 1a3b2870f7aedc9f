import { CoverageZones } from './coverage-zones.js'
import { parseIp, formatIp, type IpValue } from './ip.js'

/**
 * Which address to locate a client by. The socket's peer address, unless the
 * peer is a configured trusted proxy: then X-Forwarded-For is read from the
 * right, skipping further trusted proxies, and the first untrusted hop is the
 * client (entries left of it were written by the client and prove nothing).
 */
export class TrustedProxies {
  private readonly zones: CoverageZones

  constructor(cidrs: readonly string[]) {
    this.zones = new CoverageZones(cidrs.map((cidr) => ({ cidr, site: 'proxy' })))
  }

  has(ip: IpValue): boolean {
    return this.zones.size > 0 && this.zones.lookup(ip) !== undefined
  }
}

export interface ClientAddress {
  ip: IpValue | undefined
  text: string
  /** true when the address came from X-Forwarded-For */
  forwarded: boolean
}

export function clientAddress(socketAddress: string | undefined, forwardedFor: string | string[] | undefined, trusted: TrustedProxies): ClientAddress {
  const peer = socketAddress ? parseIp(socketAddress) : undefined
  const peerText = peer ? formatIp(peer) : (socketAddress ?? '')
  if (!peer || !forwardedFor || !trusted.has(peer)) return { ip: peer, text: peerText, forwarded: false }
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').map((h) => h.trim())
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = parseIp(hops[i]!)
    // A malformed hop ends the chain: whatever is left of it is not trustworthy either.
    if (!hop) break
    if (!trusted.has(hop) || i === 0) return { ip: hop, text: formatIp(hop), forwarded: true }
  }
  return { ip: peer, text: peerText, forwarded: false }
}
