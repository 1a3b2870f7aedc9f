import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { forwardedForOf } from '../../steering/client-ip.js'
import { initialHealth } from '../../steering/health-state.js'
import { OcaRegistry } from '../../steering/registry.js'
import { buildSteeringServer } from '../../steering/server.js'
import { clusterOf, ocaConfig } from './helpers.js'

/** OCAs whose /health answers come from one stub, with a load the test sets. */
async function healthStub(t: { teardown: (f: () => void) => void }, titles: Record<string, string[]>) {
  const load: Record<string, number> = {}
  const server = createServer((req, res) => {
    const id = (req.url ?? '').split('/')[1]!
    if (!titles[id]) return res.writeHead(404).end()
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ id, status: 'ok', bytesServedPerSecond: load[id] ?? 0, titles: titles[id] }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => server.close())
  return { url: (id: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/${id}`, load }
}

interface SteerBody {
  client: { ip: string; forwarded: boolean; site: string | null; how: string; cidr: string | null }
  title: string
  candidates: Array<{ id: string; site: string; reason: string }>
}

t.test('a cached /v1/steer answer gives way when an OCA crosses its spill threshold, and only then', async (t) => {
  const stub = await healthStub(t, { ams1: ['t1'], ams2: ['t1'], fra1: ['t1'] })
  // 1 Gbit/s each: spill above 0.8 Gbit/s = 100 MB/s
  const cluster = clusterOf(['ams1', 'ams2', 'fra1'].map((id) => ocaConfig(id, stub.url(id), id.startsWith('ams') ? 'ams' : 'fra', { bandwidthBps: 1e9 })))
  const app = buildSteeringServer({
    cluster,
    startHealthChecks: false,
    trustedProxies: ['127.0.0.1/32'],
    health: { minSpareFraction: 0, slowMs: 60_000, timeoutMs: 30_000 },
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1/steer?title=t1`
  const steer = async (ip: string) => (await (await fetch(url, { headers: { 'x-forwarded-for': ip } })).json()) as SteerBody
  await app.steering.checker.pollAll()

  const first = await steer('10.1.2.3')
  t.equal(first.candidates[0]?.site, 'ams', 'own site first')
  const best = first.candidates[0]!.id
  t.match(first.client, { ip: '10.1.2.3', forwarded: true, site: 'ams', how: 'coverage', cidr: '10.1.0.0/16' })
  const neighbour = await steer('10.1.99.7')
  t.same(neighbour.candidates, first.candidates, 'another client of the zone gets the same (cached) list')
  t.match(neighbour.client, { ip: '10.1.99.7', cidr: '10.1.0.0/16' }, 'with its own address')

  stub.load[best] = 50e6 // 0.4 Gbit/s: below the threshold
  await app.steering.checker.pollAll()
  t.same((await steer('10.1.2.3')).candidates, first.candidates, 'load below the threshold: the same answer')

  stub.load[best] = 120e6 // 0.96 Gbit/s
  await app.steering.checker.pollAll()
  const spilled = await steer('10.1.2.3')
  t.not(spilled.candidates[0]!.id, best, 'above the threshold: the cached answer is not served')
  const moved = spilled.candidates.find((c) => c.id === best)!
  t.match(moved.reason, /^spilled: load 96% of capacity is above 80%/)

  stub.load[best] = 0
  await app.steering.checker.pollAll()
  t.equal((await steer('10.1.2.3')).candidates[0]?.id, best, 'back below: first again')
})

t.test('the registry version moves when load crosses the spill threshold, not with every load change', async (t) => {
  const reg = new OcaRegistry([ocaConfig('a', 'http://127.0.0.1:9', 'ams', { bandwidthBps: 1e9 })], true, 0.8)
  const health = (bytesPerSecond: number) => ({ ...initialHealth(0), state: 'up' as const, reason: 'healthy', bytesPerSecond })
  reg.setHealth('a', health(10e6))
  const v = reg.version
  reg.setHealth('a', health(90e6))
  t.equal(reg.version, v, '0.08 → 0.72 of capacity: same version')
  reg.setHealth('a', health(101e6))
  t.equal(reg.version, v + 1, 'crossed 0.8')
  reg.setHealth('a', health(110e6))
  t.equal(reg.version, v + 1, 'still above')
  reg.setHealth('a', health(1e6))
  t.equal(reg.version, v + 2, 'back below')
})

t.test('X-Forwarded-For from the raw header list: any case, several lines joined in order', async (t) => {
  t.equal(forwardedForOf(['Host', 'x', 'X-Forwarded-For', '1.2.3.4']), '1.2.3.4')
  t.equal(forwardedForOf(['x-forwarded-for', '1.2.3.4, 10.0.0.1', 'Accept', '*/*', 'X-FORWARDED-FOR', '127.0.0.1']), '1.2.3.4, 10.0.0.1,127.0.0.1')
  t.equal(forwardedForOf(['Host', 'x', 'X-Forwarded-Fox', '1.2.3.4']), undefined)
})

t.test('/v1/steer answers are valid UTF-8 JSON of the right length with non-ASCII names, and IPv6 clients are located', async (t) => {
  const stub = await healthStub(t, { zrh1: ['t1'], fra1: ['t1'] })
  const cluster = clusterOf([
    ocaConfig('zrh1', stub.url('zrh1'), 'ams', { site: 'Zürich 東', coverage: ['2001:db8:aa::/48', '10.1.0.0/16'] }),
    ocaConfig('fra1', stub.url('fra1'), 'fra'),
  ])
  const app = buildSteeringServer({
    cluster,
    startHealthChecks: false,
    trustedProxies: ['127.0.0.1/32'],
    health: { minSpareFraction: 0, slowMs: 60_000, timeoutMs: 30_000 },
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  await app.steering.checker.pollAll()
  for (const round of ['miss', 'cached']) {
    const res = await fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1/steer?title=t1`, {
      headers: { 'x-forwarded-for': '2001:DB8:AA:0:0:0:0:7' },
    })
    const bytes = Buffer.from(await res.arrayBuffer())
    t.equal(Number(res.headers.get('content-length')), bytes.length, `${round}: content-length is the byte length`)
    const body = JSON.parse(bytes.toString('utf8')) as SteerBody
    t.match(
      body.client,
      { ip: '2001:db8:aa::7', forwarded: true, site: 'Zürich 東', how: 'coverage', cidr: '2001:db8:aa::/48' },
      `${round}: canonical IPv6 client, its zone and site`,
    )
    t.same(
      body.candidates.map((c) => c.site),
      ['Zürich 東', 'fra'],
      `${round}: the non-ASCII site name round-trips`,
    )
  }
})

t.test('after an OCA goes down no cached answer names it, from either cache, and it returns when it is up again', async (t) => {
  const held = ['t1', 't2', 't3']
  const fleet: Record<string, string[]> = { ams1: held, ams2: held, fra1: held, nyc1: held }
  const stub = await healthStub(t, fleet)
  const cluster = clusterOf([
    ocaConfig('ams1', stub.url('ams1'), 'ams'),
    ocaConfig('ams2', stub.url('ams2'), 'ams'),
    ocaConfig('fra1', stub.url('fra1'), 'fra'),
    ocaConfig('nyc1', stub.url('nyc1'), 'nyc'),
  ])
  const app = buildSteeringServer({
    cluster,
    startHealthChecks: false,
    trustedProxies: ['127.0.0.1/32'],
    health: { minSpareFraction: 0, slowMs: 60_000, timeoutMs: 30_000 },
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1/steer`
  await app.steering.checker.pollAll()
  // Coverage-zone clients (the zone cache) and clients giving a point or a count (the other cache), every title.
  const asks = ['10.1.0.5', '10.1.200.9', '10.2.3.4', '10.3.3.3', '192.0.2.7'].flatMap((ip) =>
    held.flatMap((title) => ['', '&lat=52.4&lon=4.9', '&n=2'].map((q) => ({ ip, url: `${base}?title=${title}${q}` }))),
  )
  const named = async (): Promise<Set<string>> => {
    const ids = new Set<string>()
    for (const a of asks) {
      const body = (await (await fetch(a.url, { headers: { 'x-forwarded-for': a.ip } })).json()) as SteerBody
      for (const c of body.candidates) ids.add(c.id)
    }
    return ids
  }
  t.ok((await named()).has('ams1'), 'ams1 is offered while up (the caches now hold answers naming it)')
  t.ok((await named()).has('ams1'), 'and from the caches')

  // The stub answers 404 for an OCA it does not know: two bad polls take ams1 down (downAfter 2).
  delete fleet.ams1
  await app.steering.checker.pollAll()
  await app.steering.checker.pollAll()
  t.equal(app.steering.registry.get('ams1')!.health.state, 'down')
  t.notOk((await named()).has('ams1'), 'no answer names the OCA that went down')
  t.notOk((await named()).has('ams1'), 'not even once the new answers are cached')

  fleet.ams1 = held
  await app.steering.checker.pollAll()
  await app.steering.checker.pollAll()
  t.equal(app.steering.registry.get('ams1')!.health.state, 'up')
  t.ok((await named()).has('ams1'), 'up again (upAfter 2): offered again, no stale answer without it either')
})

t.test('when its tokens expire a cached answer is signed again from its ranking, not ranked again', async (t) => {
  const stub = await healthStub(t, { ams1: ['t1'], fra1: ['t1'] })
  const cluster = clusterOf([ocaConfig('ams1', stub.url('ams1'), 'ams'), ocaConfig('fra1', stub.url('fra1'), 'fra')])
  const app = buildSteeringServer({ cluster, startHealthChecks: false, trustedProxies: ['127.0.0.1/32'] })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  await app.steering.checker.pollAll()
  const s = app.steering
  let ranks = 0
  const rank = s.rank.bind(s)
  s.rank = (...args) => {
    ranks++
    return rank(...args)
  }
  let exp = 1_900_000_020
  s.expiry = () => exp
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1/steer?title=t1`
  const steer = async () =>
    (await (await fetch(url, { headers: { 'x-forwarded-for': '10.1.2.3' } })).json()) as SteerBody & {
      expires: number
      candidates: Array<{ id: string; url: string }>
    }

  const first = await steer()
  t.equal(first.expires, exp)
  t.match(first.candidates[0]!.url, `/t/${exp}/`)
  await steer()
  t.equal(ranks, 1, 'ranked once; the second answer came from the cache')

  exp += 60 // the next minute's tokens
  const next = await steer()
  t.equal(next.expires, exp, 'the new expiry')
  t.same(
    next.candidates.map((c) => c.id),
    first.candidates.map((c) => c.id),
    'the same ranking',
  )
  t.match(next.candidates[0]!.url, `/t/${exp}/`, 'signed for the new expiry')
  t.not(next.candidates[0]!.url, first.candidates[0]!.url)
  t.equal(ranks, 1, 'and not ranked again')
})
