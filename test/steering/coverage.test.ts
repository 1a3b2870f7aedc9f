import { isIPv6 } from 'node:net'
import t from 'tap'
import { clientAddress, TrustedProxies } from '../../steering/client-ip.js'
import { locateClient } from '../../steering/client-location.js'
import { CoverageZones } from '../../steering/coverage-zones.js'
import { haversineKm } from '../../steering/geo.js'
import { formatIp, parseCidr, parseIp, parseIpv6 } from '../../steering/ip.js'

t.test('addresses and prefixes parse to canonical form', async (t) => {
  t.same(parseIp('10.1.2.3'), { family: 4, value: 0x0a010203 })
  t.same(parseIp('::ffff:10.1.2.3'), { family: 4, value: 0x0a010203 }, 'IPv4-mapped is IPv4')
  t.equal(formatIp(parseIp('2001:DB8:0:0:1:0:0:1')!), '2001:db8::1:0:0:1', 'RFC 5952: first longest zero run')
  t.equal(formatIp(parseIp('fe80::1%eth0')!), 'fe80::1', 'zone dropped')
  t.equal(formatIp(parseIp('64:ff9b::1.2.3.4')!), '64:ff9b::102:304', 'embedded IPv4 tail')
  t.equal(parseIp('1.2.3'), undefined)
  t.equal(parseIp('not an ip'), undefined)
  t.equal(parseCidr('10.1.2.3/8')?.text, '10.0.0.0/8', 'host bits cleared')
  t.equal(parseCidr('2001:db8:1::5/48')?.text, '2001:db8:1::/48')
  t.equal(parseCidr('::ffff:10.0.0.0/104')?.text, '10.0.0.0/8', 'a mapped prefix is the IPv4 prefix it covers')
  t.equal(parseCidr('1.2.3.4')?.text, '1.2.3.4/32')
  t.equal(parseCidr('1.2.3.4/33'), undefined)
  t.equal(parseCidr('::/129'), undefined)
  t.equal(parseCidr('1.2.3.4/x'), undefined)
})

t.test('IPv6 text: accepted exactly when node:net accepts it, canonical as the WHATWG URL parser writes it', async (t) => {
  // Random strings built from IPv6's own alphabet, so most are near misses: group counts, '::' twice, five-digit groups, quads in the wrong place, zones.
  let seed = 7
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    return Math.floor((seed / 2 ** 32) * n)
  }
  const pieces = ['0', '1', 'a', 'F', 'ff', '0db8', 'ffff', '12345', '', ':', '::', '1.2.3.4', '01.2.3.4', '%eth0', '%', 'g']
  const cases = [
    '::',
    '::1',
    '1::',
    '1:2:3:4:5:6:7:8',
    '1:2:3:4:5:6:7::',
    '::2:3:4:5:6:7:8',
    '1:2:3:4:5:6:1.2.3.4',
    '::ffff:1.2.3.4',
    'fe80::1%eth0',
    ':::',
    '1::2::3',
    ':1::',
    '1:',
    '',
  ]
  for (let i = 0; i < 20_000; i++) {
    let s = ''
    const n = 1 + rnd(10)
    for (let k = 0; k < n; k++) s += pieces[rnd(pieces.length)]! + (rnd(3) ? ':' : '')
    cases.push(s)
  }
  // And well-formed ones: eight groups (zeros common), leading zeros kept or not, any zero run as '::', sometimes a quad tail, sometimes one character flipped.
  for (let i = 0; i < 20_000; i++) {
    const g = Array.from({ length: 8 }, () => (rnd(3) ? 0 : rnd(0x10000)))
    const hex = g.map((x) => (rnd(2) ? x.toString(16).padStart(4, '0') : x.toString(rnd(2) ? 16 : 16)).replace(/[a-f]/g, (c) => (rnd(2) ? c.toUpperCase() : c)))
    if (rnd(4) === 0) hex.splice(6, 2, `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`)
    const from = rnd(hex.length)
    const len = rnd(hex.length - from + 1)
    let s =
      len && hex.slice(from, from + len).every((x) => /^0+$/.test(x)) ? `${hex.slice(0, from).join(':')}::${hex.slice(from + len).join(':')}` : hex.join(':')
    if (rnd(4) === 0) {
      const at = rnd(s.length)
      s = s.slice(0, at) + ':0.%g'[rnd(5)]! + s.slice(at + 1)
    }
    cases.push(s)
  }
  const disagree: string[] = []
  let valid = 0
  for (const s of cases) {
    const words = parseIpv6(s)
    if ((words !== undefined) !== isIPv6(s)) disagree.push(`${JSON.stringify(s)}: ours ${words !== undefined}, node ${isIPv6(s)}`)
    if (!words) continue
    valid++
    const ip = parseIp(s)!
    const canonical = new URL(`http://[${s.split('%')[0]}]/`).hostname.slice(1, -1)
    // A mapped address is IPv4 to us; the URL parser writes its last 32 bits as two hex groups.
    const ours = ip.family === 4 ? formatIp({ family: 6, words: [0, 0, 0xffff, ip.value] }) : formatIp(ip)
    if (ours !== canonical) disagree.push(`${JSON.stringify(s)}: ours ${ours}, URL ${canonical}`)
  }
  t.same(disagree.slice(0, 10), [], 'no disagreement')
  t.ok(valid > 10_000, `the cases include valid addresses (${valid})`)
})

t.test('coverage zones: longest prefix wins, IPv4 and IPv6', async (t) => {
  const z = new CoverageZones([
    { cidr: '10.0.0.0/8', site: 'wide' },
    { cidr: '10.20.0.0/16', site: 'mid' },
    { cidr: '10.20.30.0/24', site: 'narrow' },
    { cidr: '10.20.30.40/32', site: 'host' },
    { cidr: '0.0.0.0/0', site: 'anywhere4' },
    { cidr: '2001:db8::/32', site: 'v6wide' },
    { cidr: '2001:db8:aa::/48', site: 'v6narrow' },
    { cidr: '2001:db8:aa:bb::/64', site: 'v6narrower' },
  ])
  t.equal(z.lookup('10.1.1.1')?.site, 'wide')
  t.equal(z.lookup('10.20.1.1')?.site, 'mid')
  t.equal(z.lookup('10.20.30.1')?.site, 'narrow')
  t.same(z.lookup('10.20.30.40'), { site: 'host', how: 'coverage', cidr: '10.20.30.40/32' })
  t.equal(z.lookup('::ffff:10.20.30.41')?.site, 'narrow', 'a mapped peer matches IPv4 zones')
  t.equal(z.lookup('192.0.2.1')?.site, 'anywhere4', '/0 catches the rest')
  t.equal(z.lookup('2001:db8:1::1')?.site, 'v6wide')
  t.equal(z.lookup('2001:db8:aa:1::1')?.site, 'v6narrow')
  t.same(z.lookup('2001:db8:aa:bb::1'), { site: 'v6narrower', how: 'coverage', cidr: '2001:db8:aa:bb::/64' })
  t.equal(z.lookup('2001:db9::1'), undefined, 'no IPv6 default')
  t.equal(z.lookup('garbage'), undefined)
  t.equal(z.size, 8)
})

t.test('coverage zones: 10,000 prefixes agree with a linear scan', async (t) => {
  let seed = 42
  const rnd = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    return seed / 2 ** 32
  }
  const entries: Array<{ cidr: string; site: string }> = []
  const seen = new Set<string>()
  while (entries.length < 10_000) {
    const len = 8 + Math.floor(rnd() * 25)
    const c = parseCidr(`${formatIp({ family: 4, value: Math.floor(rnd() * 2 ** 32) })}/${len}`)!
    if (seen.has(c.text)) continue
    seen.add(c.text)
    entries.push({ cidr: c.text, site: `s${entries.length % 50}` })
  }
  const z = new CoverageZones(entries)
  const parsed = entries.map((e) => ({ c: parseCidr(e.cidr)!, site: e.site }))
  let matched = 0
  const wrong: string[] = []
  for (let i = 0; i < 2000; i++) {
    // half the probes inside a known prefix, half anywhere
    const inside = i % 2 === 0 ? parsed[Math.floor(rnd() * parsed.length)]!.c : undefined
    const v = inside ? ((inside.network as number) + Math.floor(rnd() * 2 ** (32 - inside.prefix))) >>> 0 : Math.floor(rnd() * 2 ** 32)
    let best: { site: string; prefix: number } | undefined
    for (const p of parsed) {
      const shift = 32 - p.c.prefix
      if ((shift === 32 || v >>> shift === (p.c.network as number) >>> shift) && (!best || p.c.prefix > best.prefix))
        best = { site: p.site, prefix: p.c.prefix }
    }
    const got = z.lookup({ family: 4, value: v })
    if (got?.site !== best?.site) wrong.push(`${formatIp({ family: 4, value: v })}: ${got?.site} vs ${best?.site}`)
    if (got) matched++
  }
  t.same(wrong.slice(0, 5), [], 'every probe agrees with the linear scan')
  t.ok(matched >= 1000, 'the probes exercised real matches')
})

t.test('coverage zones: the same prefix in two sites is refused, bad CIDRs named', async (t) => {
  t.throws(
    () =>
      new CoverageZones([
        { cidr: '10.0.0.0/8', site: 'a' },
        { cidr: '10.0.0.0/8', site: 'b' },
      ]),
    { code: 'OCLAB_ERR_BAD_CONFIG', message: /10\.0\.0\.0\/8 is in both site a and site b/ },
  )
  t.throws(() => new CoverageZones([{ cidr: '10.0.0.0/40', site: 'a' }]), {
    code: 'OCLAB_ERR_BAD_CONFIG',
    message: /"10\.0\.0\.0\/40" \(site a\) is not a CIDR/,
  })
  t.equal(
    new CoverageZones([
      { cidr: '10.0.0.0/8', site: 'a' },
      { cidr: '10.1.0.0/8', site: 'a' },
    ]).size,
    1,
    "a site's OCAs repeating its coverage is fine",
  )
})

t.test('client location: coverage, then geo distance, then the default site', async (t) => {
  const sites = new Map([
    ['ams', { lat: 52.37, lon: 4.9 }],
    ['nyc', { lat: 40.71, lon: -74.0 }],
    ['sin', { lat: 1.35, lon: 103.82 }],
  ])
  const zones = new CoverageZones([{ cidr: '10.0.0.0/8', site: 'ams', point: sites.get('ams') }])
  t.match(locateClient({ ip: parseIp('10.1.1.1') }, zones, sites, 'sin'), { site: 'ams', how: 'coverage', cidr: '10.0.0.0/8', point: { lat: 52.37 } })
  t.match(
    locateClient({ ip: parseIp('10.1.1.1'), point: { lat: 1, lon: 1 } }, zones, sites),
    { site: 'ams', how: 'coverage', point: { lat: 1, lon: 1 } },
    'coverage wins over coordinates, which stay the distance origin',
  )
  t.match(
    locateClient({ ip: parseIp('192.0.2.1'), point: { lat: 42.36, lon: -71.06 } }, zones, sites, 'sin'),
    { site: 'nyc', how: 'geo' },
    'Boston is nearest New York',
  )
  t.match(locateClient({ ip: parseIp('192.0.2.1') }, zones, sites, 'sin'), { site: 'sin', how: 'default' })
  t.same(locateClient({ ip: parseIp('192.0.2.1') }, zones, sites), { how: 'unknown' })
  t.same(locateClient({}, zones, sites, 'nowhere'), { how: 'unknown' }, 'a default site with no OCA is no location')
})

t.test('haversine against known distances', async (t) => {
  const km = haversineKm({ lat: 51.5074, lon: -0.1278 }, { lat: 48.8566, lon: 2.3522 })
  t.ok(Math.abs(km - 343.5) < 1, `London–Paris ≈ 343.5 km, got ${km}`)
  t.ok(Math.abs(haversineKm({ lat: 0, lon: 0 }, { lat: 0, lon: 180 }) - Math.PI * 6371.0088) < 1e-6, 'half the equator')
  t.equal(haversineKm({ lat: 10, lon: 10 }, { lat: 10, lon: 10 }), 0)
})

t.test('X-Forwarded-For is believed only from a trusted proxy', async (t) => {
  const trusted = new TrustedProxies(['127.0.0.0/8', '10.9.0.0/16'])
  t.match(clientAddress('203.0.113.5', '10.1.1.1', trusted), { text: '203.0.113.5', forwarded: false }, 'untrusted peer: header ignored')
  t.match(clientAddress('127.0.0.1', '198.51.100.7', trusted), { text: '198.51.100.7', forwarded: true })
  t.match(
    clientAddress('::ffff:127.0.0.1', '1.1.1.1, 198.51.100.7, 10.9.1.1', trusted),
    { text: '198.51.100.7', forwarded: true },
    'rightmost untrusted hop; left of it is client-written',
  )
  t.match(clientAddress('127.0.0.1', 'junk, 198.51.100.7', trusted), { text: '198.51.100.7' })
  t.match(clientAddress('127.0.0.1', '198.51.100.7, junk', trusted), { text: '127.0.0.1', forwarded: false }, 'a malformed hop ends the chain')
  t.match(clientAddress('127.0.0.1', '10.9.1.1, 10.9.1.2', trusted), { text: '10.9.1.1', forwarded: true }, 'all trusted: the leftmost')
  t.match(clientAddress('127.0.0.1', ['198.51.100.7', '10.9.1.1'], trusted), { text: '198.51.100.7' }, 'repeated headers join')
  t.match(clientAddress('127.0.0.1', '198.51.100.7', new TrustedProxies([])), { text: '127.0.0.1', forwarded: false }, 'no trusted proxies: never believed')
  t.match(clientAddress(undefined, '198.51.100.7', trusted), { ip: undefined, forwarded: false })
})
