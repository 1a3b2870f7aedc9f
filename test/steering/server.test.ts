import { Parser } from 'm3u8-parser'
import { parse as parseMpd } from 'mpd-parser'
import t from 'tap'
import type { ClusterConfig } from '../../lib/cluster.js'
import { freePort } from '../../lib/free-port.js'
import type { CatalogEntry } from '../../origin/api.js'
import { buildSteeringServer, type SteeringServerOptions } from '../../steering/server.js'
import { rawRequest, startParent } from '../oca/helpers.js'
import { ADMIN, clusterOf, ocaConfig, startTestOca, type TestOca, writeTitle } from './helpers.js'

/** An origin catalog (origin/api.ts's shape, which steering checks) listing `ids`. */
const catalogOf = (ids: string[]): Buffer =>
  Buffer.from(JSON.stringify({ titles: ids.map((id): CatalogEntry => ({ id, duration: 2, bytes: 0, ladder: [], placedOn: [] })), invalid: {} }))

type Teardown = { teardown: (f: () => Promise<void>) => void }

interface Candidate {
  id: string
  site: string
  url: string
  holds: boolean
  reason: string
}
interface SteerBody {
  client: { ip: string; forwarded: boolean; site: string | null; how: string; cidr: string | null }
  candidates: Candidate[]
  expires: number | null
}
interface SteeringJson {
  VERSION: number
  TTL: number
  'RELOAD-URI': string
  'PATHWAY-PRIORITY': string[]
  'PATHWAY-CLONES'?: Array<{ 'BASE-ID': string; ID: string; 'URI-REPLACEMENT': Record<string, unknown> }>
}

async function startSteering(t: Teardown, cluster: ClusterConfig, extra: Partial<SteeringServerOptions> = {}) {
  const port = await freePort()
  cluster = { ...cluster, steering: { url: `http://127.0.0.1:${port}` } }
  const app = buildSteeringServer({
    cluster,
    startHealthChecks: false,
    fillOnMiss: false,
    health: { slowMs: 60_000, timeoutMs: 30_000 },
    trustedProxies: ['127.0.0.1/32'],
    ...extra,
  })
  await app.listen({ host: '127.0.0.1', port })
  t.teardown(() => app.close())
  await app.steering.checker.pollAll()
  return { app, url: cluster.steering.url }
}

const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers, redirect: 'manual' })
const json = async <T>(url: string, headers: Record<string, string> = {}): Promise<T> => (await get(url, headers)).json() as Promise<T>
const from = (ip: string) => ({ 'x-forwarded-for': ip })

/** ams (two OCAs), fra and nyc; nyc does not hold t1. */
async function fleet(t: Teardown): Promise<{ ocas: Record<string, TestOca>; cluster: ClusterConfig }> {
  const ocas = {
    ams1: await startTestOca(t, 'ams1', ['t1', 't2']),
    ams2: await startTestOca(t, 'ams2', ['t1', 't2']),
    fra1: await startTestOca(t, 'fra1', ['t1']),
    nyc1: await startTestOca(t, 'nyc1', ['t2']),
  }
  const site = { ams1: 'ams', ams2: 'ams', fra1: 'fra', nyc1: 'nyc' } as const
  const cluster = clusterOf(
    Object.values(ocas).map((o) => ocaConfig(o.id, o.url, site[o.id as keyof typeof site], { bandwidthBps: 1e9 })),
    { defaultSite: 'fra' },
  )
  return { ocas, cluster }
}

t.test('ranked URLs: coverage (v4 and v6), geo, default; signed URLs that the OCAs accept', async (t) => {
  const { cluster } = await fleet(t)
  const { url } = await startSteering(t, cluster)

  const amsRes = await get(`${url}/v1/steer?title=t1`, from('10.1.2.3'))
  t.match(Object.fromEntries(amsRes.headers), {
    'cache-control': 'no-store',
    'content-type': 'application/json; charset=utf-8',
    'access-control-allow-origin': '*',
  })
  const ams = (await amsRes.json()) as SteerBody
  t.match(ams.client, { ip: '10.1.2.3', forwarded: true, site: 'ams', how: 'coverage', cidr: '10.1.0.0/16' })
  t.same(
    ams.candidates.map((c) => c.site),
    ['ams', 'ams', 'fra'],
    'own site (both OCAs), then the next site; nyc lacks the title',
  )
  t.match(ams.candidates[0]?.reason, /own site ams \(coverage\), rendezvous #1 of 2/)
  for (const c of ams.candidates) {
    t.match(c.url, /^http:\/\/127\.0\.0\.1:\d+\/t\/\d+\/[A-Za-z0-9_-]{43}\/titles\/t1\/$/)
    const res = await get(`${c.url}v180p-300k/seg-00001.m4s`)
    t.equal(res.status, 200, `${c.id} serves the signed URL`)
    await res.arrayBuffer()
  }
  t.same((await json<SteerBody>(`${url}/v1/steer?title=t1`, from('2001:db8:1::77'))).client.site, 'ams', 'IPv6 coverage')
  const one = await json<SteerBody>(`${url}/v1/steer?title=t1&n=1`, from('10.1.2.3'))
  t.same(
    one.candidates.map((c) => c.id),
    [ams.candidates[0]?.id],
    'n limits the list',
  )
  const again = await json<SteerBody>(`${url}/v1/steer?title=t1`, from('10.1.9.9'))
  t.same(
    again.candidates.map((c) => c.id),
    ams.candidates.map((c) => c.id),
    'deterministic for the same title',
  )

  const boston = await json<SteerBody>(`${url}/v1/steer?title=t1&lat=42.36&lon=-71.06`, from('192.0.2.1'))
  t.match(boston.client, { site: 'nyc', how: 'geo' })
  t.same(boston.candidates.map((c) => c.id).slice(-1), ['fra1'], 'from Boston Amsterdam is nearer than Frankfurt')
  const t2 = await json<SteerBody>(`${url}/v1/steer?title=t2&lat=42.36&lon=-71.06`, from('192.0.2.1'))
  t.equal(t2.candidates[0]?.id, 'nyc1', 'the own (geo) site first when it holds the title')

  const nowhere = await json<SteerBody>(`${url}/v1/steer?title=t1`, from('192.0.2.1'))
  t.match(nowhere.client, { site: 'fra', how: 'default' })
  t.equal(nowhere.candidates[0]?.id, 'fra1')

  const none = await get(`${url}/v1/steer?title=unknown-title`)
  t.equal(none.status, 503)
  t.equal(none.headers.get('access-control-allow-origin'), '*')
  // no OCA holds it and this cluster's origin is not there to say whether it exists
  t.match(await none.json(), {
    error: /no healthy OCA can serve title unknown-title: none holds it and the origin's catalog cannot be read/,
    code: 'OCLAB_ERR_PARENT_FAILED',
  })
})

t.test('X-Forwarded-For from an untrusted peer is ignored', async (t) => {
  const { cluster } = await fleet(t)
  const { url } = await startSteering(t, cluster, { trustedProxies: [] })
  const body = await json<SteerBody>(`${url}/v1/steer?title=t1`, from('10.1.2.3'))
  t.match(body.client, { ip: '127.0.0.1', forwarded: false, site: 'fra', how: 'default' })
  const proxied = await startSteering(t, cluster, { trustedProxies: ['10.0.0.0/8'] })
  t.match(
    (await json<SteerBody>(`${proxied.url}/v1/steer?title=t1`, from('10.1.2.3'))).client,
    { ip: '127.0.0.1', forwarded: false },
    'a trusted range that is not the peer changes nothing',
  )
})

t.test('malformed queries are 400 with the reason', async (t) => {
  const { cluster } = await fleet(t)
  const { url } = await startSteering(t, cluster)
  const bad = [
    '/v1/steer',
    '/v1/steer?title=',
    '/v1/steer?title=..%2Fetc',
    '/v1/steer?title=t1&lat=200&lon=0',
    '/v1/steer?title=t1&lat=1',
    '/v1/steer?title=t1&lat=north&lon=0',
    '/v1/steer?title=t1&n=0',
    '/v1/play/t1/master.m3u8?lat=1',
    '/v1/play/bad%20id/master.m3u8',
    '/v1/steering/hls?title=t1&_HLS_throughput=fast',
    '/v1/steering/hls?title=t1&_HLS_pathway=a%20b',
    '/v1/steering/hls?title=t1&pathways=a,,b',
    '/v1/steering/hls',
    '/v1/steering/dash?title=t1&_DASH_throughput=1,x',
    '/v1/redirect/t1/..%2Fx',
  ]
  for (const path of bad) {
    const res = await get(`${url}${path}`)
    t.equal(res.status, 400, path)
    t.equal(res.headers.get('access-control-allow-origin'), '*', `${path}: readable by a player's page`)
    t.match(await res.json(), { error: /./ }, `${path}: says why`)
  }
  // sent raw: fetch would resolve the dots before they reach the server
  const dots = await rawRequest(url, '/v1/redirect/t1/a/../../x.m4s')
  t.equal(dots.status, 400, 'dot segments in a redirect path')
})

t.test('302 mode: Location is the best OCA, signed, and serves the file', async (t) => {
  const { ocas, cluster } = await fleet(t)
  const { url } = await startSteering(t, cluster)
  const res = await get(`${url}/v1/redirect/t1/v180p-300k/seg-00002.m4s`, from('10.2.0.1'))
  t.equal(res.status, 302)
  t.equal(res.headers.get('access-control-allow-origin'), '*')
  const loc = res.headers.get('location')!
  t.match(loc, new RegExp(`^${ocas.fra1!.url}/t/\\d+/[A-Za-z0-9_-]{43}/titles/t1/v180p-300k/seg-00002\\.m4s$`))
  const seg = await get(loc)
  t.equal(seg.status, 200)
  const bytes = Buffer.from(await seg.arrayBuffer())
  const expected = await writeTitle(t.testdir(), 'ref')
  t.ok(bytes.equals(expected.get('v180p-300k/seg-00002.m4s')!), 'the bytes of that segment')
  const none = await get(`${url}/v1/redirect/zzz/a.m4s`)
  t.equal(none.status, 503)
  t.equal(none.headers.get('access-control-allow-origin'), '*')
})

t.test('rewritten manifests parse and every URI points at an OCA holding the title', async (t) => {
  const { ocas, cluster } = await fleet(t)
  const { url } = await startSteering(t, cluster)
  const holders = new Set([ocas.ams1!.url, ocas.ams2!.url, ocas.fra1!.url])

  const res = await get(`${url}/v1/play/t1/master.m3u8`, from('10.1.0.5'))
  t.equal(res.status, 200)
  t.equal(res.headers.get('content-type'), 'application/vnd.apple.mpegurl')
  t.equal(res.headers.get('access-control-allow-origin'), '*')
  const p = new Parser()
  p.push(await res.text())
  p.end()
  const m = p.manifest as unknown as {
    playlists: Array<{ uri: string; attributes: Record<string, string> }>
    contentSteering: { serverUri: string; pathwayId: string }
    mediaGroups: { AUDIO: Record<string, Record<string, { uri: string }>> }
  }
  t.equal(m.playlists.length, 3, 'one variant on three pathways')
  t.same(m.playlists.map((x) => x.attributes['PATHWAY-ID']).slice(2), ['fra1'])
  t.equal(m.contentSteering.pathwayId, m.playlists[0]?.attributes['PATHWAY-ID'])
  t.match(m.contentSteering.serverUri, new RegExp(`^${url}/v1/steering/hls\\?title=t1&exp=\\d+&pathways=ams[12],ams[12],fra1$`))
  const uris = [...m.playlists.map((x) => x.uri), ...Object.values(m.mediaGroups.AUDIO).flatMap((g) => Object.values(g).map((r) => r.uri))]
  t.equal(uris.length, 6)
  for (const u of uris) {
    t.ok(holders.has(new URL(u).origin), `${u} is on an OCA holding t1`)
    const media = await get(u)
    t.equal(media.status, 200, `${u} is served`)
    // and the media playlist's relative segment URIs resolve under the same signed prefix
    const seg = await get(new URL('seg-00001.m4s', u).href)
    t.equal(seg.status, 200)
    await seg.arrayBuffer()
  }

  const mpdRes = await get(`${url}/v1/play/t1/manifest.mpd?lat=50&lon=8`, from('192.0.2.1'))
  t.equal(mpdRes.status, 200)
  t.equal(mpdRes.headers.get('content-type'), 'application/dash+xml')
  const mpd = parseMpd(await mpdRes.text(), { manifestUri: `${url}/v1/play/t1/manifest.mpd` }) as unknown as {
    playlists: Array<{ attributes: { serviceLocation: string }; segments: Array<{ resolvedUri: string }> }>
    contentSteering: { serverURL: string; defaultServiceLocation: string; queryBeforeStart: boolean }
  }
  t.match(mpd.contentSteering, {
    defaultServiceLocation: 'fra1',
    queryBeforeStart: true,
    serverURL: new RegExp(`^${url}/v1/steering/dash\\?title=t1&exp=\\d+&pathways=fra1,ams[12],ams[12]&lat=50&lon=8$`),
  })
  t.equal(mpd.playlists.length, 3)
  for (const pl of mpd.playlists) {
    const seg = pl.segments[0]!.resolvedUri
    t.ok(seg.startsWith(ocas[pl.attributes.serviceLocation as keyof typeof ocas]!.url), `${pl.attributes.serviceLocation}: ${seg}`)
    const r = await get(seg)
    t.equal(r.status, 200)
    await r.arrayBuffer()
  }

  t.equal((await get(`${url}/v1/play/zzz/master.m3u8`)).status, 503, 'nobody holds it')
  // an origin whose package manifest is broken: the upstream's fault, 502
  const origin = await startParent(t, { '/titles/t3/master.m3u8': Buffer.from('not a playlist'), '/catalog': catalogOf(['t3']) })
  const broken = await startSteering(t, { ...cluster, origin: { url: origin.url } }, { fillOnMiss: true })
  const r = await get(`${broken.url}/v1/play/t3/master.m3u8`)
  t.equal(r.status, 502)
  t.match(await r.json(), { error: /#EXTM3U/ })
  t.equal((await get(`${broken.url}/v1/play/t4/manifest.mpd`)).status, 404, 'nowhere has the title')
})

t.test('unknown titles get 404 with a code; no error body shows an internal address', async (t) => {
  const { cluster } = await fleet(t)
  // the origin lists t1, t2 (on OCAs), t5 (on no OCA yet: OCAs fill it) and t6 (whose manifest fetch fails)
  const origin = await startParent(t, { '/catalog': catalogOf(['t1', 't2', 't5', 't6']) })
  origin.handler = async (req, res) => {
    if (!req.url?.startsWith('/titles/t6/')) return false
    res.writeHead(500).end()
    return true
  }
  const { url } = await startSteering(t, { ...cluster, origin: { url: origin.url } }, { fillOnMiss: true })
  const internal = new URL(origin.url).host
  for (const path of ['/v1/steer?title=nosuch', '/v1/play/nosuch/master.m3u8', '/v1/play/nosuch/manifest.mpd', '/v1/redirect/nosuch/v1/seg-00001.m4s']) {
    const res = await get(`${url}${path}`, from('10.1.2.3'))
    t.equal(res.status, 404, `${path}: 404`)
    t.equal(res.headers.get('access-control-allow-origin'), '*')
    t.same(await res.json(), { error: 'unknown title nosuch', code: 'OCLAB_ERR_UNKNOWN_TITLE' }, `${path}: says so with a code`)
  }
  const t5 = await get(`${url}/v1/steer?title=t5`, from('10.1.2.3'))
  t.equal(t5.status, 200, 'a title in the catalog that no OCA holds yet is steered to OCAs that fill it')
  t.ok(((await t5.json()) as SteerBody).candidates.every((c) => !c.holds))
  const missing = await get(`${url}/v1/play/t5/master.m3u8`)
  t.equal(missing.status, 404)
  const failing = await get(`${url}/v1/play/t6/master.m3u8`)
  t.equal(failing.status, 502, 'the origin failing the manifest: 502')
  for (const [what, res] of [
    ['404', missing],
    ['502', failing],
  ] as const) {
    const text = await res.text()
    t.notMatch(text, internal, `the ${what} body does not show the origin's address`)
    t.notMatch(text, /127\.0\.0\.1|localhost|https?:\/\//, `nor any address (${text})`)
    t.match(JSON.parse(text), { code: /^OCLAB_ERR_/ })
  }
  t.equal(origin.count.get('/catalog'), 1, 'the catalog was read once for all of that (within its refresh interval)')
})

t.test("Content Steering: a suspect OCA that is the player's current pathway is not kept first", async (t) => {
  const { ocas, cluster } = await fleet(t)
  const { app, url } = await startSteering(t, cluster)
  const master = await (await get(`${url}/v1/play/t1/master.m3u8`, from('10.1.0.5'))).text()
  const serverUri = /SERVER-URI="([^"]+)"/.exec(master)![1]!
  const [best, second] = (await json<SteeringJson>(serverUri, from('10.1.0.5')))['PATHWAY-PRIORITY']
  t.same(
    (await json<SteeringJson>(`${serverUri}&_HLS_pathway=${second}`, from('10.1.0.5')))['PATHWAY-PRIORITY'][0],
    second,
    'healthy: the current pathway is kept',
  )
  // one failed poll: suspect, not yet down
  await ocas[second as keyof typeof ocas]!.app.close()
  await app.steering.checker.pollAll()
  t.match(
    (await json<{ ocas: Array<{ id: string; state: string }> }>(`${url}/ocas`)).ocas.find((o) => o.id === second),
    { state: 'suspect' },
  )
  const now = (await json<SteeringJson>(`${serverUri}&_HLS_pathway=${second}`, from('10.1.0.5')))['PATHWAY-PRIORITY']
  t.same(now, [best, 'fra1', second], 'the suspect current pathway goes last')
})

t.test('HLS and DASH steering manifests follow health; 410 and 429', async (t) => {
  const { ocas, cluster } = await fleet(t)
  const { app, url } = await startSteering(t, cluster, { steeringTtlSeconds: 3 })
  const master = await (await get(`${url}/v1/play/t1/master.m3u8`, from('10.1.0.5'))).text()
  const serverUri = /SERVER-URI="([^"]+)"/.exec(master)![1]!
  const first = await json<SteeringJson>(`${serverUri}&_HLS_pathway=fra1&_HLS_throughput=2000000`, from('10.1.0.5'))
  t.match(first, { VERSION: 1, TTL: 3 })
  t.equal(first['RELOAD-URI'], serverUri, 'reload keeps the session, without the player parameters')
  const [best, second] = first['PATHWAY-PRIORITY']
  t.same(first['PATHWAY-PRIORITY'].slice(2), ['fra1'], 'the player on fra1 is sent home to ams')

  const kept = await json<SteeringJson>(`${serverUri}&_HLS_pathway=${second}`, from('10.1.0.5'))
  t.same(kept['PATHWAY-PRIORITY'], [second, best, 'fra1'], 'a player already on the other ams OCA stays there')

  // best starts draining: its pathway leaves the list at the next poll
  const bestOca = ocas[best as keyof typeof ocas]!
  bestOca.app.oca.draining = true
  await app.steering.checker.pollAll()
  const drained = await json<SteeringJson>(serverUri, from('10.1.0.5'))
  t.same(drained['PATHWAY-PRIORITY'], [second, 'fra1'])
  const view = (await json<{ ocas: Array<{ id: string; state: string; reason: string; titles: string[] }> }>(`${url}/ocas`)).ocas
  t.match(
    view.find((o) => o.id === best),
    { state: 'down', reason: 'reports draining', titles: ['t1', 't2'] },
  )
  t.match(
    view.find((o) => o.id === 'nyc1'),
    { state: 'up', reason: 'healthy', titles: ['t2'] },
  )

  const dash = await json<SteeringJson>(
    `${url}/v1/steering/dash?title=t1&pathways=ams1,ams2,fra1&_DASH_pathway=%22fra1,${second}%22&_DASH_throughput=5000000,100`,
    from('10.1.0.5'),
  )
  t.same(dash['PATHWAY-PRIORITY'], [second, 'fra1'], 'DASH: same ranking; fra1 (its best measured) is not kept over its own site')
  // dash.js 5 leaves the throughput of a pathway it has not measured empty
  const unmeasured = await json<SteeringJson>(
    `${url}/v1/steering/dash?title=t1&pathways=ams1,ams2,fra1&_DASH_pathway=%22fra1,${second}%22&_DASH_throughput=5000000,`,
    from('10.1.0.5'),
  )
  t.same(unmeasured['PATHWAY-PRIORITY'], [second, 'fra1'], 'DASH: an empty throughput entry is read as unmeasured, not refused')

  // and back once healthy: upAfter good polls
  bestOca.app.oca.draining = false
  await app.steering.checker.pollAll()
  t.same((await json<SteeringJson>(serverUri, from('10.1.0.5')))['PATHWAY-PRIORITY'].length, 2, 'one good poll is not enough (hysteresis)')
  await app.steering.checker.pollAll()
  t.same((await json<SteeringJson>(serverUri, from('10.1.0.5')))['PATHWAY-PRIORITY'], [best, second, 'fra1'], 'the failed pathway comes back')

  const gone = await get(`${url}/v1/steering/hls?title=t1&exp=1000&pathways=ams1`)
  t.equal(gone.status, 410, 'an expired session ends steering')

  const busy = await startSteering(t, cluster, { steeringRate: { perSecond: 0.01, burst: 1 } })
  t.equal((await get(`${busy.url}/v1/steering/hls?title=t1`)).status, 200)
  const limited = await get(`${busy.url}/v1/steering/dash?title=t1`)
  t.equal(limited.status, 429)
  t.ok(Number(limited.headers.get('retry-after')) >= 1, `Retry-After ${limited.headers.get('retry-after')}`)
})

t.test('POST /admin/ocas adds and removes OCAs; a new OCA of a known site is offered as a clone', async (t) => {
  const { cluster } = await fleet(t)
  const { app, url } = await startSteering(t, cluster)
  const post = (body: unknown, token = ADMIN) =>
    fetch(`${url}/admin/ocas`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    })
  t.equal((await fetch(`${url}/admin/ocas`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"remove":[]}' })).status, 401)
  t.equal((await post({ remove: [] }, 'wrong-token-0123456789')).status, 403)
  t.equal((await post({ add: [{ id: 'x' }] })).status, 400, 'an invalid OCA entry')
  t.equal(
    (await post({ add: [ocaConfig('bad', 'http://127.0.0.1:9', 'fra', { coverage: ['10.1.0.0/16'] })] })).status,
    400,
    'coverage that collides with another site',
  )

  const ams3 = await startTestOca(t, 'ams3', ['t1'])
  const added = await post({ add: [ocaConfig('ams3', ams3.url, 'ams')] })
  t.equal(added.status, 200)
  t.match(await added.json(), { added: ['ams3'], removed: [], ocas: ['ams1', 'ams2', 'fra1', 'nyc1', 'ams3'] })
  await app.steering.checker.pollAll()
  const hls = await json<SteeringJson>(`${url}/v1/steering/hls?title=t1&pathways=ams1,ams2,fra1`, from('10.1.0.5'))
  t.ok(hls['PATHWAY-PRIORITY'].includes('ams3'))
  const clone = hls['PATHWAY-CLONES']!.find((c) => c.ID === 'ams3')!
  t.match(clone, { 'BASE-ID': /^ams[12]$/ })
  const perVariant = clone['URI-REPLACEMENT']['PER-VARIANT-URIS'] as Record<string, string>
  t.match(perVariant['v180p-300k/index.m3u8'], new RegExp(`^${ams3.url}/t/\\d+/`), 'another port: per-variant URIs on the new OCA')
  const r = await get(perVariant['v180p-300k/index.m3u8']!)
  t.equal(r.status, 200, 'and they are served')
  await r.arrayBuffer()
  const dash = await json<SteeringJson>(`${url}/v1/steering/dash?title=t1&pathways=ams1,ams2,fra1`, from('10.1.0.5'))
  t.same(dash['PATHWAY-CLONES']!.find((c) => c.ID === 'ams3')!['URI-REPLACEMENT'], { HOST: new URL(ams3.url).host })

  const removed = await post({ remove: ['ams3', 'nope'] })
  t.match(await removed.json(), { removed: ['ams3'] })
  t.notOk((await json<SteeringJson>(`${url}/v1/steering/hls?title=t1&pathways=ams1,ams2,fra1`, from('10.1.0.5')))['PATHWAY-PRIORITY'].includes('ams3'))
})
