/**
 * `npm run bench -- encode [--duration 30] [--size 1280x720] [--only chunking|ladders] [--rounds 2] [--ladder-duration 12] [--ladder-size 640x360] [--heights 180,270,…] [--crfs 20,25,…]`
 *
 * 1. Chunking cost: the fixed ladder of a 720p source encoded as chunk jobs
 *    (one chunk × one rung each, run side by side, then stitched) against ONE
 *    ffmpeg invocation producing the same renditions with the same x264
 *    settings, interleaved for --rounds rounds (wall and CPU per encoded
 *    second, ratios as median and range). Both encode only; quality metrics are timed apart.
 * 2. Fixed vs per-title vs shot-based ladders on the multishot source, as
 *    BD-rate on VMAF and PSNR (encoder/ladder/bd-rate.ts), with each encode's wall
 *    and CPU time. (This replaces a single-point "bits ratio at the same
 *    VMAF" that compared points 0.4 VMAF apart.)
 */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  batchJobs,
  type ChunkBatch,
  type ChunkJob,
  compareCurves,
  DEFAULT_H264,
  encodeChunkGroup,
  encodeTitle,
  fixedLadder,
  generateSource,
  type H264Settings,
  h264Args,
  inspectSource,
  type LadderCurve,
  ladderCurve,
  localPool,
  planChunks,
  sharedVmafModel,
  stitchChunks,
} from '../encoder/index.js'
import { ffmpeg } from '../lib/ffmpeg.js'
import { cpuSecondsOf, fmtSpread, footer, header, interleave, ratioSpread, spread } from './_rounds.js'

const arg = (args: string[], name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now()
  const r = await fn()
  return [r, (performance.now() - t0) / 1000]
}

async function chunkingCost(dir: string, source: string, o: { rounds: number }): Promise<void> {
  const report = await inspectSource(source)
  const v = report.video
  const plan = planChunks(v.frameCount, v.frameRate, 4, 2)
  const h264: H264Settings = { ...DEFAULT_H264, gop: plan.framesPerSegment, frameRate: v.frameRate }
  const rungs = fixedLadder(v.width, v.height)
  const cores = availableParallelism()
  console.log(`\n## 1. Chunked parallel encode vs one ffmpeg invocation`)
  console.log(
    `source ${v.width}x${v.height} ${report.duration.toFixed(1)} s, fixed ladder ${rungs.length} rungs (${rungs.map((r) => `${r.height}p@${r.bitrate / 1000}k`).join(', ')}), x264 ${h264.preset}, ${cores} cores`,
  )

  // baseline: one process, one decode, a split to every rung (x264 threads chosen by x264)
  const single = join(dir, 'single')
  const runSingle = () =>
    timed(async () => {
      await rm(single, { recursive: true, force: true })
      await mkdir(single, { recursive: true })
      const outs = rungs.flatMap((r) => [
        '-map',
        '0:v:0',
        ...h264Args(r.width, r.height, { bitrate: r.bitrate }, { ...h264, threads: 0 }),
        '-f',
        'mp4',
        join(single, `${r.id}.mp4`),
      ])
      await ffmpeg(['-i', source, ...outs])
    })

  // chunked: jobs of one chunk × one rung on a pool as wide as the machine, then stitched per rung
  const work = join(dir, 'chunks')
  const jobs: ChunkJob[] = plan.chunks.flatMap((chunk) =>
    rungs.map((rung) => ({
      key: `${rung.id}/chunk-${chunk.index}`,
      source,
      sourceSeek: chunk.startFrame ? (chunk.startFrame - 0.5) / v.frameRate : 0,
      sourceWidth: v.width,
      sourceHeight: v.height,
      chunk,
      rung,
      h264,
      framesPerSegment: plan.framesPerSegment,
      metric: 'ssim' as const,
      vmafModel: null,
      workDir: work,
    })),
  )
  const runChunked = () =>
    timed(async () => {
      await rm(work, { recursive: true, force: true })
      await Promise.all(rungs.map((r) => mkdir(join(work, r.id), { recursive: true })))
      // the pipeline's unit: a chunk with all its rungs, decoded once
      const pool = localPool<ChunkBatch, void>(
        (b) =>
          encodeChunkGroup(
            b.jobs,
            b.jobs.map((j) => join(work, `${j.key}.mp4`)),
          ),
        { concurrency: cores, describe: (b) => b.key },
      )
      await pool.runAll(batchJobs(jobs))
      await Promise.all(
        rungs.map((r) =>
          stitchChunks(
            plan.chunks.map((c) => join(work, r.id, `chunk-${c.index}.mp4`)),
            join(work, `${r.id}.frag.mp4`),
          ),
        ),
      )
    })
  // Interleaved rounds (order rotated), CPU of this process and its reaped ffmpeg children per encoded second.
  const rounds = o.rounds
  const run1 = { single: runSingle, chunked: runChunked } as const
  const results = await interleave(rounds, [{ name: 'single' }, { name: 'chunked' }], async (name) => {
    const cpu0 = cpuSecondsOf(process.pid, true)
    const [, wall] = await run1[name as keyof typeof run1]()
    return { wall, cpuPerSecond: (cpuSecondsOf(process.pid, true) - cpu0) / report.duration }
  })
  const singles = results.get('single')!
  const chunked = results.get('chunked')!
  const tSingle = spread(singles.map((r) => r.wall)).median
  const tChunked = spread(chunked.map((r) => r.wall)).median
  let bytesSingle = 0
  let bytesChunked = 0
  for (const r of rungs) {
    bytesSingle += (await stat(join(single, `${r.id}.mp4`))).size
    bytesChunked += (await stat(join(work, `${r.id}.frag.mp4`))).size
  }
  const cpuMedian = (rs: { cpuPerSecond: number }[]): string => spread(rs.map((r) => r.cpuPerSecond)).median.toFixed(2)
  console.log(`| path | median wall s | CPU s per encoded s | bytes |`)
  console.log(`|---|---|---|---|`)
  console.log(`| one ffmpeg, ${rungs.length} outputs (baseline) | ${tSingle.toFixed(1)} | ${cpuMedian(singles)} | ${bytesSingle} |`)
  console.log(
    `| ${jobs.length} chunk jobs in ${plan.chunks.length} chunk batches × ${cores} workers + stitch | ${tChunked.toFixed(1)} | ${cpuMedian(chunked)} | ${bytesChunked} |`,
  )
  console.log(
    `ratio chunked/single: wall ${fmtSpread(ratioSpread(chunked, singles, (r) => r.wall))} (target ≤ 1.15); CPU ${fmtSpread(
      ratioSpread(chunked, singles, (r) => r.cpuPerSecond),
    )}`,
  )
}

/** CPU seconds of this process and its waited-for children (ffmpeg does the work). */
async function cpuSeconds(): Promise<number> {
  return cpuSecondsOf(process.pid, true)
}

interface LadderRun {
  kind: 'fixed' | 'per-title' | 'shot-based'
  curve: LadderCurve
  wall: number
  cpu: number
  rungs: string
}

/**
 * Fixed vs per-title vs shot-based on the multishot source, as the field
 * compares encoders: BD-rate (mean bitrate difference at equal quality over
 * the common range, PCHIP) on VMAF and PSNR, from each package's measured
 * renditions, with each encode's wall and CPU time (probes included).
 */
async function ladders(
  dir: string,
  o: { duration: number; width: number; height: number; vmafModel: string; heights: number[]; crfs: number[] },
): Promise<void> {
  const source = join(dir, 'multishot.mp4')
  await generateSource({ kind: 'multishot', out: source, duration: o.duration, width: o.width, height: o.height, seed: 1 })
  const store = join(dir, 'store-ladders')
  const runs: LadderRun[] = []
  for (const kind of ['fixed', 'per-title', 'shot-based'] as const) {
    const c0 = await cpuSeconds()
    const [r, wall] = await timed(() =>
      encodeTitle({ source, store, titleId: kind, ladder: kind, vmafModel: o.vmafModel, probe: { heights: o.heights, crfs: o.crfs } }),
    )
    const cpu = (await cpuSeconds()) - c0
    runs.push({
      kind,
      curve: ladderCurve(r.title, kind),
      wall,
      cpu,
      rungs: r.title.video.map((v) => `${v.height}p@${Math.round(v.averageBandwidth / 1000)}k/${v.quality.vmaf!.toFixed(1)}`).join(' '),
    })
  }
  const shots = (await inspectSource(source, { quick: true, shots: true })).shots!.length
  console.log(
    `\n## 2. Fixed vs per-title vs shot-based (multishot ${o.duration} s ${o.width}x${o.height}, ${shots} shots; probes: heights ${o.heights.join('/')}, CRFs ${o.crfs.join('/')})`,
  )
  console.log('| ladder | renditions (height@avg kbit/s/VMAF) | encode wall s | CPU s | CPU s per encoded s |')
  console.log('|---|---|---|---|---|')
  for (const r of runs) console.log(`| ${r.kind} | ${r.rungs} | ${r.wall.toFixed(1)} | ${r.cpu.toFixed(1)} | ${(r.cpu / o.duration).toFixed(2)} |`)
  console.log('\n| test vs anchor | BD-rate VMAF | BD-VMAF | BD-rate PSNR | BD-PSNR (dB) | VMAF range compared |')
  console.log('|---|---|---|---|---|---|')
  const pct = (v: number | null | undefined) => (v === null || v === undefined ? 'no overlap' : `${v >= 0 ? '+' : ''}${v.toFixed(1)} %`)
  const num = (v: number | null | undefined, d: number) => (v === null || v === undefined ? 'no overlap' : `${v >= 0 ? '+' : ''}${v.toFixed(d)}`)
  const byKind = (k: LadderRun['kind']) => runs.find((r) => r.kind === k)!.curve
  for (const [test, anchor] of [
    ['per-title', 'fixed'],
    ['shot-based', 'per-title'],
    ['shot-based', 'fixed'],
  ] as const) {
    const c = compareCurves(byKind(anchor), byKind(test))
    const vm = c.metrics.find((m) => m.metric === 'vmaf')
    const ps = c.metrics.find((m) => m.metric === 'psnr')
    const range = vm?.qualityRange ? `${vm.qualityRange[0].toFixed(1)}–${vm.qualityRange[1].toFixed(1)}` : '-'
    console.log(`| ${test} vs ${anchor} | ${pct(vm?.bdRate)} | ${num(vm?.bdQuality, 2)} | ${pct(ps?.bdRate)} | ${num(ps?.bdQuality, 2)} | ${range} |`)
  }
  console.log(
    'goal: shot-based ≤ −20 % BD-rate against per-title, per-title ≤ −20 % against fixed. BD-rate compares whole curves over the quality range both reach; no single-point "same quality" ratio is claimed.',
  )
}

export async function run(args: string[]): Promise<void> {
  const duration = Number(arg(args, 'duration', '30'))
  const [width, height] = arg(args, 'size', '1280x720').split('x').map(Number) as [number, number]
  const dir = await mkdtemp(join(tmpdir(), 'oclab-bench-encode-'))
  header('bench encode')
  try {
    const only = arg(args, 'only', 'all')
    const source = join(dir, 'simple.mp4')
    if (only !== 'ladders') await generateSource({ kind: 'simple', out: source, duration, width, height })
    if (only !== 'ladders') await chunkingCost(dir, source, { rounds: Number(arg(args, 'rounds', '2')) })
    if (only === 'chunking') return
    const vmafModel = sharedVmafModel()
    if (!vmafModel) {
      console.log('\n## 2. Fixed vs per-title vs shot-based: skipped, no VMAF model (set OCLAB_VMAF_MODEL)')
      return
    }
    const ladderDuration = Number(arg(args, 'ladder-duration', '12'))
    const [lw, lh] = arg(args, 'ladder-size', '640x360').split('x').map(Number) as [number, number]
    const list = (name: string, dflt: string) => arg(args, name, dflt).split(',').map(Number)
    await ladders(dir, {
      duration: ladderDuration,
      width: lw,
      height: lh,
      vmafModel,
      heights: list('heights', '180,270,360,540,720'),
      crfs: list('crfs', '20,25,30,35,40'),
    })
  } finally {
    footer()
    await rm(dir, { recursive: true, force: true })
  }
}
