import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { request } from 'undici'
import { validateCluster } from '../../lib/cluster.js'
import { freePort } from '../../lib/free-port.js'
import { etagForSha256 } from '../../lib/http/conditional.js'
import { readTitle } from '../../lib/title-package.js'
import { prepositionViaAdmin } from '../../origin/client.js'
import { ingestPackage } from '../../origin/ingest.js'
import { MasterStore } from '../../origin/master-store.js'
import { type PopularityModel, popularityFromFile } from '../../origin/popularity.js'
import type { PrepositionReport, SiteReport } from '../../origin/preposition.js'
import { buildOriginServer, prepositionAndRecord } from '../../origin/server.js'
import { flipBits } from '../helpers/bytes.js'
import { tempDir } from '../helpers/package.js'
import { waitFor } from '../helpers/wait.js'
import { ADMIN, auth, clonePackage, startOca, twoRungPackage } from './helpers.js'

const get = async (url: string, headers: Record<string, string> = {}) => {
  const r = await request(url, { headers })
  return { status: r.statusCode, headers: r.headers, body: Buffer.from(await r.body.arrayBuffer()) }
}

t.test('origin and OCAs: serve like an OCA, tiered and idempotent pre-positioning, a down OCA, evictions, a corrupted source', async (t) => {
  const dir = await tempDir(t, 'oclab-origin-')
  const pkg = await twoRungPackage(dir)
  const originStore = join(dir, 'origin')
  for (const id of ['alpha', 'beta', 'gamma']) {
    const src = id === 'alpha' ? pkg : await clonePackage(pkg, join(dir, 'pkg', id), id)
    t.equal((await ingestPackage(src, originStore)).outcome, 'added')
  }
  const alpha = await readTitle(join(originStore, 'titles', 'alpha'))
  const top = alpha.video.find((v) => v.id === 'v180p-300k')!
  const low = alpha.video.find((v) => v.id === 'v90p-100k')!

  let model: PopularityModel | undefined
  const originUrl = `http://127.0.0.1:${await freePort()}`
  const a1 = await startOca(t, { id: 'a1', site: 'ams', storeDir: join(dir, 'a1'), parentUrl: originUrl, missMode: 'fill' })
  const a2 = await startOca(t, { id: 'a2', site: 'lhr', storeDir: join(dir, 'a2'), parentUrl: originUrl })
  const b1 = await startOca(t, { id: 'b1', site: 'nyc', storeDir: join(dir, 'b1'), parentUrl: originUrl })
  const downUrl = `http://127.0.0.1:${await freePort()}`
  const oca = (id: string, url: string, site: string, region: string) => ({ id, url, site, region, lat: 0, lon: 0, coverage: [], capacityBytes: 1e8 })
  const cluster = validateCluster({
    version: 1,
    adminToken: ADMIN,
    origin: { url: originUrl },
    steering: { url: 'http://127.0.0.1:9' },
    ocas: [oca('a1', a1.url, 'ams', 'eu'), oca('a2', a2.url, 'lhr', 'eu'), oca('b1', b1.url, 'nyc', 'us'), oca('d1', downUrl, 'fra', 'eu')],
  })
  const origin = buildOriginServer({ storeDir: originStore, cluster, popularity: async () => model!, preposition: { pollMs: 20 } })
  await origin.listen({ host: '127.0.0.1', port: Number(new URL(originUrl).port) })
  t.teardown(() => origin.close())

  // Serving parity with an OCA: same ETag (from the listed sha256), Range, conditionals, CORS.
  const seg = top.segments[0]!
  const full = await get(`${originUrl}/titles/alpha/${seg.uri}`)
  t.equal(full.status, 200)
  t.equal(full.headers.etag, etagForSha256(seg.sha256))
  t.equal(full.headers['access-control-allow-origin'], '*')
  t.equal(full.body.length, seg.bytes)
  const part = await get(`${originUrl}/titles/alpha/${seg.uri}`, { range: 'bytes=10-19' })
  t.equal(part.status, 206)
  t.ok(part.body.equals(full.body.subarray(10, 20)))
  t.equal((await get(`${originUrl}/titles/alpha/${seg.uri}`, { 'if-none-match': String(full.headers.etag) })).status, 304)
  t.equal((await get(`${originUrl}/titles/alpha/../x`)).status, 400)
  t.equal((await get(`${originUrl}/titles/nope/master.m3u8`)).status, 404)

  const store = new MasterStore(originStore)
  const setDemand = (eu: Record<string, number>, us: Record<string, number>) => {
    model = popularityFromFile({ version: 1, regions: { eu: { views: eu }, us: { views: us, rungShare: [0, 1] } } }, ['alpha', 'beta', 'gamma', 'delta'])
  }
  const run = async (): Promise<PrepositionReport & { by: Record<string, SiteReport> }> => {
    const r = await prepositionAndRecord({ cluster, store, model: model!, pollMs: 20, concurrencyPerSite: 2 })
    return { ...r, by: Object.fromEntries(r.sites.map((s) => [s.oca, s])) }
  }

  await t.test('first run: tiered fill (a2 copies from a1), rungs per region, d1 down and skipped', async (t) => {
    setDemand({ alpha: 10, beta: 5, gamma: 1 }, { alpha: 10 })
    const before = origin.origin.bytesServed
    const r = await run()
    t.equal(r.by.d1!.status, 'down')
    t.match(r.by.d1!.error, /ECONNREFUSED|connect/)
    for (const id of ['a1', 'a2', 'b1']) {
      const s = r.by[id]!
      t.equal(s.status, 'ok', `${id} ok`)
      t.ok(s.bytesToFill > 0)
      t.equal(s.bytesFilled, s.bytesToFill, `${id}: everything sent`)
      t.equal(s.bytesVerified, s.bytesToFill, `${id}: everything verified`)
      t.equal(s.bytesFailed, 0)
    }
    t.equal(r.by.a2!.bytesFromOrigin, 0, 'a2 filled only from its peer')
    t.equal(r.by.a2!.bytesFromPeers, r.by.a2!.bytesToFill)
    t.equal(r.by.a1!.bytesFromOrigin, r.by.a1!.bytesToFill)
    t.equal(origin.origin.bytesServed - before, r.by.a1!.bytesToFill + r.by.b1!.bytesToFill, 'the origin sent each title once per region')
    t.equal(r.by.b1!.titlesPlanned, 1, 'us wants only alpha')

    // b1's clients use only the low rung: it holds no top-rung file.
    const held = (await (await request(`${b1.url}/admin/titles`, { headers: auth })).body.json()) as { titles: { id: string; files: { path: string }[] }[] }
    const paths = held.titles[0]!.files.map((f) => f.path)
    t.ok(paths.includes(low.segments[0]!.uri))
    t.notOk(paths.some((p) => p.startsWith(`${top.id}/`)))
    // a2 serves the same bytes and ETag as the origin.
    const fromA2 = await get(`${a2.url}/titles/alpha/${seg.uri}`)
    t.equal(fromA2.status, 200)
    t.ok(fromA2.body.equals(full.body))
    t.equal(fromA2.headers.etag, full.headers.etag)
  })

  await t.test('re-run: nothing is sent again', async (t) => {
    const before = origin.origin.bytesServed
    const a1Before = a1.app.oca.fills.size
    const r = await run()
    for (const id of ['a1', 'a2', 'b1']) {
      t.equal(r.by[id]?.bytesToFill, 0)
      t.equal(r.by[id]?.bytesFilled, 0)
    }
    t.equal(origin.origin.bytesServed, before, 'zero bytes from the origin')
    t.equal(a1.app.oca.fills.size, a1Before, 'no fill was even started')
  })

  await t.test('a title dropped from the plan is evicted after the new ones are in', async (t) => {
    setDemand({ alpha: 10, beta: 5 }, { alpha: 10, beta: 1 })
    const r = await run()
    t.same(r.by.a1!.evicted, ['gamma'])
    t.same(r.by.a2!.evicted, ['gamma'])
    t.ok(r.by.b1!.bytesFilled > 0, 'b1 got beta')
    t.notOk(a1.app.oca.store.titleIds().includes('gamma'))
  })

  await t.test('a corrupted file at the origin is caught by the OCA checksum, reported and never served', async (t) => {
    await clonePackage(pkg, join(originStore, 'titles', 'delta'), 'delta')
    const bad = join(originStore, 'titles', 'delta', seg.uri)
    const bytes = await readFile(bad)
    flipBits(bytes, bytes.length - 1, 0xff) // same size: only the hash can tell
    await writeFile(bad, bytes)
    setDemand({ alpha: 10, beta: 5, delta: 20 }, { alpha: 10, beta: 1 })
    const r = await run()
    const a1r = r.by.a1!
    t.equal(a1r.status, 'failed')
    t.match(a1r.failures, [{ titleId: 'delta', path: seg.uri, error: /sha256|checksum/i }])
    t.equal(a1r.bytesFailed, seg.bytes)
    t.equal(a1r.bytesVerified, a1r.bytesToFill - seg.bytes, 'the rest of delta is in')
    t.equal(a1.app.oca.store.get('delta', seg.uri, false), undefined, 'not stored')
    // A client asking a1 for it (a miss, filled from the origin) never gets the bad bytes as a complete answer:
    // a Range request waits for the verified copy and is refused; a plain GET streamed live is cut when the hash fails.
    const ranged = await get(`${a1.url}/titles/delta/${seg.uri}`, { range: 'bytes=0-99' })
    t.equal(ranged.status, 502)
    const plain = await get(`${a1.url}/titles/delta/${seg.uri}`).catch((err: Error) => err)
    t.ok(plain instanceof Error || plain.status !== 200 || plain.body.length !== seg.bytes, 'no complete 200 answer')
    t.equal(a1.app.oca.store.get('delta', seg.uri, false), undefined)
  })

  await t.test('POST /admin/preposition and GET /catalog on the origin server', async (t) => {
    const noToken = await request(`${originUrl}/admin/preposition`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
    t.equal(noToken.statusCode, 401)
    await noToken.body.dump()
    const started = await request(`${originUrl}/admin/preposition`, {
      method: 'POST',
      body: '{"dryRun":true}',
      headers: { ...auth, 'content-type': 'application/json' },
    })
    t.equal(started.statusCode, 202)
    const { id } = (await started.body.json()) as { id: string }
    let runState: { status: string; report?: PrepositionReport } = { status: 'running' }
    await waitFor(
      async () => {
        runState = (await (await request(`${originUrl}/admin/prepositions/${id}`, { headers: auth })).body.json()) as typeof runState
        return runState.status !== 'running'
      },
      `pre-position run ${id} to finish`,
      { everyMs: 20, state: () => runState },
    )
    t.equal(runState.status, 'done')
    t.equal(runState.report!.dryRun, true)
    t.equal(runState.report!.sites.find((x) => x.oca === 'd1')!.status, 'down')
    const catalog = (await (await request(`${originUrl}/catalog`)).body.json()) as {
      titles: { id: string; bytes: number; duration: number; ladder: { id: string }[]; placedOn: string[] }[]
    }
    const alphaEntry = catalog.titles.find((x) => x.id === 'alpha')!
    t.same(alphaEntry.placedOn, ['a1', 'a2', 'b1'])
    t.same(
      alphaEntry.ladder.map((l) => l.id),
      ['v180p-300k', 'v90p-100k', ...alpha.audio.map((a) => a.id)],
    )
    t.ok(alphaEntry.bytes > 0 && alphaEntry.duration > 0)
    t.same(catalog.titles.find((x) => x.id === 'gamma')!.placedOn, [])
  })

  await t.test('prepositionViaAdmin: a run through the admin API, a refused token, a deadline that has passed', async (t) => {
    const report = await prepositionViaAdmin(originUrl, ADMIN, { dryRun: true, pollMs: 20 })
    t.equal(report.dryRun, true)
    t.equal(report.sites.find((x) => x.oca === 'd1')!.status, 'down')
    await t.rejects(prepositionViaAdmin(originUrl, 'not-the-token', { dryRun: true }), {
      code: 'OCLAB_ERR_UPSTREAM_FAILED',
      message: /POST \/admin\/preposition at origin .*: HTTP 403 wrong admin token/,
    })
    await t.rejects(prepositionViaAdmin(originUrl, ADMIN, { dryRun: true, deadlineMs: 0 }), { code: 'OCLAB_ERR_NOT_READY', message: /not done after 0 s/ })
  })
})
