/**
 * `npm run bench -- fleet [--duration 30] [--size 1280x720] [--workers 1,2,4] [--chunk-segments 1] [--empty-jobs 300] [--rounds 2]`
 *
 * The same source and fixed ladder encoded on the local pool (the baseline,
 * as many slots as cores) and on 1, 2 and 4 `oclab worker` processes over
 * Redis on this machine, the cases interleaved for several rounds. Reports
 * wall time, CPU time per job and the queue's overhead per job against the
 * local pool (ratios as median and range), then extrapolates a 2-hour title on 100 workers from
 * the measured per-job overhead and chunk encode times (model in the README).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { bullmqQueue, parseQueueUrl, sharedDirStorage, startFleetWorker } from '../encoder/fleet/index.js'
import {
  type ChunkBatch,
  type ChunkResult,
  describeBatch,
  type EncodeOptions,
  encodeTitle,
  generateSource,
  type JobQueue,
  localPool,
  runChunkJobs,
} from '../encoder/index.js'
import { redisMissing, spawnWorker, startRedis } from '../test/fleet/helpers.js'
import { cpuSecondsOf, cpuSecondsTree, fmtSpread, footer, header, interleave, ratioSpread } from './_rounds.js'

const arg = (args: string[], name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt
}

interface Run {
  name: string
  slots: number
  wall: number
  /** from the first job queued to the last chunk result in hand */
  chunkPhase: number
  /** stitch + CMAF + manifests after the chunks */
  packaging: number
  /** Σ time inside the chunk handler (decode once, encode every rung, quality, commit) */
  handler: number
  overheadMs: number
  /** CPU seconds of the whole run (this process, workers, their ffmpeg children) */
  cpu: number
}

interface JobTiming {
  worker: string
  queuedAt: number
  startedAt: number
  finishedAt: number
  handlerMs: number
}

/**
 * The queue's overhead per job, from BullMQ's own timestamps: how long a free
 * worker took to pick the job up (from when it was queued or the worker's
 * previous job ended, whichever is later) plus the time the job held its lock
 * outside the handler (moving it to active, completing it, lock renewals).
 */
function queueOverheadMs(jobs: readonly JobTiming[]): number {
  let total = 0
  for (const worker of new Set(jobs.map((j) => j.worker))) {
    let prevEnd = 0
    for (const j of jobs.filter((x) => x.worker === worker).sort((a, b) => a.startedAt - b.startedAt)) {
      total += j.startedAt - Math.max(j.queuedAt, prevEnd) + (j.finishedAt - j.startedAt - j.handlerMs)
      prevEnd = j.finishedAt
    }
  }
  return total / jobs.length
}

async function timedEncode(name: string, slots: number, opts: EncodeOptions, handlerSeconds: () => number, overheadMs: () => number): Promise<Run> {
  let tJobs = 0
  let tPack = 0
  const t0 = performance.now()
  await encodeTitle({
    ...opts,
    onEvent: (e) => {
      if (e.type === 'jobs') tJobs = performance.now()
      if (e.type === 'packaging' && !tPack) tPack = performance.now()
    },
  })
  const end = performance.now()
  return {
    name,
    slots,
    wall: (end - t0) / 1000,
    chunkPhase: (tPack - tJobs) / 1000,
    packaging: (end - tPack) / 1000,
    handler: handlerSeconds(),
    overheadMs: overheadMs(),
    cpu: NaN,
  }
}

export async function run(args: string[]): Promise<void> {
  if (redisMissing) {
    console.log(`fleet benchmark skipped: ${redisMissing}`)
    return
  }
  const duration = Number(arg(args, 'duration', '30'))
  const [width, height] = arg(args, 'size', '1280x720').split('x').map(Number) as [number, number]
  const workerCounts = arg(args, 'workers', '1,2,4').split(',').map(Number)
  const segmentsPerChunk = Number(arg(args, 'chunk-segments', '1'))
  const emptyJobs = Number(arg(args, 'empty-jobs', '300'))
  const rounds = Number(arg(args, 'rounds', '2'))
  const cores = availableParallelism()
  const cleanups: (() => unknown)[] = []
  const td = { teardown: (fn: () => unknown) => void cleanups.push(fn) }
  const dir = await mkdtemp(join(tmpdir(), 'oclab-bench-fleet-'))
  try {
    const source = await generateSource({ kind: 'simple', out: join(dir, 'src.mp4'), duration, width, height, frameRate: 25, audio: true })
    const url = await startRedis(td)
    const target = parseQueueUrl(url)
    const base: EncodeOptions = { source, store: '', titleId: 'bench', ladder: 'fixed', segmentDuration: 4, segmentsPerChunk, vmafModel: null }
    console.log(`# Encoding fleet: local pool vs oclab worker processes over Redis`)
    console.log(
      `source ${width}x${height} ${duration} s simple, fixed ladder, ${segmentsPerChunk * 4} s chunks, SSIM/PSNR quality, ${cores} cores; each worker process runs 1 chunk job at a time`,
    )

    // the queue's own cost, without encoding: empty jobs through one in-process worker vs the local pool
    const emptyBatches: ChunkBatch[] = Array.from({ length: emptyJobs }, (_, i) => ({ key: `chunk-${String(i + 1).padStart(5, '0')}`, jobs: [] }))
    const tl = performance.now()
    await localPool<ChunkBatch, ChunkResult[]>(async () => [], { concurrency: 1, describe: describeBatch }).runAll(emptyBatches)
    const localEmpty = (performance.now() - tl) / emptyJobs
    const emptyStore = join(dir, 'empty')
    const w = await startFleetWorker({ target, storage: sharedDirStorage(emptyStore), processBatch: async () => [] })
    const tq = performance.now()
    await bullmqQueue({ target, storage: sharedDirStorage(emptyStore), titleId: 'empty' }).runAll(emptyBatches)
    const queueEmpty = (performance.now() - tq) / emptyJobs
    await w.close()
    console.log(
      `round trip of an empty job (${emptyJobs} jobs, one worker, one at a time): local pool ${(localEmpty * 1000).toFixed(1)} µs, BullMQ ${queueEmpty.toFixed(2)} ms (${(queueEmpty / localEmpty).toFixed(0)}x)`,
    )

    // The cases run interleaved for --rounds rounds (order rotated each round):
    // run in sequence, a machine whose speed changed between them once
    // printed "4 workers 0.31× the 2-slot pool" on 2 cores.
    const cases = [{ name: 'local', slots: cores }, ...workerCounts.map((n) => ({ name: `w${n}`, slots: n }))]
    const label = (c: { name: string; slots: number }): string =>
      c.name === 'local' ? `local pool (${cores} slots)` : `${c.slots} worker process${c.slots > 1 ? 'es' : ''}`
    const runCase = async (name: string, round: number): Promise<Run> => {
      const c = cases.find((x) => x.name === name)!
      // CPU of this process and every worker, ffmpeg children included (reaped: cutime/cstime).
      const self0 = cpuSecondsOf(process.pid, true)
      if (name === 'local') {
        let handler = 0
        const timedPool: JobQueue<ChunkBatch, ChunkResult[]> = localPool<ChunkBatch, ChunkResult[]>(
          async (b) => {
            const t = performance.now()
            const r = await runChunkJobs(b.jobs)
            handler += (performance.now() - t) / 1000
            return r
          },
          { concurrency: cores, describe: describeBatch },
        )
        const localStore = join(dir, `local-${round}`)
        const r = await timedEncode(
          label(c),
          cores,
          { ...base, store: localStore, queue: timedPool },
          () => handler,
          () => localEmpty,
        )
        r.cpu = cpuSecondsOf(process.pid, true) - self0
        await rm(localStore, { recursive: true, force: true })
        return r
      }
      const n = c.slots
      const shared = join(dir, `shared-${n}-${round}`)
      await mkdir(shared, { recursive: true })
      const workers = await Promise.all(Array.from({ length: n }, () => spawnWorker(td, url, shared)))
      const workers0 = workers.reduce((a, w) => a + cpuSecondsTree(w.proc.pid!, true), 0)
      let fleetHandler = 0
      const timings: JobTiming[] = []
      const queue = bullmqQueue({
        target,
        storage: sharedDirStorage(shared),
        titleId: `bench-${n}-${round}`,
        requireWorkers: true,
        onChunkReturn: (_b, ret, at) => {
          fleetHandler += ret.handlerMs / 1000
          timings.push({ worker: ret.worker, handlerMs: ret.handlerMs, ...at })
        },
      })
      const r = await timedEncode(
        label(c),
        n,
        { ...base, store: shared, queue },
        () => fleetHandler,
        () => queueOverheadMs(timings),
      )
      r.cpu = cpuSecondsOf(process.pid, true) - self0 + workers.reduce((a, w) => a + cpuSecondsTree(w.proc.pid!, true), 0) - workers0
      for (const w of workers) w.proc.kill('SIGTERM')
      await Promise.all(workers.map((w) => new Promise((r) => (w.proc.exitCode !== null ? r(null) : w.proc.once('exit', r)))))
      await rm(shared, { recursive: true, force: true })
      return r
    }
    header(`fleet cases interleaved for ${rounds} rounds: ${cases.map(label).join(', ')}`)
    const results = await interleave(rounds, cases, runCase)
    footer()
    const localRuns = results.get('local')!
    const runs: Run[] = cases.map((c) => {
      // the round with the median wall time stands for the case in the table
      const rs = [...results.get(c.name)!].sort((a, b) => a.wall - b.wall)
      return rs[(rs.length - 1) >> 1]!
    })

    const baseline = runs[0]!
    const batches = Math.ceil(duration / (4 * segmentsPerChunk))
    console.log(
      `\n${batches} queue jobs (each a chunk with all its rungs, decoded once); each row is the round with the median wall time; CPU = user+system s of this process, the workers and their ffmpeg children`,
    )
    console.log('| run | wall s | chunk phase s | packaging s | handler s/job | CPU s/job | queue overhead ms/job | overhead vs local |')
    console.log('|---|---|---|---|---|---|---|---|')
    for (const r of runs) {
      const perJob = r.handler / batches
      console.log(
        `| ${r.name} | ${r.wall.toFixed(1)} | ${r.chunkPhase.toFixed(1)} | ${r.packaging.toFixed(1)} | ${perJob.toFixed(2)} | ${(r.cpu / batches).toFixed(2)} | ${r.overheadMs.toFixed(r.overheadMs < 1 ? 4 : 1)} | ${(r.overheadMs / baseline.overheadMs).toFixed(0)}x (${((r.overheadMs / 1000 / perJob) * 100).toFixed(2)}% of the job) |`,
      )
    }
    console.log('\nratios to the local pool, per round (median and range):')
    for (const c of cases.slice(1)) {
      const rs = results.get(c.name)!
      console.log(
        `  ${label(c)}: wall ${fmtSpread(ratioSpread(rs, localRuns, (r) => r.wall))}; CPU per job ${fmtSpread(ratioSpread(rs, localRuns, (r) => r.cpu))}`,
      )
    }
    console.log(
      `\nwhat ${cores} cores can show: the queue's cost per job (o_job, CPU per job against the local pool: extra CPU is the queue's and the worker processes' own) and that the fleet finishes a title correctly with any number of workers.`,
    )
    console.log(
      `what they cannot show: scaling. ${cores} cores run at most ${cores} ffmpeg encodes at once whatever the worker count, so more workers than cores only share the same CPUs (wall time flat or worse); speed-up with workers needs workers on separate machines, and is extrapolated below from the measured o_job and t_chunk, not measured.`,
    )

    // extrapolation: a 2-hour title on 100 workers
    const fleetRuns = runs.slice(1)
    const overheadS = Math.max(queueEmpty, ...fleetRuns.map((r) => r.overheadMs)) / 1000
    const oneWorker = fleetRuns.find((r) => r.slots === 1) ?? fleetRuns[0]!
    const chunkSecondsHere = oneWorker.handler / batches / (4 * segmentsPerChunk)
    const titleS = 7200
    const W = 100
    const model = (J: number, tChunk: number, o: number, pack: number) => Math.ceil(J / W) * (tChunk + o) + pack
    const packPerSourceS = baseline.packaging / duration
    const J = 720
    const tChunk10 = chunkSecondsHere * (titleS / J)
    console.log(`\n## 2-hour title on ${W} workers: T = ceil(J / W) × (t_chunk + o_job) + T_package`)
    console.log(
      `measured here: o_job ≤ ${(overheadS * 1000).toFixed(0)} ms per job (the worst of the fleet runs above), t_chunk ${chunkSecondsHere.toFixed(3)} s of encode per source second per chunk job (this ladder, 1 job per worker), packaging ${packPerSourceS.toFixed(3)} s per source second`,
    )
    console.log(
      `seed's example: J = 720 chunks of 10 s at 2 min each → ${Math.ceil(J / W)} waves × (120 s + ${(overheadS).toFixed(2)} s) + ${(packPerSourceS * titleS).toFixed(0)} s packaging = ${(model(J, 120, overheadS, packPerSourceS * titleS) / 60).toFixed(1)} min (${(((J / W) * 120) / 60).toFixed(1)} min if the last wave were full)`,
    )
    console.log(
      `with this machine's chunk time: J = 720 chunks of 10 s at ${tChunk10.toFixed(1)} s each → ${(model(J, tChunk10, overheadS, packPerSourceS * titleS) / 60).toFixed(1)} min; the queue adds ${(Math.ceil(J / W) * overheadS).toFixed(2)} s of it`,
    )
  } finally {
    for (const fn of cleanups.reverse()) await fn()
    await rm(dir, { recursive: true, force: true })
  }
}
