import { join } from 'node:path'
import t from 'tap'
import { buildConsoleServer } from '../../console/server.js'
import type { ClusterConfig } from '../../lib/cluster.js'
import { freePort } from '../../lib/free-port.js'
import { buildOcaServer } from '../../oca/server.js'
import { ingestPackage } from '../../origin/ingest.js'
import { buildOriginServer } from '../../origin/server.js'
import { buildSteeringServer } from '../../steering/server.js'
import { chromiumMissing, launchBrowser } from '../helpers/browser.js'
import { NO_SHEDDING } from '../helpers/no-shedding.js'
import { tempDir } from '../helpers/package.js'
import { clonePackage, listen, twoRungPackage } from '../origin/helpers.js'
import { ADMIN, clusterOf, ocaConfig, SECRET } from '../steering/helpers.js'
import { until } from '../steering/processes.js'

/**
 * Issue 20 §4: the console's player offers the title's audio languages and
 * subtitles from hls.js's track lists, switches them, and shows the cues.
 * A real package (two languages, English subtitles) through a real origin,
 * OCA and steering server, in Chromium.
 */
interface Track {
  name: string
  lang: string
}
interface Shown {
  audioTracks: Track[]
  audioTrack: number
  subtitleTracks: Track[]
  subtitleTrack: number
  cue: string | null
  currentTime: number
  errors: string[]
}

t.test('audio-language and subtitle menus from hls.js, switched from the page', { skip: chromiumMissing }, async (t) => {
  const dir = await tempDir(t, 'oclab-console-tracks-')
  const pkg = await clonePackage(await twoRungPackage(dir), join(dir, 'langs'), 'langs')
  await ingestPackage(pkg, join(dir, 'origin'))
  await ingestPackage(pkg, join(dir, 'oca'))

  const oca = buildOcaServer({
    id: 'oca-1',
    storeDir: join(dir, 'oca'),
    capacityBytes: 1e9,
    adminToken: ADMIN,
    missMode: 'off',
    signing: { secret: SECRET },
    overload: NO_SHEDDING,
  })
  const ocaUrl = await listen(t, oca)
  const steeringPort = await freePort()
  const originPort = await freePort()
  const cluster: ClusterConfig = {
    ...clusterOf([ocaConfig('oca-1', ocaUrl, 'ams', { bandwidthBps: 1e9 })], { defaultSite: 'ams', originUrl: `http://127.0.0.1:${originPort}` }),
    steering: { url: `http://127.0.0.1:${steeringPort}` },
  }
  const origin = buildOriginServer({
    storeDir: join(dir, 'origin'),
    cluster,
    popularity: async () => {
      throw new Error('unused')
    },
  })
  await origin.listen({ host: '127.0.0.1', port: originPort })
  t.teardown(() => origin.close())
  const steering = buildSteeringServer({ cluster, health: { slowMs: 60_000, timeoutMs: 30_000 } })
  await steering.listen({ host: '127.0.0.1', port: steeringPort })
  t.teardown(() => steering.close())
  await steering.steering.checker.pollAll()
  const console = buildConsoleServer({ cluster, refreshMs: 300 })
  const url = await listen(t, console)

  const browser = await launchBrowser()
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  await page.goto(url)
  await until(
    async () => (await page.$$eval('[data-testid="title-picker"] option', (o) => o.map((x) => x.getAttribute('value')))).includes('langs') || undefined,
    'the title in the picker',
    300,
    100,
  )
  await page.selectOption('[data-testid="title-picker"]', 'langs')
  const shown = (): Promise<Shown> => page.evaluate(() => JSON.parse(JSON.stringify((window as unknown as { consoleState: Shown }).consoleState)) as Shown)
  const menu = (id: string) => page.$$eval(`[data-testid="${id}"] option`, (o) => o.map((x) => x.textContent))

  const loaded = await until(
    async () => {
      const s = await shown()
      return s.audioTracks.length === 2 && s.subtitleTracks.length === 1 && s.currentTime > 0.5 ? s : undefined
    },
    'both audio languages and the subtitle track listed, playback started',
    400,
    50,
  )
  t.same(
    loaded.audioTracks.map((a) => [a.name, a.lang]),
    [
      ['English', 'en'],
      ['Français', 'fr'],
    ],
  )
  t.equal(loaded.audioTrack, 0, 'the DEFAULT=YES rendition plays first')
  t.same(await menu('audio-menu'), ['English (en)', 'Français (fr)'])
  t.same(await menu('subtitle-menu'), ['Off', 'English (en)'])
  t.equal(loaded.subtitleTrack, -1, 'subtitles off (DEFAULT=NO)')

  await page.selectOption('[data-testid="audio-menu"]', '1')
  const french = await until(
    async () => {
      const s = await shown()
      return s.audioTrack === 1 ? s : undefined
    },
    'hls.js to switch to the French rendition',
    200,
    50,
  )
  t.equal(french.audioTracks[french.audioTrack]!.lang, 'fr')
  t.equal(await page.$eval('[data-testid="audio-menu"]', (e) => (e as HTMLSelectElement).value), '1')

  // seek back so the cues (0.1–0.6 s into each second) are still ahead of the playhead
  await page.selectOption('[data-testid="subtitle-menu"]', '0')
  await page.evaluate(() => {
    const v = document.querySelector('video')!
    v.currentTime = 0
  })
  const cue = await until(
    async () => {
      const s = await shown()
      return s.subtitleTrack === 0 && s.cue ? s : undefined
    },
    'a subtitle cue on screen',
    400,
    25,
  )
  t.match(cue.cue, /^English cue \d/, `the page shows the cue: ${cue.cue}`)
  t.same(cue.errors, [], 'no player errors')
  t.same(pageErrors, [])
})
