import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import Fastify from 'fastify'
import t from 'tap'
import { demoHtml } from '../../cli/demo-report.js'
import { freePort } from '../../lib/free-port.js'
import type { LoadReport, LoadSample } from '../../sim/loadtest/harness.js'
import { oclab } from '../helpers/cli.js'
import { startTestCluster } from '../helpers/cluster.js'
import { tempDir, testPackage } from '../helpers/package.js'

t.test('oclab load --json --html --console: a timeline per second, an HTML page of charts, and the console fed', async (t) => {
  const dir = await tempDir(t)
  await testPackage(dir, { width: 320, height: 180, duration: 4 })
  const { file } = await startTestCluster(t, dir, 2)

  // the console stand-in: records what arrives at /api/load
  const received: unknown[] = []
  const consoleApp = Fastify({ bodyLimit: 50 * 1024 * 1024 })
  consoleApp.post('/api/load', async (req) => {
    received.push(req.body)
    return { ok: true }
  })
  await consoleApp.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => consoleApp.close())
  const consoleUrl = `http://127.0.0.1:${(consoleApp.server.address() as { port: number }).port}`

  const html = join(dir, 'out', 'load.html')
  const { code, out, err } = await oclab([
    'load',
    '--config',
    file,
    '--titles',
    'test-title',
    '--rate',
    '6',
    '--duration',
    '4',
    '--time-scale',
    '4',
    '--abr',
    'throughput',
    '--fault',
    'slow:oca-1=40@1.5',
    '--json',
    '--html',
    html,
    '--console',
    consoleUrl,
  ])
  t.equal(code, 0, err)
  const report = JSON.parse(out) as LoadReport
  const tl = report.timeline
  t.ok(tl.length >= 4, `${tl.length} samples`)
  for (let i = 1; i < tl.length; i++) {
    t.ok(tl[i]!.t > tl[i - 1]!.t, `t rises at ${i}`)
    t.ok(tl[i]!.started >= tl[i - 1]!.started && tl[i]!.errors >= tl[i - 1]!.errors, 'cumulative counts never fall')
  }
  const lastSample = tl.at(-1)!
  t.equal(lastSample.started, report.sessions.started, 'the last sample has every session started')
  t.equal(lastSample.completed + lastSample.lost, report.sessions.started, 'and every one ended')
  t.equal(lastSample.active, 0)
  // rate × seconds adds back up to the request count
  const summed = tl.reduce((a, s, i) => a + s.requestsPerSecond * (s.t - (i ? tl[i - 1]!.t : 0)), 0)
  t.ok(Math.abs(summed - report.requests) <= tl.length, `Σ rate·dt ${summed.toFixed(0)} ≈ ${report.requests} requests`)
  const busy = tl.filter((s) => s.p50Ms !== null)
  t.ok(busy.length >= 2, 'segments finished in several seconds')
  for (const s of busy) t.ok(s.p50Ms! <= s.p99Ms!, 'p50 ≤ p99')
  const fired = tl.findIndex((s) => s.faults.length)
  t.same(tl[fired]?.faults, ['slow:oca-1=40@1.5'], 'the fault is marked in one sample')
  t.equal(tl.filter((s) => s.faults.length).length, 1, 'and only in one')
  const at = report.faults[0]!.at
  t.ok(at <= tl[fired]!.t + 0.01 && (fired === 0 || at >= tl[fired - 1]!.t - 0.01), `fired at ${at} s, inside the second that ends at ${tl[fired]!.t}`)

  const page = await readFile(html, 'utf8')
  t.match(page, /^<!doctype html><html>/)
  t.match(page, /<\/body><\/html>\s*$/)
  t.notMatch(page, /<script|src="http|href="http/, 'self-contained')
  for (const title of ['Active sessions', 'Requests per second', 'Throughput to players', 'Segment latency', 'Errors per second']) {
    t.match(page, new RegExp(`<h3>${title}[^<]*</h3><svg[^>]*>`), `a chart: ${title}`)
  }
  t.equal(page.match(/<svg/g)?.length, 5)
  t.equal(page.match(/<\/svg>/g)?.length, 5)
  t.equal(page.match(/>slow:oca-1=40@1\.5<\/text>/g)?.length, 5, 'the fault labelled on every chart')
  t.match(page, /<td>oca-2<\/td><td>site-b<\/td>/, 'the per-OCA table')
  t.match(page, /<td>slow:oca-1=40@1\.5<\/td>/, 'the fault table')
  const placement = {
    startedAt: '',
    finishedAt: '',
    dryRun: false,
    plan: { servedBytes: 0, boundBytes: 0, demandBytes: 0, ratioToBound: 0 },
    sites: [],
    placement: {},
  }
  const demo = demoHtml({ encoded: [], placement, report, seconds: 1 })
  t.equal(demo.match(/<svg/g)?.length, 5 + 3, "the demo page has the run's five charts beside its three bar charts")
  t.match(demo, /<h3>Active sessions<\/h3><svg/)

  const samples = received.filter((b) => !(b as { done?: boolean }).done) as LoadSample[]
  const final = received.filter((b) => (b as { done?: boolean }).done) as Array<{ done: true; report: LoadReport }>
  t.ok(samples.length >= 3, `${samples.length} samples posted`)
  t.same(Object.keys(samples[0]!).sort(), [
    'active',
    'completed',
    'errors',
    'faults',
    'gbitPerSecond',
    'lost',
    'p50Ms',
    'p99Ms',
    'requestsPerSecond',
    'started',
    't',
  ])
  t.same(samples[0], tl[0], 'the first posted sample is the first of the timeline')
  t.equal(final.length, 1, 'one final post')
  t.equal(received.at(-1), final[0], 'and it comes last')
  t.same(final[0]?.report, report, 'carrying the report')
})

t.test('oclab load --console: an absent console does not fail the run', async (t) => {
  const dir = await tempDir(t)
  await testPackage(dir, { width: 320, height: 180, duration: 2 })
  const { file } = await startTestCluster(t, dir, 1)
  const nobody = `http://127.0.0.1:${await freePort()}`
  const { code, out, err } = await oclab([
    'load',
    '--config',
    file,
    '--titles',
    'test-title',
    '--rate',
    '4',
    '--duration',
    '1.5',
    '--time-scale',
    '4',
    '--json',
    '--console',
    nobody,
  ])
  t.equal(code, 0, err)
  t.equal((JSON.parse(out) as LoadReport).sessions.lost, 0)
  const bad = await oclab(['load', '--config', file, '--console', 'not-a-url', '--duration', '1'])
  t.equal(bad.code, 2)
  t.match(bad.err, /--console: not an http/)
})
