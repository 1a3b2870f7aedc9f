import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { request } from 'undici'
import { encodeTitle } from '../../encoder/encode-title.js'
import { parseLadderSpec } from '../../encoder/ladder/ladder.js'
import { validateCluster } from '../../lib/cluster.js'
import { DEBIAN_FFMPEG } from '../../lib/ffmpeg-builds.js'
import { freePort } from '../../lib/free-port.js'
import { sha256 } from '../../lib/hash.js'
import { readTitle, type Title } from '../../lib/title-package.js'
import { ingestPackage } from '../../origin/ingest.js'
import { MasterStore } from '../../origin/master-store.js'
import { popularityFromFile } from '../../origin/popularity.js'
import { buildOriginServer, prepositionAndRecord } from '../../origin/server.js'
import { oclab } from '../helpers/cli.js'
import { tempDir, testSource } from '../helpers/package.js'
import { ADMIN, auth, clonePackage, startOca } from './helpers.js'

/**
 * Rendition-level placement of a real H.264 + AV1 package over real HTTP:
 * each OCA receives the shared part (manifests, audio, title.json) and the
 * renditions its plan chose, of either codec, and nothing else; a rendition
 * it was not given is filled on miss. AV1 needs Debian's ffmpeg (libsvtav1),
 * which .ci/run installs, so without it this fails and says so.
 */
const titleFiles = async (ocaUrl: string): Promise<Map<string, Set<string>>> => {
  const body = (await (await request(`${ocaUrl}/admin/titles`, { headers: auth })).body.json()) as { titles: { id: string; files: { path: string }[] }[] }
  return new Map(body.titles.map((x) => [x.id, new Set(x.files.map((f) => f.path))]))
}

/** What an OCA holding `renditions` of `title` must hold: every file but the other video renditions', and title.json. */
function expectedFiles(title: Title, renditions: readonly string[]): Set<string> {
  const own = (id: string): string[] => {
    const v = title.video.find((x) => x.id === id)!
    return [v.init.path, v.playlist, ...v.segments.map((s) => s.uri)]
  }
  const others = new Set(title.video.filter((v) => !renditions.includes(v.id)).flatMap((v) => own(v.id)))
  return new Set([...title.files.map((f) => f.path).filter((p) => !others.has(p)), 'title.json'])
}

t.test('pre-positioning a multi-codec title sends each OCA its planned renditions of each codec and the shared audio and manifests only', async (t) => {
  if (!existsSync(DEBIAN_FFMPEG)) {
    t.fail(`Debian's ffmpeg is not at ${DEBIAN_FFMPEG} (apt-get install ffmpeg; .ci/run installs it): AV1 cannot be encoded`)
    return
  }
  const dir = await tempDir(t, 'oclab-place-codecs-')
  const source = await testSource(dir, { duration: 2 })
  const { titleDir } = await encodeTitle({
    source,
    store: join(dir, 'enc'),
    titleId: 'alpha',
    segmentDuration: 1,
    vmafModel: null,
    ladder: parseLadderSpec('320x180@300k,160x90@100k')!,
    codecs: ['h264', 'av1'],
    h264: { preset: 'ultrafast' },
    presets: { av1: '12' },
  })
  const originStore = join(dir, 'origin')
  t.equal((await ingestPackage(titleDir, originStore)).outcome, 'added')
  t.equal((await ingestPackage(await clonePackage(titleDir, join(dir, 'beta'), 'beta'), originStore)).outcome, 'added')
  const alpha = await readTitle(join(originStore, 'titles', 'alpha'))
  const store = new MasterStore(originStore)
  await store.refresh()
  const sizes = store.get('alpha')!.sizes

  t.same(
    sizes.renditions.map((r) => [r.id, r.codec, r.fallback]),
    [
      ['v180p-300k', 'h264', undefined],
      ['v90p-100k', 'h264', undefined],
      ['av1-v180p-300k', 'av1', 0],
      ['av1-v90p-100k', 'av1', 1],
    ],
    'the planner sees the H.264 ladder, then the AV1 ladder, each AV1 rung falling back to the H.264 rung at its position',
  )
  const bytesOf = (id: string): number => sizes.renditions.find((r) => r.id === id)!.bytes
  const h264 = ['v180p-300k', 'v90p-100k']
  // An AV1 rung saves link bytes only when it is smaller than the H.264 rung it replaces (SVT-AV1 at preset 12 on a
  // 2 s test card is not always); with room to spare, the planner holds exactly those.
  const av1Worth = ['av1-v180p-300k', 'av1-v90p-100k'].filter((id, i) => bytesOf(id) < bytesOf(h264[i]!))

  const originUrl = `http://127.0.0.1:${await freePort()}`
  const big = await startOca(t, { id: 'a1', site: 'ams', storeDir: join(dir, 'a1'), parentUrl: originUrl, missMode: 'fill' })
  const small = await startOca(t, { id: 'b1', site: 'nyc', storeDir: join(dir, 'b1'), parentUrl: originUrl, missMode: 'fill' })
  // b1 plans 80 % of its disk (the default reserve): room for alpha's shared part and H.264 ladder, a few bytes over.
  const h264Bytes = sizes.baseBytes + bytesOf('v180p-300k') + bytesOf('v90p-100k')
  const smallCapacity = Math.ceil(h264Bytes / 0.8) + 10
  const oca = (id: string, url: string, site: string, region: string, capacityBytes: number) => ({
    id,
    url,
    site,
    region,
    lat: 0,
    lon: 0,
    coverage: [],
    capacityBytes,
  })
  const clusterJson = {
    version: 1,
    adminToken: ADMIN,
    origin: { url: originUrl, storeDir: originStore },
    steering: { url: 'http://127.0.0.1:9' },
    ocas: [oca('a1', big.url, 'ams', 'eu', 1e8), oca('b1', small.url, 'nyc', 'us', smallCapacity)],
  }
  const cluster = validateCluster(clusterJson)
  const model = popularityFromFile({ version: 1, regions: { eu: { views: { alpha: 10, beta: 5 } }, us: { views: { alpha: 10 } } } }, ['alpha', 'beta'])
  const origin = buildOriginServer({ storeDir: originStore, cluster, popularity: async () => model, preposition: { pollMs: 20 } })
  await origin.listen({ host: '127.0.0.1', port: Number(new URL(originUrl).port) })
  t.teardown(() => origin.close())

  const report = await prepositionAndRecord({ cluster, store, model, pollMs: 20 })
  for (const s of report.sites) {
    t.equal(s.status, 'ok', `${s.oca} ok`)
    t.equal(s.bytesVerified, s.bytesToFill, `${s.oca}: every file sent was verified`)
  }

  const onBig = await titleFiles(big.url)
  for (const id of ['alpha', 'beta'])
    t.same(
      [...onBig.get(id)!].sort(),
      [...expectedFiles(alpha, [...h264, ...av1Worth])].sort(),
      `a1 holds ${id}: both H.264 rungs, ${av1Worth.join(', ') || 'no AV1'}`,
    )
  const onSmall = await titleFiles(small.url)
  t.same([...onSmall.keys()], ['alpha'], 'b1 is asked only for alpha')
  t.same([...onSmall.get('alpha')!].sort(), [...expectedFiles(alpha, h264)].sort(), 'b1 has room for the H.264 ladder only: no AV1 file was sent')
  for (const a of alpha.audio) t.ok(onSmall.get('alpha')!.has(a.segments[0]!.uri), `the shared audio ${a.id} went with it`)

  // An AV1 client at b1 asks for what b1 was not given: filled on miss from the origin, the listed bytes.
  const av1Seg = alpha.video.find((v) => v.id === 'av1-v90p-100k')!.segments[0]!
  const miss = await request(`${small.url}/titles/alpha/${av1Seg.uri}`)
  t.equal(miss.statusCode, 200)
  t.equal(sha256(Buffer.from(await miss.body.arrayBuffer())), av1Seg.sha256, 'the AV1 segment b1 did not hold is served, filled on miss')

  // The same store and forecast through `oclab origin evaluate`: every play is served at its own OCA, in AV1 where it
  // is held, else by the H.264 rung it falls back to; the oracle (planned on the log, without a reserve) saves at least as much.
  const clusterFile = join(dir, 'cluster.json')
  const popularityFile = join(dir, 'popularity.json')
  await writeFile(clusterFile, JSON.stringify(clusterJson))
  await writeFile(popularityFile, JSON.stringify({ version: 1, regions: { eu: { views: { alpha: 10, beta: 5 } }, us: { views: { alpha: 10 } } } }))
  const ev = await oclab(['origin', 'evaluate', '--config', clusterFile, '--popularity', popularityFile, '--requests', '3000', '--json'])
  t.equal(ev.code, 0, ev.err)
  const r = JSON.parse(ev.out) as { reactiveShare: number; plan: { own: number; savedBytes: number }; oracle: { savedBytes: number } }
  t.equal(r.reactiveShare, 0.2)
  t.equal(r.plan.own, 1, 'no play leaves its own OCA')
  t.ok(r.plan.savedBytes > 0 && r.plan.savedBytes <= r.oracle.savedBytes, `saved ${r.plan.savedBytes} ≤ the oracle's ${r.oracle.savedBytes}`)
})
