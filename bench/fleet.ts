/**
 * `npm run bench -- fleet [--duration 30] [--size 1280x720] [--workers 1,2,4] [--chunk-segments 1] [--empty-jobs 300]`
 *
 * The same source and fixed ladder encoded on the local pool (the baseline,
 * as many slots as cores) and on 1, 2 and 4 `oclab worker` processes over
 * Redis on this machine. Reports wall time and the queue's overhead per job
 * against the local pool, then extrapolates a 2-hour title on 100 workers from
 * the measured per-job overhead and chunk encode times (model in the README).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateSource } from '../encoder/source.js'
import { encodeTitle, type EncodeOptions } from '../encoder/encode-title.js'
import { describeBatch, runChunkJobs, type ChunkBatch, type ChunkResult } from '../encoder/chunk-job.js'
import { localPool, type JobQueue } from '../encoder/job-queue.js'
import { bullmqQueue } from '../encoder/queue-bullmq.js'
import { startFleetWorker } from '../encoder/fleet-worker.js'
import { sharedDirStorage } from '../encoder/storage.js'
import { parseQueueUrl } from '../encoder/redis-connection.js'
import { redisMissing, spawnWorker, startRedis } from '../test/fleet/helpers.js'

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
  return { name, slots, wall: (end - t0) / 1000, chunkPhase: (tPack - tJobs) / 1000, packaging: (end - tPack) / 1000, handler: handlerSeconds(), overheadMs: overheadMs() }
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
    console.log(`source ${width}x${height} ${duration} s simple, fixed ladder, ${segmentsPerChunk * 4} s chunks, SSIM/PSNR quality, ${cores} cores; each worker process runs 1 chunk job at a time`)

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
    console.log(`round trip of an empty job (${emptyJobs} jobs, one worker, one at a time): local pool ${(localEmpty * 1000).toFixed(1)} µs, BullMQ ${queueEmpty.toFixed(2)} ms (${(queueEmpty / localEmpty).toFixed(0)}x)`)

    const runs: Run[] = []
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
    const localStore = join(dir, 'local')
    runs.push(await timedEncode(`local pool (${cores} slots)`, cores, { ...base, store: localStore, queue: timedPool }, () => handler, () => localEmpty))
    await rm(localStore, { recursive: true, force: true })

    for (const n of workerCounts) {
      const shared = join(dir, `shared-${n}`)
      await mkdir(shared, { recursive: true })
      const workers = await Promise.all(Array.from({ length: n }, () => spawnWorker(td, url, shared)))
      let fleetHandler = 0
      const timings: JobTiming[] = []
      const queue = bullmqQueue({
        target, storage: sharedDirStorage(shared), titleId: `bench-${n}`, requireWorkers: true,
        onChunkReturn: (_b, ret, at) => {
          fleetHandler += ret.handlerMs / 1000
          timings.push({ worker: ret.worker, handlerMs: ret.handlerMs, ...at })
        },
      })
      runs.push(await timedEncode(`${n} worker process${n > 1 ? 'es' : ''}`, n, { ...base, store: shared, queue }, () => fleetHandler, () => queueOverheadMs(timings)))
      for (const w of workers) w.proc.kill('SIGTERM')
      await Promise.all(workers.map((w) => new Promise((r) => (w.proc.exitCode !== null ? r(null) : w.proc.once('exit', r)))))
      await rm(shared, { recursive: true, force: true })
    }

    const baseline = runs[0]!
    const batches = Math.ceil(duration / (4 * segmentsPerChunk))
    console.log(`\n${batches} queue jobs (each a chunk with all its rungs, decoded once)`)
    console.log('| run | wall s | wall vs local | chunk phase s | packaging s | handler s/job | queue overhead ms/job | overhead vs local |')
    console.log('|---|---|---|---|---|---|---|---|')
    for (const r of runs) {
      const perJob = r.handler / batches
      console.log(`| ${r.name} | ${r.wall.toFixed(1)} | ${(r.wall / baseline.wall).toFixed(2)}x | ${r.chunkPhase.toFixed(1)} | ${r.packaging.toFixed(1)} | ${perJob.toFixed(2)} | ${r.overheadMs.toFixed(r.overheadMs < 1 ? 4 : 1)} | ${(r.overheadMs / baseline.overheadMs).toFixed(0)}x (${((r.overheadMs / 1000 / perJob) * 100).toFixed(2)}% of the job) |`)
    }

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
    console.log(`measured here: o_job ≤ ${(overheadS * 1000).toFixed(0)} ms per job (the worst of the fleet runs above), t_chunk ${chunkSecondsHere.toFixed(3)} s of encode per source second per chunk job (this ladder, 1 job per worker), packaging ${packPerSourceS.toFixed(3)} s per source second`)
    console.log(`seed's example: J = 720 chunks of 10 s at 2 min each → ${Math.ceil(J / W)} waves × (120 s + ${(overheadS).toFixed(2)} s) + ${(packPerSourceS * titleS).toFixed(0)} s packaging = ${(model(J, 120, overheadS, packPerSourceS * titleS) / 60).toFixed(1)} min (${((J / W) * 120 / 60).toFixed(1)} min if the last wave were full)`)
    console.log(`with this machine's chunk time: J = 720 chunks of 10 s at ${tChunk10.toFixed(1)} s each → ${(model(J, tChunk10, overheadS, packPerSourceS * titleS) / 60).toFixed(1)} min; the queue adds ${(Math.ceil(J / W) * overheadS).toFixed(2)} s of it`)
  } finally {
    for (const fn of cleanups.reverse()) await fn()
    await rm(dir, { recursive: true, force: true })
  }
}
