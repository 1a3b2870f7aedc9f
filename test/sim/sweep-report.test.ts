import { existsSync } from 'node:fs'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import t from 'tap'
import { distribution } from '../../sim/engine/metrics.js'
import { runSweep, type SweepInput } from '../../sim/engine/sweep.js'
import { syntheticLadder } from '../../sim/manifest/ladder.js'
import { buildHtmlReport } from '../../sim/report/html.js'
import { formatComparison, formatSweepTable } from '../../sim/report/table.js'
import { generateTraceSet } from '../../sim/trace/generators.js'
import { loadTraceSet } from '../../sim/trace/read.js'
import { TRACES } from './helpers.js'

t.test('distributions: mean and interpolated percentiles', async (t) => {
  const d = distribution([5, 1, 4, 2, 3])
  t.same(d, { mean: 3, p5: 1.2, p50: 3, p95: 4.8, n: 5 })
  t.equal(distribution([]).n, 0)
})

t.test('a correct ladder over fast traces: no "drop the top rung" verdict, whichever family runs', async (t) => {
  // The case: 10 rungs, a 25 s buffer, links of 14–60 Mbit/s. BOLA sized from the rung count (30 s) never left the 6th rung.
  const ladder = syntheticLadder({
    bitrates: [235, 375, 560, 750, 1050, 1750, 2350, 3000, 4300, 5800].map((k) => k * 1000),
    segmentDuration: 4,
    segments: 90,
    name: 'ten rungs',
  })
  const fast = { name: 'fast', traces: [14000, 25000, 40000, 60000].map((k) => generateTraceSet(`constant:kbps=${k}`).traces[0]!) }
  for (const algorithms of [['bola'], ['bolae'], ['bola', 'bolae', 'bba'], ['throughput', 'bba', 'bola', 'bolae', 'dynamic', 'mpc']]) {
    const result = runSweep({ ladders: [ladder], traceSets: [fast], algorithms, session: { bufferCap: 25 } })
    const v = result.verdicts[0]!
    const top = ladder.rungs[9]!.id
    t.notMatch(
      v.suggestions.join('\n'),
      new RegExp(`drop rung ${top}|top rung ${top}|rung ${top} \\(`),
      `${algorithms.join(', ')}: nothing against the top rung`,
    )
    t.ok(v.topRung.reachable, `${algorithms.join(', ')}: top rung reachable`)
    for (const a of algorithms.filter((x) => x.startsWith('bola')))
      t.ok(v.rungUse[9]!.byAlgorithm[a]! > 0.5, `${a} plays the top rung most of the time on fast links (${(v.rungUse[9]!.byAlgorithm[a]! * 100).toFixed(0)}%)`)
  }
})

t.test('ladder verdicts on a ladder with a useless rung, a too-close pair and a floor too high', async (t) => {
  const ladder = syntheticLadder({ bitrates: [1500e3, 1600e3, 3000e3, 12000e3, 40000e3], segmentDuration: 4, segments: 60, name: 'flawed' })
  const slow = generateTraceSet('markov:on=4000,off=100,meanOn=15,meanOff=40,count=6,duration=300', 3)
  const result = runSweep({ ladders: [ladder], traceSets: [slow], algorithms: ['throughput', 'bba', 'bola'] })
  const v = result.verdicts[0]!
  t.same(v.unused, ['r4'], '40 Mbit/s is never reachable on ≤ 4 Mbit/s traces')
  t.same(
    v.tooClose.map((p) => [p.lower, p.upper]),
    [['r0', 'r1']],
    '1.6/1.5 = ×1.07',
  )
  t.same(
    v.tooFar.map((p) => [p.lower, p.upper]),
    [
      ['r2', 'r3'],
      ['r3', 'r4'],
    ],
  )
  t.notOk(v.lowestRung.sustains, '100 kbit/s tunnels stall a 1.5 Mbit/s floor')
  t.ok(v.lowestRung.belowShare > 0.1)
  t.notOk(v.topRung.reachable)
  t.match(v.suggestions.join('\n'), /drop rung r4/)
  t.match(
    v.suggestions.join('\n'),
    /drop rung r4: never chosen by any of throughput, bba, bola .*bola: the link sustained it only 0% of the time/,
    'the verdict names the algorithms and why',
  )
  t.same(v.families, ['throughput', 'buffer'])
  t.match(v.suggestions.join('\n'), /add a rung near 750 kbps/)
  t.match(v.suggestions.join('\n'), /merge them/)

  const good = syntheticLadder({ bitrates: [200e3, 400e3, 750e3, 1400e3, 2600e3], segmentDuration: 4, segments: 60, name: 'fits' })
  const fast = generateTraceSet('walk:kbps=3000,sigma=0.1,min=1500,count=4,duration=300', 1)
  const ok = runSweep({ ladders: [good], traceSets: [fast], algorithms: ['bba', 'bola'] }).verdicts[0]!
  t.ok(ok.lowestRung.sustains)
  t.ok(ok.topRung.reachable)
  t.same(ok.tooClose, [])
})

t.test('a sweep on real traces: tables, comparison and JSON-able results', async (t) => {
  const cooked = await loadTraceSet(join(TRACES, 'cooked'))
  const a = syntheticLadder({ bitrates: [300e3, 750e3, 1200e3, 1850e3, 2850e3, 4300e3], segmentDuration: 4, segments: 75, name: 'A' })
  const b = syntheticLadder({ bitrates: [150e3, 300e3, 600e3, 1200e3, 2400e3], segmentDuration: 4, segments: 75, name: 'B' })
  const result = runSweep({ ladders: [a, b], traceSets: [cooked], algorithms: ['throughput', 'robustmpc'] })
  t.equal(result.cells.length, 4)
  t.equal(result.cells[0]?.sessions.length, 12)
  t.ok(result.cells.every((c) => Math.abs(c.rungShare.reduce((x, y) => x + y, 0) - 1) < 1e-9))
  const table = formatSweepTable(result)
  t.match(table, /Ladder A \(synthetic\)/)
  t.match(table, /robustmpc/)
  t.match(table, /verdict: lowest rung/)
  const cmp = formatComparison(result)
  t.match(cmp, /A = A\nB = B/)
  t.match(cmp, /QoE A\s+QoE B\s+Δ/)
  t.doesNotThrow(() => JSON.stringify(result))
})

const CHROMIUM = '/usr/bin/chromium'
const noChromium = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium)`
if (noChromium) console.log(`# skipping the Chromium render check: ${noChromium}`)

t.test('the HTML report is self-contained and renders its plots in headless Chromium', { skip: noChromium }, async (t) => {
  const norway = await loadTraceSet(join(TRACES, 'norway-3g'))
  const input: SweepInput = {
    ladders: [syntheticLadder({ bitrates: [300e3, 750e3, 1850e3, 4300e3], segmentDuration: 4, segments: 45, name: 'ladder' })],
    traceSets: [{ name: 'norway-3g', traces: norway.traces.slice(0, 8) }],
    algorithms: ['bba', 'bola', 'dynamic'],
  }
  const html = buildHtmlReport(input, runSweep(input))
  t.notMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/, 'no scripts, no remote resources')
  const file = join(await mkdtemp(join(tmpdir(), 'oclab-sim-html-')), 'report.html')
  await writeFile(file, html)
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  const requests: string[] = []
  page.on('request', (r) => requests.push(r.url()))
  await page.goto(`file://${file}`)
  // Sweep plots: a QoE box plot and a rung bar chart; per session: 2 plots × 3 algorithms × 2 traces.
  const charts = await page.locator('svg.chart').count()
  t.equal(charts, 2 + 2 * 3 * 2)
  const box = await page.locator('svg.chart').first().boundingBox()
  t.ok(box && box.width > 300 && box.height > 50, 'the SVG lays out with a size')
  t.ok((await page.locator('svg.chart path.series').count()) >= 18, 'every session chart draws its series')
  t.ok((await page.locator('.session h4').first().textContent())!.includes('bba on'))
  t.same(
    requests.filter((u) => !u.startsWith('file:')),
    [],
    'the page fetches nothing',
  )
})

t.test('HTML report: the rung legend shows every rung; the buffer axis is the buffer cap', async (t) => {
  const kbps = [150, 250, 400, 600, 900, 1300, 1900, 2700, 3800, 5200, 7000, 9500]
  const ladder = syntheticLadder({ bitrates: kbps.map((k) => k * 1000), segmentDuration: 4, segments: 20, name: 'twelve' })
  const input: SweepInput = { ladders: [ladder], traceSets: [generateTraceSet('constant:kbps=4000')], algorithms: ['bba'], session: { bufferCap: 25 } }
  const html = buildHtmlReport(input, runSweep(input))
  for (const r of ladder.rungs) t.match(html, `>${r.id} ${Math.round(r.bitrate / 1000)}k</text>`, `legend entry for ${r.id}`)
  const legend = [...html.matchAll(/<rect class="legend" x="(\d+)" y="(\d+)"[^>]*fill="([^"]+)"/g)]
  t.equal(legend.length, 12)
  t.ok(
    legend.every((m) => Number(m[1]) + 100 <= 720),
    'every legend entry inside the 720 px chart',
  )
  t.equal(new Set(legend.map((m) => m[3])).size, 12, 'twelve distinct colours')
  const bufferChart = /aria-label="buffer level \(stalls shaded\)">([\s\S]*?)<\/svg>/.exec(html)![1]!
  t.match(bufferChart, /text-anchor="end">25.0<\/text>/, 'the axis tops at the 25 s cap')
  t.notMatch(bufferChart, /text-anchor="end">50<\/text>/)
})

t.test('runSweep reports progress once per session, ending at the total', async (t) => {
  const ladder = syntheticLadder({ bitrates: [500e3, 1500e3], segmentDuration: 4, segments: 10 })
  const seen: Array<[number, number]> = []
  runSweep({ ladders: [ladder], traceSets: [generateTraceSet('walk:kbps=2000,count=3', 1)], algorithms: ['bba', 'bola'] }, (done, total) =>
    seen.push([done, total]),
  )
  t.same(
    seen,
    [1, 2, 3, 4, 5, 6].map((d) => [d, 6]),
  )
})
