import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { ClusterConfig, OcaConfig } from '../../lib/cluster.js'
import { buildOcaServer } from '../../oca/server.js'
import { NO_SHEDDING } from '../helpers/no-shedding.js'
import { ADMIN, knownBytes, putFile, tempDir } from '../oca/helpers.js'

export { ADMIN }
export const SECRET = 'steering-test-secret-0123456789'

/** A small title in the package layout: one video rendition, one audio, three segments each. */
export async function writeTitle(store: string, id: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>()
  const put = async (path: string, body: string | Buffer): Promise<void> => {
    const b = Buffer.from(body)
    files.set(path, b)
    await putFile(store, id, path, b)
  }
  const media = (_dir: string) =>
    [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-TARGETDURATION:1',
      '#EXT-X-PLAYLIST-TYPE:VOD',
      `#EXT-X-MAP:URI="init.mp4"`,
      ...[1, 2, 3].flatMap((n) => ['#EXTINF:1.000000,', `seg-0000${n}.m4s`]),
      '#EXT-X-ENDLIST',
      '',
    ].join('\n')
  for (const [i, dir] of ['v180p-300k', 'audio-en'].entries()) {
    await put(`${dir}/index.m3u8`, media(dir))
    await put(`${dir}/init.mp4`, knownBytes(300, i))
    for (const n of [1, 2, 3]) await put(`${dir}/seg-0000${n}.m4s`, knownBytes(1000 + n, n + i * 10))
  }
  await put(
    'master.m3u8',
    [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="en",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio-en/index.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=400000,CODECS="avc1.64000d,mp4a.40.2",RESOLUTION=320x180,AUDIO="audio"',
      'v180p-300k/index.m3u8',
      '',
    ].join('\n'),
  )
  await put(
    'manifest.mpd',
    `<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="static" mediaPresentationDuration="PT3S" minBufferTime="PT1S">
  <Period id="0" start="PT0S">
    <AdaptationSet id="0" contentType="video" mimeType="video/mp4">
      <Representation id="v180p-300k" bandwidth="300000" width="320" height="180" codecs="avc1.64000d">
        <SegmentTemplate timescale="1000" initialization="v180p-300k/init.mp4" media="v180p-300k/seg-$Number%05d$.m4s" startNumber="1"><SegmentTimeline><S t="0" d="1000" r="2"/></SegmentTimeline></SegmentTemplate>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
`,
  )
  return files
}

export interface TestOca {
  id: string
  app: FastifyInstance
  url: string
  store: string
}

type Teardown = { teardown: (f: () => Promise<void>) => void }

/** An OCA in this process on 127.0.0.1:0 holding the given titles (pre-positioned, miss=off). */
export async function startTestOca(t: Teardown, id: string, titles: string[], signing = true): Promise<TestOca> {
  const store = await tempDir(t)
  for (const title of titles) await writeTitle(store, title)
  const app = buildOcaServer({
    id,
    storeDir: store,
    capacityBytes: 1e9,
    adminToken: ADMIN,
    missMode: 'off',
    signing: signing ? { secret: SECRET } : undefined,
    overload: NO_SHEDDING,
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(async () => {
    await app.close()
  })
  return { id, app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, store }
}

export const SITES = {
  ams: { lat: 52.37, lon: 4.9, coverage: ['10.1.0.0/16', '2001:db8:1::/48'] },
  fra: { lat: 50.11, lon: 8.68, coverage: ['10.2.0.0/16'] },
  nyc: { lat: 40.71, lon: -74.0, coverage: ['10.3.0.0/16'] },
} as const

export function ocaConfig(id: string, url: string, site: keyof typeof SITES, extra: Partial<OcaConfig> = {}): OcaConfig {
  const s = SITES[site]
  return { id, url, site, region: 'test', lat: s.lat, lon: s.lon, coverage: [...s.coverage], capacityBytes: 1e9, ...extra }
}

export function clusterOf(ocas: OcaConfig[], o: { signing?: boolean; originUrl?: string; defaultSite?: string } = {}): ClusterConfig {
  return {
    version: 1,
    adminToken: ADMIN,
    ...(o.signing === false ? {} : { signing: { secret: SECRET, ttlSeconds: 3600 } }),
    origin: { url: o.originUrl ?? 'http://127.0.0.1:9' },
    steering: { url: 'http://127.0.0.1:9' },
    ...(o.defaultSite ? { defaultSite: o.defaultSite } : {}),
    ocas,
  }
}

export const listenUrl = (app: FastifyInstance): string => `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
