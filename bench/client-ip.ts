/**
 * `npm run bench -- client-ip [rounds]`: what it costs to find a steering
 * client's address behind a trusted proxy, three ways, per request:
 *
 * - oclab's `clientAddress` (steering/client-ip.ts: X-Forwarded-For read from
 *   the right, the trusted-proxy CIDRs in the same tables as coverage zones);
 * - node:net `BlockList` for the trust check (parse, then `check()`);
 * - Fastify's `trustProxy`, which is `@fastify/proxy-addr` (`request.ip`).
 *
 * All three must name the same client for every input (checked first: a fast
 * wrong answer is no answer). Rounds alternate the cases; CPU time per request
 * is reported with its median and range. /v1/steer costs ~17 µs of CPU a request
 * (bench steering), so a microsecond here is ~6% of the route's throughput.
 */
import { createRequire } from 'node:module'
import { BlockList } from 'node:net'
import { clientAddress, formatIp, parseIp, TrustedProxies } from '../steering/index.js'
import { fmtSpread, footer, header, ownCpuSeconds, roundOrder, spread } from './_rounds.js'

const PROXIES = ['127.0.0.1/32', '10.9.0.0/16', '2001:db8:ffff::/48']
const PEER = '127.0.0.1'

type ProxyAddr = ((req: unknown, trust: unknown) => string) & { compile: (v: string[]) => unknown }

/** Client addresses as X-Forwarded-For values: one hop mostly, some chains through trusted proxies, some IPv6. */
function headers(n: number): string[] {
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const v4 = `${11 + (i % 200)}.${(i * 7) % 256}.${(i * 13) % 256}.${1 + (i % 250)}`
    if (i % 10 === 9) out.push(`2001:db8:${(i % 0xffff).toString(16)}::${(i % 250) + 1}`)
    else if (i % 10 === 8) out.push(`${v4}, 10.9.1.2`)
    else out.push(v4)
  }
  return out
}

export async function run(args: string[]): Promise<void> {
  const rounds = Number(args[0] ?? 5)
  const xff = headers(2000)
  const trusted = new TrustedProxies(PROXIES)
  const block = new BlockList()
  for (const cidr of PROXIES) {
    const [net, bits] = cidr.split('/') as [string, string]
    block.addSubnet(net, Number(bits), net.includes(':') ? 'ipv6' : 'ipv4')
  }
  /** The same right-to-left walk as clientAddress, with BlockList as the trust check. */
  const viaBlockList = (header: string): string => {
    const hops = header.split(',')
    for (let i = hops.length - 1; i >= 0; i--) {
      const ip = parseIp(hops[i]!.trim())
      if (!ip) break
      const text = formatIp(ip)
      if (i === 0 || !block.check(text, ip.family === 4 ? 'ipv4' : 'ipv6')) return text
    }
    return PEER
  }
  let proxyAddr: ProxyAddr | undefined
  try {
    proxyAddr = createRequire(import.meta.url)('@fastify/proxy-addr') as ProxyAddr
  } catch {
    console.log('@fastify/proxy-addr not found (it comes with fastify): its row is left out')
  }
  const trust = proxyAddr?.compile(PROXIES)
  const viaProxyAddr = (header: string): string => proxyAddr!({ socket: { remoteAddress: PEER }, headers: { 'x-forwarded-for': header } }, trust)

  const cases: Array<{ name: string; fn: (h: string) => string }> = [
    { name: 'oclab clientAddress', fn: (h) => clientAddress(PEER, h, trusted).text },
    { name: 'node:net BlockList', fn: viaBlockList },
    ...(proxyAddr ? [{ name: 'Fastify trustProxy (proxy-addr)', fn: viaProxyAddr }] : []),
  ]
  for (const h of xff) {
    const answers = cases.map((c) => c.fn(h))
    if (answers.some((a) => a !== answers[0])) throw new Error(`the cases disagree on X-Forwarded-For "${h}": ${answers.join(' / ')}`)
  }

  header('bench client-ip')
  console.log(`${xff.length} X-Forwarded-For values from a trusted peer, ${rounds} rounds alternating the cases; CPU ns per request`)
  const perCase = new Map<string, number[]>(cases.map((c) => [c.name, []]))
  let sink = 0
  for (let r = 0; r < rounds; r++) {
    for (const c of roundOrder(cases, r)) {
      for (const h of xff) sink += c.fn(h).length // warm-up
      const start = ownCpuSeconds()
      let n = 0
      while (ownCpuSeconds() - start < 0.3) {
        for (const h of xff) sink += c.fn(h).length
        n += xff.length
      }
      perCase.get(c.name)!.push(((ownCpuSeconds() - start) * 1e9) / n)
    }
  }
  const base = spread(perCase.get(cases[0]!.name)!)
  for (const c of cases) {
    const s = spread(perCase.get(c.name)!)
    console.log(`${c.name.padEnd(34)}${fmtSpread(s, 0, ' ns')}   ×${(s.median / base.median).toFixed(1)} oclab`)
  }
  if (sink < 0) console.log(sink)
  footer()
}
