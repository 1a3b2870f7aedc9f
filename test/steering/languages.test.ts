import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Parser } from 'm3u8-parser'
import { parse as parseMpd } from 'mpd-parser'
import t from 'tap'
import { freePort } from '../../lib/free-port.js'
import { readTitle } from '../../lib/title-package.js'
import { buildOcaServer } from '../../oca/server.js'
import { ingestPackage } from '../../origin/ingest.js'
import { parseMaster, rewriteMaster, stableUris } from '../../steering/hls-master.js'
import { buildSteeringServer } from '../../steering/server.js'
import { hlsSteeringManifest } from '../../steering/steering-manifest.js'
import { NO_SHEDDING } from '../helpers/no-shedding.js'
import { tempDir } from '../helpers/package.js'
import { clonePackage, twoRungPackage } from '../origin/helpers.js'
import { ADMIN, clusterOf, listenUrl, ocaConfig, SECRET } from './helpers.js'

/**
 * Issue 20 §4: steering rewrites every URI of a multivariant playlist, the
 * EXT-X-MEDIA URIs of AUDIO and SUBTITLES groups too, and steers an MPD's
 * text AdaptationSet (its Representation BaseURL, relative) with the video.
 */
interface Group {
  uri: string
  language: string
  default: boolean
  autoselect: boolean
  forced?: boolean
}
interface SteeredHls {
  playlists: Array<{ uri: string; attributes: Record<string, string> }>
  mediaGroups: { AUDIO: Record<string, Record<string, Group>>; SUBTITLES: Record<string, Record<string, Group>> }
}

// The contract's shape (two audio languages in "aud", one subtitle group "subs" that every variant names).
const MASTER = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio-en/index.m3u8"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="Français",LANGUAGE="fr",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="audio-fr/index.m3u8"
#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,URI="text-en/index.m3u8"
#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English (forced)",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,FORCED=YES,URI="text-en-forced/index.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=400000,AVERAGE-BANDWIDTH=300000,CODECS="avc1.64000d,mp4a.40.2",RESOLUTION=320x180,FRAME-RATE=25.000,AUDIO="aud",SUBTITLES="subs"
v180p-300k/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=900000,AVERAGE-BANDWIDTH=700000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=25.000,AUDIO="aud",SUBTITLES="subs"
v360p-700k/index.m3u8
`
const sig = '/t/1700000000/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG/titles/t1/'
const pathways = [
  { id: 'ams1', base: `http://127.0.0.1:8001${sig}` },
  { id: 'fra1', base: `http://127.0.0.1:8002${sig}` },
]

const parseHls = (text: string): SteeredHls => {
  const p = new Parser()
  p.push(text)
  p.end()
  return p.manifest as unknown as SteeredHls
}

t.test('HLS: AUDIO and SUBTITLES renditions are repeated per Pathway with absolute URIs and their own groups', async (t) => {
  const text = rewriteMaster(parseMaster(MASTER), pathways, { serverUri: 'http://steer.example/v1/steering/hls?title=t1', pathwayId: 'ams1' })
  const m = parseHls(text)
  t.equal(m.playlists.length, 4)
  for (const pl of m.playlists) {
    const pw = pl.attributes['PATHWAY-ID']!
    t.equal(pl.attributes.SUBTITLES, `subs-${pw}`, `${pl.uri}: its subtitles are on its own Pathway`)
    t.equal(pl.attributes.AUDIO, `aud-${pw}`)
  }
  for (const pw of pathways) {
    const audio = m.mediaGroups.AUDIO[`aud-${pw.id}`]!
    t.same(
      Object.entries(audio).map(([name, r]) => [name, r.language, r.default, r.uri]),
      [
        ['English', 'en', true, `${pw.base}audio-en/index.m3u8`],
        ['Français', 'fr', false, `${pw.base}audio-fr/index.m3u8`],
      ],
      `${pw.id}: both languages, the default kept`,
    )
    const subs = m.mediaGroups.SUBTITLES[`subs-${pw.id}`]!
    t.same(
      Object.entries(subs).map(([name, r]) => [name, r.language, r.forced ?? false, r.uri]),
      [
        ['English', 'en', false, `${pw.base}text-en/index.m3u8`],
        ['English (forced)', 'en', true, `${pw.base}text-en-forced/index.m3u8`],
      ],
      `${pw.id}: subtitles (FORCED kept) point at the Pathway's OCA`,
    )
  }
  // every URI in the output is absolute and on one of the pathways: nothing relative is left for a player to resolve against steering
  const uris = [...text.matchAll(/URI="([^"]+)"/g)].map((x) => x[1]!).filter((u) => !u.startsWith('http://steer.example/'))
  uris.push(...text.split('\n').filter((l) => l && !l.startsWith('#')))
  t.equal(uris.length, 4 * 2 + 2 * 2)
  for (const u of uris)
    t.ok(
      pathways.some((p) => u.startsWith(p.base)),
      `${u} is on a pathway`,
    )
  t.same(
    [...text.matchAll(/TYPE=SUBTITLES,.*STABLE-RENDITION-ID="([^"]+)"/g)].map((x) => x[1]),
    ['text-en/index.m3u8', 'text-en-forced/index.m3u8', 'text-en/index.m3u8', 'text-en-forced/index.m3u8'],
    'subtitle renditions carry the same STABLE-RENDITION-ID on every Pathway',
  )

  // A clone on another port (HOST cannot say it) gets every rendition's URI, subtitles included.
  const known = pathways.map((p) => ({ ...p, site: p.id.slice(0, 3) }))
  const clone = { id: 'ams2', site: 'ams', base: `http://127.0.0.1:8003${sig}` }
  const sm = hlsSteeringManifest({ ranked: [clone, ...known], known, ttlSeconds: 10 }, stableUris(parseMaster(MASTER)))
  t.same(sm['PATHWAY-CLONES']?.[0]?.['URI-REPLACEMENT']['PER-RENDITION-URIS'], {
    'audio-en/index.m3u8': `${clone.base}audio-en/index.m3u8`,
    'audio-fr/index.m3u8': `${clone.base}audio-fr/index.m3u8`,
    'text-en/index.m3u8': `${clone.base}text-en/index.m3u8`,
    'text-en-forced/index.m3u8': `${clone.base}text-en-forced/index.m3u8`,
  })
})

t.test('over HTTP: a real two-language subtitled package, every rendition and segment reachable through steering', async (t) => {
  const dir = await tempDir(t, 'oclab-steer-langs-')
  const pkg = await clonePackage(await twoRungPackage(dir), join(dir, 'langs'), 'langs')
  const title = await readTitle(pkg)
  const ocas = []
  for (const id of ['ams1', 'fra1']) {
    const store = join(dir, id)
    await ingestPackage(pkg, store)
    const app = buildOcaServer({
      id,
      storeDir: store,
      capacityBytes: 1e9,
      adminToken: ADMIN,
      missMode: 'off',
      signing: { secret: SECRET },
      overload: NO_SHEDDING,
    })
    await app.listen({ host: '127.0.0.1', port: 0 })
    t.teardown(() => app.close())
    ocas.push(ocaConfig(id, listenUrl(app), id === 'ams1' ? 'ams' : 'fra', { bandwidthBps: 1e9 }))
  }
  const port = await freePort()
  const cluster = { ...clusterOf(ocas, { defaultSite: 'ams' }), steering: { url: `http://127.0.0.1:${port}` } }
  const steering = buildSteeringServer({ cluster, startHealthChecks: false, fillOnMiss: false, health: { slowMs: 60_000, timeoutMs: 30_000 } })
  await steering.listen({ host: '127.0.0.1', port })
  t.teardown(() => steering.close())
  await steering.steering.checker.pollAll()
  const ocaOrigins = new Set(ocas.map((o) => o.url))
  const get = async (url: string, what: string): Promise<Response> => {
    const r = await fetch(url)
    t.equal(r.status, 200, `${what}: ${url}`)
    t.ok(ocaOrigins.has(new URL(url).origin), `${what} is served by an OCA`)
    return r
  }
  const same = async (r: Response, path: string, what: string) => t.same(Buffer.from(await r.arrayBuffer()), await readFile(join(pkg, path)), what)

  const m = parseHls(await (await fetch(`${cluster.steering.url}/v1/play/langs/master.m3u8`)).text())
  t.equal(m.playlists.length, title.video.length * 2)
  const subs = Object.values(m.mediaGroups.SUBTITLES).flatMap((g) => Object.values(g))
  const audio = Object.values(m.mediaGroups.AUDIO).flatMap((g) => Object.values(g))
  t.same(audio.map((a) => a.language).sort(), ['en', 'en', 'fr', 'fr'], 'both languages on both pathways')
  t.equal(subs.length, 2, 'the subtitle rendition on both pathways')
  for (const r of subs) {
    const playlist = await (await get(r.uri, 'subtitle playlist')).text()
    const first = playlist.split('\n').find((l) => l.endsWith('.vtt'))!
    const seg = await get(new URL(first, r.uri).href, 'WebVTT segment (its relative URI resolved under the signed prefix)')
    t.equal(seg.headers.get('content-type'), 'text/vtt; charset=utf-8')
    await same(seg, title.text![0]!.segments[0]!.uri, 'the segment the package holds')
  }
  for (const r of audio) {
    const playlist = await (await get(r.uri, `${r.language} audio playlist`)).text()
    const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)![1]!
    const a = title.audio.find((x) => x.language === r.language)!
    await same(await get(new URL(init, r.uri).href, `${r.language} init`), a.init.path, `${r.language}: its own init segment`)
  }

  const xml = await (await fetch(`${cluster.steering.url}/v1/play/langs/manifest.mpd`)).text()
  const mpd = parseMpd(xml, { manifestUri: `${cluster.steering.url}/v1/play/langs/manifest.mpd` }) as unknown as {
    mediaGroups: {
      SUBTITLES: Record<
        string,
        Record<
          string,
          { language: string; playlists: Array<{ attributes: { serviceLocation?: string }; resolvedUri?: string; segments: Array<{ resolvedUri: string }> }> }
        >
      >
      AUDIO: Record<string, Record<string, { language: string; playlists: Array<{ attributes: { serviceLocation?: string } }> }>>
    }
  }
  const textPlaylists = Object.values(mpd.mediaGroups.SUBTITLES).flatMap((g) => Object.values(g).flatMap((r) => r.playlists))
  t.same(textPlaylists.map((p) => p.attributes.serviceLocation).sort(), ['ams1', 'fra1'], 'the text set is offered on every serviceLocation')
  for (const p of textPlaylists) {
    const uri = p.segments[0]?.resolvedUri ?? p.resolvedUri!
    t.ok(uri.startsWith(ocas.find((o) => o.id === p.attributes.serviceLocation)!.url), `${p.attributes.serviceLocation}: ${uri}`)
    const r = await get(uri, 'the WebVTT sidecar')
    t.equal(r.headers.get('content-type'), 'text/vtt; charset=utf-8')
    await same(r, title.text![0]!.sidecar.path, 'full.vtt')
  }
  t.same(
    Object.values(mpd.mediaGroups.AUDIO)
      .flatMap((g) => Object.values(g).map((r) => r.language))
      .sort(),
    ['en', 'fr'],
  )
})
