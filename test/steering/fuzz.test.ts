import fc from 'fast-check'
import t from 'tap'
import { buildSteeringServer } from '../../steering/server.js'
import { rawRequest } from '../oca/helpers.js'
import { clusterOf, listenUrl, ocaConfig, startTestOca } from './helpers.js'

/**
 * Property-based test of steering's HTTP surface: random routes, titles,
 * query strings (locations, pathways, throughput, junk and hostile
 * encodings) and client-address headers. Properties:
 *   - the server never fails a request with a 5xx other than its documented
 *     503 (no OCA can serve / the catalog cannot be read) and never dies;
 *   - every status is one of the documented set;
 *   - a JSON answer parses, and a 302 names an OCA of the fleet;
 *   - no answer shows the origin's internal address.
 * Seeded and bounded so it runs in seconds in `npm test`. Longer runs:
 *   OCLAB_FUZZ_RUNS=5000 npx tap test/steering/fuzz.test.ts (OCLAB_FUZZ_SEED replays a failure).
 */
const RUNS = Number(process.env.OCLAB_FUZZ_RUNS ?? 300)
const SEED = Number(process.env.OCLAB_FUZZ_SEED ?? 15_2026)
const DOCUMENTED = new Set([200, 302, 400, 404, 503])
// An address only the origin has: it must never reach a client.
const ORIGIN = 'http://127.0.0.2:9'

const urlChar = fc.constantFrom(...'abcxyz019-._~%/?=&:;,+'.split(''), '..', '%2e', '%2F', '%00', '%ZZ', '//', 'é', '東')
const junk = fc.string({ unit: urlChar, maxLength: 20 })
const title = fc.oneof(fc.constantFrom('t1', 't2', 'nosuch', '', 'T1', 't1%00', '..%2ft1'), junk)
const number = fc.oneof(fc.constantFrom('0', '-91', '91', '181', '-180', '1e309', 'NaN', 'Infinity', '52.37', '4.9', ''), fc.double().map(String), junk)
const queryPair = fc.oneof(
  fc.tuple(
    fc.constantFrom('title', 'lat', 'lon', '_HLS_pathway', '_HLS_throughput', '_DASH_pathway', '_DASH_throughput', 'exp', 'x'),
    fc.oneof(title, number, junk),
  ),
  fc.tuple(junk, junk),
)
const query = fc.array(queryPair, { maxLength: 5 }).map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : ''))
const route = fc.oneof(
  { weight: 4, arbitrary: fc.constant('/v1/steer') },
  { weight: 2, arbitrary: fc.tuple(title, junk).map(([id, p]) => `/v1/redirect/${id}/${p}`) },
  { weight: 2, arbitrary: fc.tuple(title, fc.constantFrom('master.m3u8', 'manifest.mpd')).map(([id, f]) => `/v1/play/${id}/${f}`) },
  { weight: 2, arbitrary: fc.constantFrom('/v1/steering/hls', '/v1/steering/dash') },
  { weight: 1, arbitrary: fc.constantFrom('/health', '/ocas', '/', '/v1/', '/v1/steer/extra') },
)
const clientIp = fc.oneof(
  fc.constantFrom(
    '10.1.2.3',
    '10.2.0.9',
    '10.3.255.255',
    '2001:db8:1::7',
    '192.0.2.1',
    '::ffff:10.1.2.3',
    'fe80::1%eth0',
    '1.2.3',
    '999.1.1.1',
    '10.1.2.3, 10.2.0.1',
    '',
  ),
  junk,
)

t.test('steering answers every request with a documented status and never exposes the origin', async (t) => {
  const a = await startTestOca(t, 'a1', ['t1', 't2'])
  const f = await startTestOca(t, 'f1', ['t1'])
  const cluster = clusterOf([ocaConfig('a1', a.url, 'ams', { bandwidthBps: 1e9 }), ocaConfig('f1', f.url, 'fra', { bandwidthBps: 1e9 })], {
    originUrl: ORIGIN,
    defaultSite: 'fra',
  })
  const app = buildSteeringServer({
    cluster,
    startHealthChecks: false,
    fillOnMiss: false,
    health: { slowMs: 60_000, timeoutMs: 30_000 },
    trustedProxies: ['127.0.0.1/32'],
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  await app.steering.checker.pollAll()
  const base = listenUrl(app)
  const ocaUrls = [a.url, f.url]

  let seen = 0
  await fc.assert(
    fc.asyncProperty(route, query, fc.option(clientIp, { nil: undefined }), async (path, q, ip) => {
      const headers: Record<string, string> = {}
      // node:http refuses header values with control or non-Latin-1 characters before sending; those are not the server's to answer.
      if (ip !== undefined && /^[\x20-\x7e]*$/.test(ip)) headers['x-forwarded-for'] = ip
      let got: Awaited<ReturnType<typeof rawRequest>>
      try {
        got = await rawRequest(base, path + q, { headers })
      } catch (err) {
        // A request line node:http will not write (e.g. a raw non-ASCII path) never reaches the server.
        if (err instanceof TypeError || (err as NodeJS.ErrnoException).code === 'ERR_UNESCAPED_CHARACTERS') return true
        throw err
      }
      seen++
      const where = `${path}${q} (x-forwarded-for ${JSON.stringify(ip)})`
      if (!DOCUMENTED.has(got.status)) throw new Error(`${where}: status ${got.status}: ${got.body.toString().slice(0, 200)}`)
      const text = got.body.toString('utf8')
      if (text.includes('127.0.0.2')) throw new Error(`${where}: the answer shows the origin's address: ${text.slice(0, 200)}`)
      if (String(got.headers['content-type'] ?? '').includes('json') && text !== '') JSON.parse(text)
      if (got.status === 302) {
        const loc = String(got.headers.location ?? '')
        if (!ocaUrls.some((u) => loc.startsWith(u))) throw new Error(`${where}: 302 to ${loc}, not an OCA of the fleet`)
      }
      return true
    }),
    { numRuns: RUNS, seed: SEED },
  )
  t.ok(seen > RUNS / 2, `most generated requests reached the server (${seen} of ${RUNS})`)
  const health = await rawRequest(base, '/health')
  t.equal(health.status, 200, 'steering still answers after the run')
})
