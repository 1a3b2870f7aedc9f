import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import {
  compareCurves,
  type EncodeResult,
  encodeTitle,
  generateSource,
  ladderCurve,
  ladderSummary,
  progressRenderer,
  sharedVmafModel,
  subtitleSidecarOf,
} from '../encoder/index.js'
import { writeFileAtomic } from '../lib/atomic-file.js'
import { clusterChildren } from '../lib/cluster-control.js'
import { repoRoot } from '../lib/repo-root.js'
import { Supervisor } from '../lib/supervisor.js'
import { type PrepositionReport, prepositionViaAdmin } from '../origin/index.js'
import { waitForSteering } from '../sim/http-player/index.js'
import { loadTraceSet } from '../sim/index.js'
import { formatLoadReport, type LoadReport, parseFault, progressLine, runLoad } from '../sim/loadtest/index.js'
import type { OptionValues } from './command.js'
import { numberOption, sizeOption, stringOption } from './command.js'
import { writeDemoCluster } from './demo-cluster.js'
import { DEMO_JSON, demoHtml, demoJson } from './demo-report.js'

const shared = resolve(repoRoot, '..', 'shared')

/** Real traces from ../shared/traces when present (3G commutes and LTE), else seeded generators. */
async function demoTraces(seed: number) {
  const specs = existsSync(join(shared, 'traces'))
    ? [join(shared, 'traces', 'norway-3g'), join(shared, 'traces', 'mahimahi')]
    : ['walk:kbps=3000,count=12', 'markov:on=6000,off=400,count=8']
  return { specs, traces: (await Promise.all(specs.map((s) => loadTraceSet(s, { seed })))).flatMap((t) => t.traces) }
}

const say = (s: string) => console.log(s)

/** `oclab demo`'s work, loaded only when it runs (cli/demo.ts holds its options). */
export async function runDemo(values: OptionValues): Promise<number> {
  const t0 = Date.now()
  const out = resolve(stringOption(values, 'out') ?? 'out/demo')
  const duration = numberOption(values, 'duration', { min: 2, max: 600 }) ?? 10
  const { width, height } = sizeOption(values, 'size') ?? { width: 640, height: 360 }
  const loadSeconds = numberOption(values, 'load-seconds', { min: 2, max: 3600 }) ?? 20
  const timeScale = numberOption(values, 'time-scale', { min: 0.1, max: 100 }) ?? 4
  await rm(out, { recursive: true, force: true })
  const { file, cluster } = await writeDemoCluster(join(out, 'cluster'))
  const store = cluster.origin.storeDir!
  const vmafModel = sharedVmafModel()
  const render = progressRenderer(process.stderr.isTTY ? 'tty' : 'plain')

  say(
    `== 1. Encode: a multishot source (${duration} s ${width}x${height}) three ways: fixed, per-title and shot-based ladders, each with English and French audio and English subtitles (${vmafModel ? 'VMAF' : 'SSIM: no VMAF model found'})`,
  )
  const encoded: EncodeResult[] = []
  const source = join(out, 'sources', 'multishot.mp4')
  await generateSource({ kind: 'multishot', out: source, duration, width, height, seed: 1 })
  // the source carries English and French audio and writes English subtitles beside itself: every package has all three
  const subtitles = [{ file: subtitleSidecarOf(source), language: 'en' }]
  // a small probe grid keeps the demo short; `oclab encode` probes more by default
  const probe = { heights: [180, 270, 360, 540, 720], crfs: [22, 28, 34, 40] }
  // shot-based first: its per-shot probes also give per-title the whole title's points (probe once, choose two ladders)
  for (const [ladder, titleId] of [
    ['shot-based', 'demo-shots'],
    ['per-title', 'demo-per-title'],
    ['fixed', 'demo-fixed'],
  ] as const) {
    const shotProbes = encoded[0]?.shotProbes
    const r = await encodeTitle({ source, store, titleId, ladder, vmafModel, onEvent: render, probe, subtitles, ...(shotProbes ? { shotProbes } : {}) })
    encoded.push(r)
    say(ladderSummary(r.title, r.titleDir))
  }
  // the story's order: fixed, per-title, shot-based
  encoded.reverse()
  for (const [test, anchor] of [
    [1, 0],
    [2, 1],
    [2, 0],
  ] as const) {
    const c = compareCurves(ladderCurve(encoded[anchor]!.title, encoded[anchor]!.title.id), ladderCurve(encoded[test]!.title, encoded[test]!.title.id))
    say(
      c.metrics
        .map(
          (m) =>
            `  ${c.test.titleId} vs ${c.anchor.titleId}: BD-rate ${m.metric.toUpperCase()} ${m.bdRate === null ? 'no overlap' : `${m.bdRate.toFixed(1)} %`}`,
        )
        .join('\n'),
    )
  }

  say(`\n== 2. Cluster: origin, 6 OCAs in 3 regions, steering (logs in ${join(out, 'cluster', 'cluster.log')})`)
  const logLines: string[] = []
  // eight node processes starting at once on a busy laptop or CI box: give them minutes, not seconds
  const sup = new Supervisor({ log: (l) => logLines.push(l), stopGraceMs: 5000, readyTimeoutMs: 300_000 })
  let report: LoadReport
  let placement: PrepositionReport
  let restarts = ''
  try {
    await sup.start(clusterChildren(cluster, file, store))
    for (const o of cluster.ocas) say(`  ${o.id.padEnd(10)} ${o.site.padEnd(11)} ${o.url}${o.parent ? `  (fills from ${o.parent})` : ''}`)

    say('\n== 3. Pre-position by the popularity forecast (tiered: a site fills from a peer that holds the title)')
    placement = await prepositionViaAdmin(cluster.origin.url, cluster.adminToken)
    for (const s of placement.sites) {
      const mb = (b: number) => (b / 1e6).toFixed(1)
      say(
        `  ${s.oca.padEnd(10)} ${s.status.padEnd(5)} ${s.titlesPlanned} title(s) planned (${s.titlesInPlace} already there), ${mb(s.bytesFilled)} MB filled (${mb(s.bytesFromPeers)} from peers, ${mb(s.bytesFromOrigin)} from origin), ${mb(s.bytesVerified)} MB verified`,
      )
    }
    say(`  plan serves ${(placement.plan.ratioToBound * 100).toFixed(1)}% of the fractional upper bound`)

    const { specs, traces } = await demoTraces(1)
    // steering has polled the fleet; the victim is the OCA it sends default-site clients to for the first title
    const answers = await Promise.all(encoded.map((e) => waitForSteering(cluster.steering.url, e.title.id, 3)))
    const victim = answers[0]!.candidates[0]!.id
    const killAt = Math.round(loadSeconds / 2)
    say(
      `\n== 4. Load: players from every region on real traces (${specs.map((s) => s.split('/').pop()).join(', ')}), ${timeScale}x time, ${victim} SIGKILLed at ${killAt} s`,
    )

    report = await runLoad({
      cluster,
      pidOf: (name) => sup.children.get(name)?.process.pid,
      titles: encoded.map((e) => e.title.id),
      traces,
      algorithms: ['throughput', 'bba', 'bola'],
      mode: 'open',
      rate: 3,
      durationSeconds: loadSeconds,
      timeScale,
      faults: [parseFault(`kill:${victim}@${killAt}`)],
      seed: 1,
      onProgress: (p) => process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[2K' : ''}${progressLine(p)}${process.stderr.isTTY ? '' : '\n'}`),
    })
    if (process.stderr.isTTY) process.stderr.write('\n')
    // the supervisor restarts a killed OCA (Restart=on-failure): say so
    restarts = sup
      .status()
      .filter((c) => c.restarts)
      .map((c) => `${c.name} restarted ${c.restarts} time(s), now ${c.state}`)
      .join(', ')
  } finally {
    await sup.stop()
    await writeFileAtomic(join(out, 'cluster', 'cluster.log'), `${logLines.join('\n')}\n`)
  }
  say(formatLoadReport(report))
  const html = join(out, 'report.html')
  const record = { encoded, placement, report, seconds: (Date.now() - t0) / 1000 }
  await writeFileAtomic(html, demoHtml(record))
  await writeFileAtomic(join(out, DEMO_JSON), demoJson(record))
  say(
    `\n== 5. Story: ${report.sessions.started} sessions, ${report.sessions.lost} lost; the kill cost ${report.faults[0]?.failovers ?? 0} failovers and ${report.faults[0]?.stallSeconds ?? 0} s of stalls across ${report.faults[0]?.sessionsAffected ?? 0} sessions${restarts ? `; ${restarts}` : ''}`,
  )
  say(`report: ${html}\ndone in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
  return report.sessions.lost ? 1 : 0
}
