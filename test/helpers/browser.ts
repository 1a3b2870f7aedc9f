import { existsSync } from 'node:fs'
import { join } from 'node:path'
import fastifyStatic from '@fastify/static'
import Fastify, { type FastifyInstance } from 'fastify'
import { type Browser, chromium } from 'playwright-core'
import { repoRoot } from './package.js'

/** Debian's chromium; CI installs it (.ci/run). Tests skip with this reason only where it is missing. */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
export const chromiumMissing = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // background networking off: this machine has no route out, and Chromium's
    // update and sync calls otherwise fail noisily at every start
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--autoplay-policy=no-user-gesture-required',
    ],
  })
}

const PLAYER_PAGE = `<!doctype html><html><body>
<video id="v" muted playsinline width="320"></video>
<script src="/lib/hls.min.js"></script><script src="/lib/dash.all.min.js"></script>
<script>
  const q = new URLSearchParams(location.search)
  const video = document.getElementById('v')
  window.playerErrors = []
  window.levelSwitches = []
  if (q.get('kind') === 'hls') {
    // hlsConfig: JSON merged into the hls.js config (tests shrink buffers and retries to see failover quickly)
    const hls = new Hls({ debug: false, ...JSON.parse(q.get('hlsConfig') || '{}') })
    hls.on(Hls.Events.ERROR, (_, d) => { if (d.fatal) window.playerErrors.push(d.type + ':' + d.details) })
    hls.on(Hls.Events.LEVEL_SWITCHED, (_, d) => window.levelSwitches.push(d.level))
    hls.loadSource(q.get('src'))
    hls.attachMedia(video)
    window.player = hls
    window.playerVersion = 'hls.js ' + Hls.version
  } else {
    const p = dashjs.MediaPlayer().create()
    // dashConfig: JSON passed to updateSettings (tests shrink buffers to see failover quickly)
    if (q.get('dashConfig')) p.updateSettings(JSON.parse(q.get('dashConfig')))
    p.on('error', (e) => window.playerErrors.push('dash:' + JSON.stringify(e.error && (e.error.message || e.error.code || e.error))))
    p.initialize(video, q.get('src'), true)
    // dashMediaSettings: JSON {type: MediaSettings} for setInitialMediaSettingsFor (tests pick a codec's
    // AdaptationSet by its id). After initialize, which dash.js requires, and before the manifest has
    // arrived and a track is chosen. dash.js ignores settings nothing matches, so tests check what it chose.
    for (const [type, s] of Object.entries(JSON.parse(q.get('dashMediaSettings') || '{}'))) p.setInitialMediaSettingsFor(type, s)
    window.player = p
    window.playerVersion = 'dash.js ' + p.getVersion()
  }
  video.play().catch(() => {})
</script></body></html>`

/**
 * A static server for a store (`/titles/...`) plus the player page and the
 * players' builds from node_modules, on 127.0.0.1 and a free port.
 */
export async function servePlayerPage(root: string): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify({ logger: false })
  await app.register(fastifyStatic, { root, prefix: '/', decorateReply: false })
  await app.register(fastifyStatic, {
    root: [join(repoRoot, 'node_modules', 'hls.js', 'dist'), join(repoRoot, 'node_modules', 'dashjs', 'dist', 'modern', 'umd')],
    prefix: '/lib/',
    decorateReply: false,
  })
  app.get('/player.html', async (_req, reply) => reply.type('text/html').send(PLAYER_PAGE))
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, url }
}
