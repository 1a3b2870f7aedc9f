/**
 * `npm run bench -- encode [--duration 30] [--size 1280x720] [--only chunking|per-title] [--per-title-duration 20]`
 *
 * 1. Chunking cost: the fixed ladder of a 720p source encoded as chunk jobs
 *    (one chunk × one rung each, run side by side, then stitched) against ONE
 *    ffmpeg invocation producing the same renditions with the same x264
 *    settings. Both encode only; quality metrics are timed apart.
 * 2. Per-title against fixed on the simple and the complex source: bits the
 *    per-title ladder needs for the fixed top rung's VMAF, and the VMAF it
 *    reaches at the fixed top rung's bitrate.
 */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateSource, type SourceKind } from '../encoder/source.js'
import { inspectSource } from '../encoder/inspect.js'
import { planChunks } from '../encoder/chunks.js'
import { fixedLadder, rungId } from '../encoder/ladder.js'
import { DEFAULT_H264, h264Args, type H264Settings } from '../encoder/h264.js'
import { encodeChunkGroup, type ChunkBatch, type ChunkJob } from '../encoder/chunk-job.js'
import { localPool } from '../encoder/job-queue.js'
import { stitchChunks } from '../encoder/stitch.js'
import { batchJobs, encodeTitle, sharedVmafModel } from '../encoder/encode-title.js'
import { probeSource } from '../encoder/probe.js'
import { bitrateForQuality, qualityAtBitrate, upperConvexHull } from '../encoder/hull.js'
import { ffmpeg } from '../lib/ffmpeg.js'

const arg = (args: string[], name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now()
  const r = await fn()
  return [r, (performance.now() - t0) / 1000]
}

async function chunkingCost(dir: string, source: string): Promise<void> {
  const report = await inspectSource(source)
  const v = report.video
  const plan = planChunks(v.frameCount, v.frameRate, 4, 2)
  const h264: H264Settings = { ...DEFAULT_H264, gop: plan.framesPerSegment, frameRate: v.frameRate }
  const rungs = fixedLadder(v.width, v.height)
  const cores = availableParallelism()
  console.log(`\n## 1. Chunked parallel encode vs one ffmpeg invocation`)
  console.log(`source ${v.width}x${v.height} ${report.duration.toFixed(1)} s, fixed ladder ${rungs.length} rungs (${rungs.map((r) => `${r.height}p@${r.bitrate / 1000}k`).join(', ')}), x264 ${h264.preset}, ${cores} cores`)

  // baseline: one process, one decode, a split to every rung (x264 threads chosen by x264)
  const single = join(dir, 'single')
  const [, tSingle] = await timed(async () => {
    await rm(single, { recursive: true, force: true })
    await mkdir(single, { recursive: true })
    const outs = rungs.flatMap((r) => ['-map', '0:v:0', ...h264Args(r.width, r.height, { bitrate: r.bitrate }, { ...h264, threads: 0 }), '-f', 'mp4', join(single, `${r.id}.mp4`)])
    await ffmpeg(['-i', source, ...outs])
  })

  // chunked: jobs of one chunk × one rung on a pool as wide as the machine, then stitched per rung
  const work = join(dir, 'chunks')
  const jobs: ChunkJob[] = plan.chunks.flatMap((chunk) =>
    rungs.map((rung) => ({
      key: `${rung.id}/chunk-${chunk.index}`, source, sourceSeek: chunk.startFrame ? (chunk.startFrame - 0.5) / v.frameRate : 0,
      sourceWidth: v.width, sourceHeight: v.height, chunk, rung, h264, framesPerSegment: plan.framesPerSegment, metric: 'ssim' as const, vmafModel: null, workDir: work,
    })),
  )
  const [, tChunked] = await timed(async () => {
    await rm(work, { recursive: true, force: true })
    await Promise.all(rungs.map((r) => mkdir(join(work, r.id), { recursive: true })))
    // the pipeline's unit: a chunk with all its rungs, decoded once
    const pool = localPool<ChunkBatch, void>((b) => encodeChunkGroup(b.jobs, b.jobs.map((j) => join(work, `${j.key}.mp4`))), { concurrency: cores, describe: (b) => b.key })
    await pool.runAll(batchJobs(jobs))
    await Promise.all(rungs.map((r) => stitchChunks(plan.chunks.map((c) => join(work, r.id, `chunk-${c.index}.mp4`)), join(work, `${r.id}.frag.mp4`))))
  })
  let bytesSingle = 0
  let bytesChunked = 0
  for (const r of rungs) {
    bytesSingle += (await stat(join(single, `${r.id}.mp4`))).size
    bytesChunked += (await stat(join(work, `${r.id}.frag.mp4`))).size
  }
  console.log(`| path | wall s | bytes |`)
  console.log(`|---|---|---|`)
  console.log(`| one ffmpeg, ${rungs.length} outputs (baseline) | ${tSingle.toFixed(1)} | ${bytesSingle} |`)
  console.log(`| ${jobs.length} chunk jobs in ${plan.chunks.length} chunk batches × ${cores} workers + stitch | ${tChunked.toFixed(1)} | ${bytesChunked} |`)
  console.log(`ratio chunked/single wall time: ${(tChunked / tSingle).toFixed(2)} (target ≤ 1.15)`)
}

const ownRows: string[] = []

async function perTitleVsFixed(dir: string, kind: SourceKind, duration: number, width: number, height: number, vmafModel: string): Promise<string> {
  const source = join(dir, `${kind}.mp4`)
  await generateSource({ kind, out: source, duration, width, height })
  const store = join(dir, `store-${kind}`)
  const fixed = await encodeTitle({ source, store, titleId: 'fixed', ladder: 'fixed', vmafModel })
  const top = fixed.title.video.at(-1)!
  const qFixed = top.quality.vmaf!
  const rFixed = top.averageBandwidth
  const report = await inspectSource(source, { quick: true })
  const { rd } = await probeSource({ source, sourceWidth: width, sourceHeight: height, frameRate: report.video.frameRate, duration, h264: { ...DEFAULT_H264, frameRate: report.video.frameRate }, metric: 'vmaf', vmafModel, concurrency: availableParallelism() })
  const hull = upperConvexHull(rd)
  const atR = qualityAtBitrate(hull, rFixed)!
  const rung = (p: { width: number; height: number }, bitrate: number) => [{ id: rungId(p.height, bitrate), width: p.width, height: p.height, bitrate }]
  // Bits for the fixed top's quality: start at the hull's estimate, then refine
  // with real encodes (secant steps on log bitrate), since the CRF probes only
  // approximate what a rate-controlled encode reaches.
  const start = bitrateForQuality(hull, qFixed) ?? hull.at(-1)!
  const measure = async (bitrate: number, id: string) => {
    const r = await encodeTitle({ source, store, titleId: id, ladder: rung(start, Math.round(bitrate)), vmafModel })
    return r.title.video[0]!
  }
  let a = { b: start.bitrate, v: await measure(start.bitrate, 'q-1') }
  let b = { b: start.bitrate * (a.v.quality.vmaf! > qFixed ? 0.7 : 1.4), v: await measure(start.bitrate * (a.v.quality.vmaf! > qFixed ? 0.7 : 1.4), 'q-2') }
  for (let i = 3; i <= 4; i++) {
    const qa = a.v.quality.vmaf!
    const qb = b.v.quality.vmaf!
    if (Math.abs(qb - qFixed) < 0.3 || qa === qb) break
    const next = Math.exp(Math.log(a.b) + ((qFixed - qa) * (Math.log(b.b) - Math.log(a.b))) / (qb - qa))
    a = b
    b = { b: next, v: await measure(next, `q-${i}`) }
  }
  const q = b.v
  const sameR = await encodeTitle({ source, store, titleId: 'same-r', ladder: rung(atR, top.targetBitrate), vmafModel })
  const r = sameR.title.video[0]!
  // and the per-title ladder as `oclab encode` makes it (top rung aimed at VMAF 95)
  const own = (await encodeTitle({ source, store, titleId: 'per-title', ladder: 'per-title', vmafModel })).title.video.at(-1)!
  ownRows.push(`| ${kind} | ${top.width}x${top.height} ${Math.round(rFixed / 1000)}k, VMAF ${qFixed.toFixed(1)} | ${own.width}x${own.height} ${Math.round(own.averageBandwidth / 1000)}k, VMAF ${own.quality.vmaf!.toFixed(1)} | ${(own.averageBandwidth / rFixed).toFixed(2)} |`)
  return `| ${kind} | ${top.width}x${top.height} ${Math.round(rFixed / 1000)}k, VMAF ${qFixed.toFixed(1)} | ${q.width}x${q.height} ${Math.round(q.averageBandwidth / 1000)}k, VMAF ${q.quality.vmaf!.toFixed(1)} | ${(q.averageBandwidth / rFixed).toFixed(2)} | ${r.width}x${r.height} ${Math.round(r.averageBandwidth / 1000)}k, VMAF ${r.quality.vmaf!.toFixed(1)} | ${(r.quality.vmaf! - qFixed).toFixed(1)} |`
}

export async function run(args: string[]): Promise<void> {
  const duration = Number(arg(args, 'duration', '30'))
  const [width, height] = arg(args, 'size', '1280x720').split('x').map(Number) as [number, number]
  const dir = await mkdtemp(join(tmpdir(), 'oclab-bench-encode-'))
  try {
    const source = join(dir, 'simple.mp4')
    await generateSource({ kind: 'simple', out: source, duration, width, height })
    const only = arg(args, 'only', 'all')
    if (only !== 'per-title') await chunkingCost(dir, source)
    if (only === 'chunking') return
    const vmafModel = sharedVmafModel()
    if (!vmafModel) {
      console.log('\n## 2. Per-title vs fixed: skipped, no VMAF model (set OCLAB_VMAF_MODEL)')
      return
    }
    const ptDuration = Number(arg(args, 'per-title-duration', '20'))
    console.log(`\n## 2. Per-title vs fixed ladder (${ptDuration} s ${width}x${height}, VMAF ${vmafModel.split('/').at(-1)})`)
    console.log('| source | fixed top rung | per-title at the same VMAF | bits ratio | per-title at the same bitrate | VMAF gain |')
    console.log('|---|---|---|---|---|---|')
    for (const kind of ['simple', 'complex'] as const) console.log(await perTitleVsFixed(dir, kind, ptDuration, width, height, vmafModel))
    console.log('target: on the simple source the per-title rung needs ≥ 30% fewer bits (ratio ≤ 0.70)')
    console.log('\nThe per-title ladder as `oclab encode` builds it (top rung aimed at VMAF 95, a visually transparent level) against the fixed top rung:')
    console.log('| source | fixed top rung | per-title top rung | bits ratio |')
    console.log('|---|---|---|---|')
    for (const row of ownRows) console.log(row)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
