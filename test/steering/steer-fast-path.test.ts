import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import Fastify from 'fastify'
import t from 'tap'
import { buildSteeringServer } from '../../steering/server.js'
import { answerBeforeFastify, plainQuery } from '../../steering/steer-fast-path.js'
import { rawRequest } from '../oca/helpers.js'
import { clusterOf, listenUrl, ocaConfig, startTestOca } from './helpers.js'

/**
 * The /v1/steer requests answered before Fastify routes them must be answered
 * exactly as Fastify's route answers them: the same status, headers and bytes.
 * Each request goes both ways over HTTP: as it is (the fast path takes it, which
 * an onRequest counter proves) and with an ignored parameter the fast path
 * declines (`x=%20`: percent-encoded), which Fastify routes.
 */
const RUNS = Number(process.env.OCLAB_FUZZ_RUNS ?? 300)
const SEED = Number(process.env.OCLAB_FUZZ_SEED ?? 21_2027)

t.test('the fast path answers byte for byte as the Fastify route, and only what it should', async (t) => {
  const a = await startTestOca(t, 'a1', ['t1', 't2'])
  const f = await startTestOca(t, 'f1', ['t1'])
  const cluster = clusterOf(
    [ocaConfig('a1', a.url, 'ams', { coverage: ['10.1.0.0/16', '2001:db8:1::/48'] }), ocaConfig('f1', f.url, 'fra', { coverage: ['10.2.0.0/16'] })],
    { defaultSite: 'fra' },
  )
  const app = buildSteeringServer({ cluster, startHealthChecks: false, fillOnMiss: false, trustedProxies: ['127.0.0.1/32'], catalogRefreshMs: 60_000 })
  let routed = 0
  app.addHook('onRequest', async () => {
    routed++
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  await app.steering.checker.pollAll()
  const url = listenUrl(app)

  const answer = async (path: string, xff?: string) => {
    const r = await rawRequest(url, path, { headers: xff === undefined ? {} : { 'x-forwarded-for': xff } })
    const { date: _date, ...headers } = r.headers
    return { status: r.status, headers, body: r.body.toString('latin1') }
  }
  const both = async (query: string, xff?: string) => {
    const before = routed
    const fast = await answer(`/v1/steer?${query}`, xff)
    const tookFast = routed === before
    const viaFastify = await answer(`/v1/steer?${query}&x=%20`, xff)
    return { fast, viaFastify, tookFast, routedSecond: routed === before + 1 }
  }

  const cases: Array<[string, string | undefined]> = [
    ['title=t1', '10.1.2.3'],
    ['title=t1', '10.2.0.9'],
    ['title=t2', '2001:db8:1::7'],
    ['title=t1', '::ffff:10.1.2.3'],
    ['title=t1', '192.0.2.1'],
    ['title=t1', '10.1.2.3, 10.2.0.1'],
    ['title=t1', 'junk'],
    ['title=t1', undefined],
    ['title=t1&lat=52.37&lon=4.9', '10.1.2.3'],
    ['title=t1&lat=40.7&lon=-74', '192.0.2.1'],
    ['title=t1&n=1', '10.1.2.3'],
    ['n=2&title=t1&other=1', '10.2.0.9'],
    ['title=t1&lat=Infinity&lon=1', '10.1.2.3'],
  ]
  for (const [query, xff] of cases) {
    const r = await both(query, xff)
    t.ok(r.tookFast, `${query} from ${xff}: answered before Fastify`)
    t.ok(r.routedSecond, `${query} from ${xff}: the variant went through Fastify`)
    t.equal(r.fast.status, 200, `${query} from ${xff}`)
    t.same(r.fast, r.viaFastify, `${query} from ${xff}: same status, headers and bytes`)
  }

  // Declined: Fastify answers them (its 400s, the async check of a title nobody holds, other methods and paths).
  for (const path of [
    '/v1/steer',
    '/v1/steer?',
    '/v1/steer?title=',
    '/v1/steer?title=t1&title=t2',
    '/v1/steer?title=t1&lat=1',
    '/v1/steer?title=nosuch',
    '/v1/steer/?title=t1',
    '/v1/steer?title=t1&',
  ]) {
    const before = routed
    await answer(path, '10.1.2.3')
    t.equal(routed, before + 1, `${path}: left to Fastify`)
  }
  const head = await rawRequest(url, '/v1/steer?title=t1', { method: 'HEAD' })
  t.equal(head.status, 404, 'HEAD is still not a route (exposeHeadRoutes off), as before')

  // Random queries and addresses: whichever path takes one, it answers as Fastify's route.
  const value = fc.oneof(
    fc.constantFrom('t1', 't2', 'nosuch', '', '1', '52.37', '-74', '3', '0', 'Infinity', '1e1', '0x10', ' ', '.5'),
    fc.string({ maxLength: 6 }),
  )
  const pair = fc
    .tuple(fc.constantFrom('title', 'lat', 'lon', 'n', 'x'), value)
    .map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%20/g, ' ').replace(/ /g, '')}`)
  const xff = fc.constantFrom('10.1.2.3', '10.2.0.9', '2001:db8:1::7', '192.0.2.1', 'junk', '10.1.2.3, 10.2.0.1')
  await fc.assert(
    fc.asyncProperty(fc.array(pair, { minLength: 1, maxLength: 4 }), xff, async (pairs, from) => {
      const query = pairs.join('&')
      const r = await both(query, from)
      // The variant may differ only where it is another request: a 400 for a bad query names the same first problem.
      if (JSON.stringify(r.fast) !== JSON.stringify(r.viaFastify)) throw new Error(`${query} from ${from}: ${JSON.stringify(r)}`)
    }),
    { numRuns: RUNS, seed: SEED },
  )
  t.pass(`${RUNS} random queries answered alike by both paths`)
})

t.test("plainQuery reads what Fastify's query parser reads, or declines", async (t) => {
  const ref = Fastify()
  ref.get('/q', async (req) => req.query)
  await ref.ready()
  t.teardown(() => ref.close())
  const ch = fc.constantFrom(...'tilenoa=&1.-_%+#2F é'.split(''), 'title', 'lat', 'lon', 'n', '%20', '%2e')
  let taken = 0
  await fc.assert(
    fc.asyncProperty(fc.string({ unit: ch, maxLength: 30 }), async (qs) => {
      const mine = plainQuery(`/v1/steer?${qs}`, 10)
      if (!mine) return
      taken++
      const theirs = (await ref.inject(`/q?${encodeURI(qs)}`)).json() as Record<string, unknown>
      for (const k of ['title', 'lat', 'lon', 'n'] as const)
        if (mine[k] !== theirs[k]) throw new Error(`${qs}: ${k} read as ${JSON.stringify(mine[k])}, Fastify ${JSON.stringify(theirs[k])}`)
    }),
    { numRuns: 2000, seed: SEED },
  )
  t.ok(taken > 100, `plain query strings were read (${taken} of 2000)`)
  t.same(plainQuery('/v1/steer?title=a&lat=1&lon=2&n=3&x=y', 10), { title: 'a', lat: '1', lon: '2', n: '3' })
  t.equal(plainQuery('/v1/steer?title=a%20b', 10), undefined, 'percent-encoding: declined')
  t.equal(plainQuery('/v1/steer?title=a&title=b', 10), undefined, 'a repeated parameter: declined')
  t.equal(plainQuery('/v1/steer?title', 10), undefined, 'no value: declined')
})

t.test('a fast path that throws costs one log line, not the process: Fastify answers instead', async (t) => {
  const app = Fastify()
  app.get('/x', async () => ({ from: 'route' }))
  let calls = 0
  answerBeforeFastify(app, () => {
    calls++
    throw new Error('a bug in the fast path')
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const { port } = app.server.address() as AddressInfo
  for (let i = 0; i < 2; i++) {
    const r = await fetch(`http://127.0.0.1:${port}/x`)
    t.equal(r.status, 200)
    t.same(await r.json(), { from: 'route' })
  }
  t.equal(calls, 2, 'the fast path was asked each time, and the server lived on')
})
