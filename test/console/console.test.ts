import { execFile } from 'node:child_process'
import { cp, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { request } from 'undici'
import type { ClusterView } from '../../console/cluster-view.js'
import type { LoadRunView, LoadSample } from '../../console/load-samples.js'
import { buildConsoleServer } from '../../console/server.js'
import { clusterChildren } from '../../lib/cluster-control.js'
import { freePort } from '../../lib/free-port.js'
import { Supervisor } from '../../lib/supervisor.js'
import { chromiumMissing, launchBrowser } from '../helpers/browser.js'
import { writeTestCluster } from '../helpers/cluster.js'
import { repoRoot, tempDir, testPackage } from '../helpers/package.js'
import { until } from '../steering/processes.js'

const sample = (t: number, over: Partial<LoadSample> = {}): LoadSample => ({
  t,
  started: 10 * t,
  active: 5 + t,
  completed: 2 * t,
  lost: 0,
  requestsPerSecond: 40 + t,
  gbitPerSecond: 0.01 * (t + 1),
  errors: 0,
  p50Ms: 3,
  p99Ms: 20 + t,
  faults: [],
  ...over,
})

async function call(method: 'GET' | 'POST', url: string, body?: unknown, contentType = 'application/json') {
  const res = await request(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': contentType },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.body.text()
  return { status: res.statusCode, json: text ? (JSON.parse(text) as unknown) : undefined }
}

t.test('the console API: partial cluster views, load samples validated, kept and split into runs', async (t) => {
  const dir = await tempDir(t)
  // nothing listens on these: steering and the origin are "down"
  const { cluster } = await writeTestCluster(dir, 2)
  const app = buildConsoleServer({ cluster, keepSamples: 4, upstreamTimeoutMs: 300, clusterCacheMs: 0 })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())

  const view = (await call('GET', `${url}/api/cluster`)).json as ClusterView
  t.equal(view.partial, true, 'marked partial when steering and origin are down')
  t.equal(view.steering.ok, false)
  t.equal(view.origin.ok, false)
  t.ok(view.steering.error, `steering error given: ${view.steering.error}`)
  t.same(
    view.regions.map((r) => [r.region, r.sites.map((s) => [s.site, s.ocas.map((o) => [o.id, o.state, o.reason])])]),
    [
      ['eu', [['site-a', [['oca-1', 'unknown', 'steering unreachable']]]]],
      ['us', [['site-b', [['oca-2', 'unknown', 'steering unreachable']]]]],
    ],
    'OCAs grouped by region and site from the cluster file, state unknown',
  )
  t.same(view.titles, [])

  const page = await request(`${url}/`)
  t.match(page.headers['content-type'], /text\/html/)
  const html = await page.body.text()
  t.match(html, /<script src="\/lib\/hls.min.js"><\/script>/)
  t.notMatch(html, /__CONSOLE_SETTINGS__/, 'settings filled in')
  const lib = await request(`${url}/lib/hls.min.js`)
  t.equal(lib.statusCode, 200)
  t.ok(
    Buffer.from(await lib.body.arrayBuffer()).equals(await readFile(join(repoRoot, 'node_modules', 'hls.js', 'dist', 'hls.min.js'))),
    "node_modules' hls.min.js, byte for byte",
  )

  for (const bad of [
    { t: 'soon' },
    { ...sample(1), active: -1 },
    { ...sample(1), faults: 'kill:oca-1@2' },
    { ...sample(1), p99Ms: 'slow' },
    { done: true },
    { done: false, report: {} },
    [],
    42,
  ]) {
    const r = await call('POST', `${url}/api/load`, bad)
    t.equal(r.status, 400, `400 for ${JSON.stringify(bad).slice(0, 60)}`)
    t.match(r.json, { code: 'OCLAB_ERR_BAD_LOAD_SAMPLE' })
  }
  t.equal((await call('POST', `${url}/api/load`, '{"t":', 'application/json')).status, 400, 'broken JSON is a 400')
  t.same((await call('GET', `${url}/api/load`)).json, { run: 0, samples: [], report: null }, 'nothing kept from bad posts')

  t.equal(
    (await call('POST', `${url}/api/load`, { ...sample(0), p50Ms: null, p99Ms: null, addedLater: 'x' })).status,
    204,
    'null latencies (no segment finished) and unknown new fields are accepted',
  )
  for (let i = 1; i < 6; i++) t.equal((await call('POST', `${url}/api/load`, sample(i))).status, 204)
  let load = (await call('GET', `${url}/api/load`)).json as LoadRunView
  t.equal(load.run, 1)
  t.same(
    load.samples.map((s) => s.t),
    [2, 3, 4, 5],
    'the last keepSamples samples, in order',
  )
  t.equal((await call('POST', `${url}/api/load`, { done: true, report: { sessions: { started: 60, completed: 60, lost: 0 } } })).status, 204)
  load = (await call('GET', `${url}/api/load`)).json as LoadRunView
  t.same(load.report, { sessions: { started: 60, completed: 60, lost: 0 } }, 'the final report is kept with its run')
  t.equal(load.samples.length, 4)
  // a report with the run's timeline: it stands for samples that were lost on the way
  const timeline = [sample(1), sample(2), sample(3), sample(4), sample(5), { ...sample(5), t: 5.25, active: 0 }]
  await call('POST', `${url}/api/load`, { done: true, report: { sessions: { started: 60 }, timeline } })
  load = (await call('GET', `${url}/api/load`)).json as LoadRunView
  t.same([load.run, load.samples], [1, timeline.slice(-4)], "the report's timeline replaces the samples, the last keepSamples of it")
  await call('POST', `${url}/api/load`, { done: true, report: { sessions: { started: 60 }, timeline: [{ t: 'x' }] } })
  t.same(((await call('GET', `${url}/api/load`)).json as LoadRunView).samples, timeline.slice(-4), 'a timeline that is not samples is ignored')

  await call('POST', `${url}/api/load`, sample(6))
  await call('POST', `${url}/api/load`, { ...sample(5), t: 5.5 })
  load = (await call('GET', `${url}/api/load`)).json as LoadRunView
  t.same([load.run, load.samples.map((s) => s.t)], [1, [5, 5.25, 5.5, 6]], 'a swapped sample is put in order, a tail sample after the report joins its run')
  t.ok(load.report, 'which keeps its report')
  await call('POST', `${url}/api/load`, sample(0))
  load = (await call('GET', `${url}/api/load`)).json as LoadRunView
  t.same([load.run, load.samples.length, load.report], [2, 1, null], 'a clock back at zero starts a new run')
  await call('POST', `${url}/api/load`, sample(7))
  await call('POST', `${url}/api/load`, sample(3))
  load = (await call('GET', `${url}/api/load`)).json as LoadRunView
  t.same([load.run, load.samples.map((s) => s.t)], [3, [3]], 'a clock going backwards starts a new run')
})

/**
 * The page a person watches, in headless Chromium against a real cluster
 * (origin, two OCAs in two sites, steering as processes): cards, a title
 * playing through Content Steering, live charts, and failover when the OCA
 * of the current pathway is SIGKILLed.
 */
t.test('the console page shows the cluster, plays through steering, charts a load run and follows a failover', { skip: chromiumMissing }, async (t) => {
  const dir = await tempDir(t)
  const pkg = await testPackage(dir, { duration: 16, width: 320, height: 180 }, { titleId: 'movie' })
  const { file, cluster } = await writeTestCluster(dir, 2)
  for (const o of cluster.ocas) await cp(join(pkg.store, 'titles', 'movie'), join(o.storeDir!, 'titles', 'movie'), { recursive: true })
  const specs = clusterChildren(cluster, file, pkg.store).map((s) => ({ ...s, args: [...s.args, '--log-level', 'warn'] }))
  // quick polls and short steering TTLs, so a kill shows within seconds
  specs.find((s) => s.name === 'steering')!.args.push('--interval', '300', '--timeout', '300', '--ttl', '2')
  const logs: string[] = []
  // the kill below must leave oca-1 down for the page to show it
  const sup = new Supervisor({ log: (l) => logs.push(l), stopGraceMs: 3000, restart: { restart: 'no' } })
  t.teardown(() => sup.stop())
  await sup.start(specs)

  const app = buildConsoleServer({ cluster, refreshMs: 500 })
  const url = await app.listen({ host: '127.0.0.1', port: await freePort() })
  t.teardown(() => app.close())
  const browser = await launchBrowser()
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  // Small buffers so the player still has most of the title to fetch when its OCA dies.
  const hlsConfig = { maxBufferLength: 3, maxMaxBufferLength: 4, backBufferLength: 0, abrEwmaDefaultEstimate: 200_000 }
  await page.goto(`${url}/?hlsConfig=${encodeURIComponent(JSON.stringify(hlsConfig))}`)

  const cardStates = () =>
    page.$$eval('[data-testid="oca-card"]', (els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-oca'), e.getAttribute('data-state')])))
  const states = await until(
    async () => {
      const s = await cardStates()
      return s['oca-1'] === 'up' && s['oca-2'] === 'up' ? s : undefined
    },
    'both OCA cards up',
    300,
    100,
  )
  t.same(states, { 'oca-1': 'up', 'oca-2': 'up' }, 'the cards show both OCAs up')
  t.same(await page.$$eval('[data-region]', (els) => els.map((e) => e.getAttribute('data-region'))), ['eu', 'us'], 'grouped by region')

  await page.selectOption('[data-testid="title-picker"]', 'movie')
  type Shown = { pathway: string | null; fragmentOca: string | null; currentTime: number; errors: string[]; pathwayText: string }
  const shown = (): Promise<Shown> =>
    page.evaluate(() => {
      const s = (window as unknown as { consoleState: Omit<Shown, 'pathwayText'> }).consoleState
      return {
        pathway: s.pathway,
        fragmentOca: s.fragmentOca,
        currentTime: s.currentTime,
        errors: [...s.errors],
        pathwayText: document.querySelector('[data-testid="pathway"]')!.textContent!,
      }
    })
  const playing = await until(
    async () => {
      const s = await shown()
      return s.currentTime > 1.5 ? s : undefined
    },
    'playback to start',
    400,
    50,
  )
  // the browser connects from 127.0.0.1, in no coverage zone: the default site (site-a, oca-1) is its own
  t.equal(playing.pathway, 'oca-1', 'plays from oca-1 first')
  t.equal(playing.fragmentOca, 'oca-1', 'its segments come from oca-1')
  const playingText = (await shown()).pathwayText
  t.equal(playingText, 'oca-1', 'the page shows the pathway')

  // load samples: the charts draw what was posted, with the fault marked
  for (let i = 0; i < 5; i++) t.equal((await call('POST', `${url}/api/load`, sample(i, i >= 2 ? { faults: ['kill:oca-1@2'] } : {}))).status, 204)
  t.equal((await call('POST', `${url}/api/load`, { t: 'garbage' })).status, 400, 'garbage is refused')
  const chart = await until(
    async () => {
      const c = await page.evaluate(() => ({
        points: document.querySelector('[data-testid="line-active"]')!.getAttribute('data-points'),
        latest: document.querySelector('[data-testid="latest-active"]')!.textContent,
        p99: document.querySelector('[data-testid="latest-p99Ms"]')!.textContent,
        markers: [...document.querySelectorAll('[data-testid="chart-active"] [data-testid="fault-marker"]')].map((m) => m.getAttribute('data-fault')),
      }))
      return c.points === '5' ? c : undefined
    },
    'the chart to show five samples',
    100,
    100,
  )
  t.same(chart, { points: '5', latest: '9', p99: '24.0', markers: ['kill:oca-1@2'] }, 'five points, the last values, one fault marker')
  await call('POST', `${url}/api/load`, { done: true, report: { sessions: { started: 50, completed: 50, lost: 0 } } })
  const report = await until(
    async () => {
      const text = await page.textContent('[data-testid="load-report"]')
      return text?.includes('50 sessions') ? text : undefined
    },
    'the final report',
    100,
    100,
  )
  t.match(report, /50 sessions, 50 completed, 0 lost/)

  const before = await shown()
  sup.kill('oca-1')
  const moved = await until(
    async () => {
      const s = await shown()
      return s.pathway !== 'oca-1' && s.pathway !== null ? s : undefined
    },
    'the pathway to leave oca-1',
    400,
    50,
  )
  t.equal(moved.pathway, 'oca-2', 'the page follows the player to oca-2')
  const later = await until(
    async () => {
      const s = await shown()
      return s.currentTime > moved.currentTime + 2 || s.errors.length ? s : undefined
    },
    'playback to continue after the failover',
    300,
    50,
  )
  t.same(later.errors, [], 'no fatal player error')
  t.ok(
    later.currentTime > before.currentTime + 2,
    `currentTime kept advancing: ${before.currentTime.toFixed(2)} → ${moved.currentTime.toFixed(2)} → ${later.currentTime.toFixed(2)}`,
  )
  t.equal(later.pathwayText, 'oca-2')
  t.equal(later.fragmentOca, 'oca-2', 'segments now come from oca-2')
  const down = await until(async () => ((await cardStates())['oca-1'] === 'down' ? await cardStates() : undefined), "oca-1's card to show down", 200, 100)
  t.same(down, { 'oca-1': 'down', 'oca-2': 'up' }, 'the killed OCA shows down, the other up')

  // the real sender: `oclab load --console` against the surviving OCA; its samples and report become run 2 on the page
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      join(repoRoot, 'bin', 'oclab.js'),
      'load',
      '--config',
      file,
      '--titles',
      'movie',
      '--rate',
      '3',
      '--duration',
      '3',
      '--time-scale',
      '8',
      '--session-seconds',
      '4',
      '--json',
      '--console',
      url,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  )
  const sent = JSON.parse(stdout) as { sessions: { started: number }; timeline: LoadSample[] }
  let got: LoadRunView | undefined
  const run2 = await until(
    async () => {
      const v = (await call('GET', `${url}/api/load`)).json as LoadRunView
      got = v
      return v.run === 2 && v.report && v.samples.length === sent.timeline.length ? v : undefined
    },
    'the load run to arrive',
    50,
    100,
  ).catch((err: Error) => {
    throw new Error(`${err.message}: sent ${JSON.stringify(sent.timeline)}, have run ${got?.run} ${JSON.stringify(got?.samples)} report ${!!got?.report}`)
  })
  t.same(run2.samples, sent.timeline, 'every sample of the run, as sent')
  t.match(run2.report, { sessions: { started: sent.sessions.started } }, 'and its report')
  const shownRun = await until(
    async () => {
      const s = await page.evaluate(() => (window as unknown as { consoleState: { load: { run: number; samples: number; done: boolean } } }).consoleState.load)
      return s.run === 2 && s.done ? s : undefined
    },
    'the page to show run 2',
    50,
    100,
  )
  t.equal(shownRun.samples, sent.timeline.length, 'the page charts the real run')
  t.same(pageErrors, [], 'no script error on the page')
})
