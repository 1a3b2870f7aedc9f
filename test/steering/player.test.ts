import { cp, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { freePort } from '../../lib/free-port.js'
import { buildSteeringServer } from '../../steering/server.js'
import { chromiumMissing, launchBrowser, servePlayerPage } from '../helpers/browser.js'
import { tempDir, testPackage } from '../helpers/package.js'
import { clusterOf, ocaConfig } from './helpers.js'
import { getJson, oclab, until } from './processes.js'

/**
 * Real players: hls.js (HLS Content Steering) and dash.js 5 (DASH-IF Content
 * Steering) in headless Chromium load the rewritten manifest from the steering
 * service and play from the OCAs (real `oclab oca` processes). SIGKILL the OCA
 * of the current pathway: the player must move to another pathway and keep
 * playing without a fatal error.
 */
for (const kind of ['hls', 'dash'] as const) {
  t.test(`${kind === 'hls' ? 'hls.js' : 'dash.js'} fails over to another pathway when its OCA is killed`, { skip: chromiumMissing }, (t) => failover(t, kind))
}

async function failover(t: Test, kind: 'hls' | 'dash'): Promise<void> {
  const dir = await tempDir(t)
  const pkg = await testPackage(dir, { duration: 16, width: 320, height: 180 }, { titleId: 'movie' })
  const [pa, pb, pc, ps] = await Promise.all([freePort(), freePort(), freePort(), freePort()])
  const ocas = [
    ocaConfig('a1', `http://127.0.0.1:${pa}`, 'ams', { storeDir: 'store-a1' }),
    ocaConfig('b1', `http://127.0.0.1:${pb}`, 'fra', { storeDir: 'store-b1' }),
    ocaConfig('c1', `http://127.0.0.1:${pc}`, 'nyc', { storeDir: 'store-c1' }),
  ]
  for (const o of ocas) await cp(join(pkg.store, 'titles', 'movie'), join(dir, o.storeDir!, 'titles', 'movie'), { recursive: true })
  // The browser connects from 127.0.0.1, which no coverage zone holds: the default site (ams) is its own.
  const cluster = { ...clusterOf(ocas, { defaultSite: 'ams' }), steering: { url: `http://127.0.0.1:${ps}` } }
  const config = join(dir, 'cluster.json')
  await writeFile(config, JSON.stringify(cluster))
  const procs = new Map(ocas.map((o) => [o.id, oclab(t, ['oca', '--config', config, '--id', o.id, '--miss', 'off', '--log-level', 'warn'])]))

  const steering = buildSteeringServer({ cluster, fillOnMiss: false, health: { intervalMs: 200, timeoutMs: 500 }, steeringTtlSeconds: 1 })
  await steering.listen({ host: '127.0.0.1', port: ps })
  t.teardown(() => steering.close())
  await until(
    async () => ((await getJson<{ ocas: Array<{ state: string }> }>(`${cluster.steering.url}/ocas`)).ocas.every((o) => o.state === 'up') ? true : undefined),
    'OCAs up',
  )

  const page$ = await servePlayerPage(dir)
  t.teardown(() => page$.app.close())
  const browser = await launchBrowser()
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  const segments: Array<{ at: number; url: string }> = []
  page.on('request', (r) => {
    if (r.url().endsWith('.m4s')) segments.push({ at: Date.now(), url: r.url() })
    if (r.url().includes('/v1/steering/dash')) steeringAsks.push({ at: Date.now(), url: new URL(r.url()) })
  })
  const steeringAsks: Array<{ at: number; url: URL }> = []
  // Small buffers so the player still has most of the title to fetch when its OCA dies.
  const playerConfig =
    kind === 'hls'
      ? { maxBufferLength: 3, maxMaxBufferLength: 4, backBufferLength: 0, abrEwmaDefaultEstimate: 200_000 }
      : { streaming: { buffer: { stableBufferTime: 3, bufferTimeAtTopQuality: 3, bufferTimeAtTopQualityLongForm: 3 } } }
  const src = `${cluster.steering.url}/v1/play/movie/${kind === 'hls' ? 'master.m3u8' : 'manifest.mpd'}`
  await page.goto(`${page$.url}/player.html?kind=${kind}&src=${encodeURIComponent(src)}&${kind}Config=${encodeURIComponent(JSON.stringify(playerConfig))}`)

  // hls.js names its pathways; dash.js does not expose them, so its pathway is the OCA of its last segment
  const lastOca = () => ocas.find((o) => segments.at(-1)?.url.startsWith(o.url))?.id
  const state = () =>
    page
      .evaluate((kind) => {
        const w = window as unknown as { player: { levels?: Array<{ pathwayId: string }>; pathways?: string[] }; playerErrors: string[] }
        const v = document.getElementById('v') as HTMLVideoElement
        return {
          time: v.currentTime,
          pathway: kind === 'hls' ? w.player.levels?.[0]?.pathwayId : undefined,
          pathways: kind === 'hls' ? w.player.pathways : undefined,
          errors: w.playerErrors,
        }
      }, kind)
      .then((s) => ({ ...s, pathway: s.pathway ?? lastOca() }))
  const playing = await until(
    async () => {
      const s = await state()
      return s.time > 1.5 ? s : undefined
    },
    'playback to start',
    400,
    50,
  )
  t.equal(playing.pathway, 'a1', 'starts on the own site')
  if (kind === 'hls') t.same([...(playing.pathways ?? [])].sort(), ['a1', 'b1', 'c1'], 'hls.js sees the three pathways')
  t.ok(segments.length > 0 && segments.every((s) => s.url.startsWith(ocas[0]!.url)), 'segments so far come from a1')

  // hls.js reports only fatal errors here. dash.js reports a segment it could not
  // load from the dead OCA (after its retries) as an error event, then puts that
  // service location on its blacklist and loads from the next: not fatal.
  const deadOca = ocas[0]!.url
  const fatal = (errors: string[]) => (kind === 'hls' ? errors : errors.filter((e) => !(e.includes(deadOca) && e.includes('is not available'))))
  const killedAt = Date.now()
  const timeAtKill = playing.time
  procs.get('a1')!.proc.kill('SIGKILL')

  const later = await until(
    async () => {
      const s = await state()
      return s.time > timeAtKill + 6 || fatal(s.errors).length ? s : undefined
    },
    'playback to continue past the kill',
    600,
    50,
  )
  t.same(fatal(later.errors), [], 'no fatal error')
  t.ok(later.time > timeAtKill + 6, `currentTime advanced from ${timeAtKill.toFixed(2)} to ${later.time.toFixed(2)}`)
  t.not(later.pathway, 'a1', `moved to pathway ${later.pathway}`)
  const after = segments.filter((s) => s.at > killedAt && !s.url.startsWith(ocas[0]!.url))
  t.ok(after.length >= 3, `${after.length} segments fetched from another OCA after the kill`)
  t.ok(after.every((s) => s.url.startsWith(ocas[1]!.url) || s.url.startsWith(ocas[2]!.url)))
  if (kind === 'dash') {
    // DASH-IF Content Steering: dash.js asks the steering server again every TTL and reports the pathways it used (_DASH_pathway)
    const used = steeringAsks.filter((a) => a.at > killedAt).map((a) => a.url.searchParams.get('_DASH_pathway') ?? '')
    t.ok(used.length >= 2, `dash.js asked the steering server ${used.length} times after the kill`)
    t.ok(
      used.some((p) => /b1|c1/.test(p)),
      `and reported another pathway in use (${used.at(-1)})`,
    )
  }
}
