import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq'
import { type ChunkBatch, type ChunkResult, describeBatch, type JobFailure, jobsFailed, runChunkJobs } from '../index.js'
import {
  ASSEMBLE_JOB,
  type AssembleJobData,
  type AssembleJobReturn,
  CHUNK_JOB,
  type ChunkJobData,
  type ChunkJobReturn,
  DEFAULT_QUEUE_NAME,
  mapBatchFiles,
} from './job-data.js'
import {
  type ConnectionTimeouts,
  checkRedis,
  clientConnection,
  DEFAULT_TIMEOUTS,
  outageLog,
  persistenceWarning,
  type QueueTarget,
  redisPersistence,
  workerConnection,
} from './redis-connection.js'
import type { Storage } from './storage.js'

/**
 * A stateless fleet worker: it pulls chunk jobs (a chunk with all its rungs,
 * decoded once by `runChunkJobs`) and assembly jobs from the queue, reads and
 * writes only the shared storage, and keeps nothing between jobs, so any
 * number of them run on any number of machines and a killed one loses only
 * the job it held (BullMQ's stalled-job check hands that to another worker
 * once the dead worker's lock expires).
 */
export interface FleetWorkerOptions {
  target: QueueTarget
  /** The shared storage as mounted on this machine. */
  storage: Storage
  /** Chunk jobs at once. Default 1: each job runs one single-threaded x264 per rung, so size this to the machine's cores ÷ rungs. */
  concurrency?: number
  queueName?: string
  /** How long a job's lock lives without renewal (the worker renews at half of it). A dead worker's job is recovered after about lock + stalled interval. Default 30000 ms. */
  lockMs?: number
  /** How often this worker looks for stalled jobs. Default 30000 ms. */
  stalledMs?: number
  /** Stalls a job may survive before it counts as failed. Default 2. */
  maxStalledCount?: number
  /** The chunk handler; the default runs the batch. Tests wrap it to inject failures. */
  processBatch?: (batch: ChunkBatch, signal: AbortSignal | undefined) => Promise<ChunkResult[]>
  log?: (line: string) => void
  metrics?: WorkerMetricsHooks
  timeouts?: ConnectionTimeouts
  /** Minimum time between two Redis error lines in the log; the ones in between are counted. Default 10000 ms. */
  errorLogEveryMs?: number
}

export interface WorkerMetricsHooks {
  /** a chunk job started after `waitSeconds` in the queue */
  started(waitSeconds: number): void
  finished(runSeconds: number, outcome: 'completed' | 'failed'): void
}

export interface FleetWorker {
  id: string
  worker: Worker
  close(): Promise<void>
}

const workerId = (): string => `oclab-worker@${hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`
const keySafe = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '-')

export async function startFleetWorker(opts: FleetWorkerOptions): Promise<FleetWorker> {
  const timeouts = opts.timeouts ?? DEFAULT_TIMEOUTS
  await checkRedis(opts.target, timeouts)
  const id = workerId()
  const queueName = opts.queueName ?? DEFAULT_QUEUE_NAME
  const storage = opts.storage
  const log = opts.log ?? (() => {})
  // a Redis without AOF loses every queued title when it restarts: say so before taking jobs
  const warning = persistenceWarning(await redisPersistence(opts.target, timeouts), opts.target.display)
  if (warning) log(warning)
  // during an outage BullMQ reports the same connection error every few seconds from every connection: one line per interval
  const redisError = outageLog(`Redis at ${opts.target.display}`, log, opts.errorLogEveryMs ?? 10_000)
  const processBatch = opts.processBatch ?? ((b, signal) => runChunkJobs(b.jobs, signal))
  // the assembly job looks up failed children by id
  const lookup = new Queue(queueName, { connection: clientConnection(opts.target, timeouts) })
  lookup.on('error', redisError)

  const runChunk = async (job: Job<ChunkJobData>, signal?: AbortSignal): Promise<ChunkJobReturn> => {
    const { batch, titleId } = job.data
    // each attempt writes under its own key, so two workers (a stalled one and its replacement) never write the same final file
    const attemptKey = `attempts/${keySafe(job.id!)}-a${job.attemptsStarted}-${keySafe(id)}`
    const local = mapBatchFiles(batch, (key) => storage.localPath(key))
    for (const [i, j] of local.jobs.entries()) j.workDir = storage.localPath(`${batch.jobs[i]!.workDir}/${attemptKey}`)
    log(`start ${titleId} ${batch.key} (attempt ${job.attemptsMade + 1})`)
    opts.metrics?.started(Math.max(0, ((job.processedOn ?? Date.now()) - job.timestamp) / 1000))
    const t0 = performance.now()
    try {
      const results = await processBatch(local, signal)
      const handlerMs = performance.now() - t0
      opts.metrics?.finished(handlerMs / 1000, 'completed')
      log(`done ${titleId} ${batch.key} in ${(handlerMs / 1000).toFixed(1)} s`)
      return {
        worker: id,
        handlerMs,
        results: results.map((r) => {
          const key = storage.keyOf(r.file)
          if (!key) throw new Error(`${r.key}: output ${r.file} is outside the shared storage`)
          return { ...r, file: key }
        }),
      }
    } catch (err) {
      opts.metrics?.finished((performance.now() - t0) / 1000, 'failed')
      log(`failed ${titleId} ${batch.key}: ${(err as Error).message}`)
      throw err
    }
  }

  const runAssemble = async (job: Job<AssembleJobData>): Promise<AssembleJobReturn> => {
    const { titleId, children } = job.data
    const failures = await job.getIgnoredChildrenFailures()
    if (Object.keys(failures).length) {
      const failed: JobFailure<ChunkBatch>[] = []
      for (const [redisKey, reason] of Object.entries(failures)) {
        const child = await lookup.getJob(redisKey.slice(redisKey.lastIndexOf(':') + 1))
        const data = child?.data as ChunkJobData | undefined
        failed.push({ job: data?.batch ?? { key: redisKey, jobs: [] }, error: new Error(reason), attempts: child?.attemptsMade ?? 0 })
      }
      failed.sort((a, b) => a.job.key.localeCompare(b.job.key))
      log(`title ${titleId} failed: ${failed.length} chunk job(s)`)
      throw new UnrecoverableError(jobsFailed(failed, describeBatch).message)
    }
    const values = await job.getChildrenValues<ChunkJobReturn>()
    const byId = new Map(Object.entries(values).map(([k, v]) => [k.slice(k.lastIndexOf(':') + 1), v]))
    const chunks = children.map((cid) => {
      const v = byId.get(cid)
      if (!v) throw new UnrecoverableError(`title ${titleId}: no result for chunk job ${cid}`)
      return v
    })
    // the submitter stitches from these keys: check each is whole in storage before saying the title is ready
    for (const r of chunks.flatMap((c) => c.results)) {
      const st = await storage.stat(r.file)
      if (!st || st.bytes !== r.bytes || (await storage.sha256(r.file)) !== r.sha256)
        throw new Error(`title ${titleId}: chunk output ${r.file} is missing or does not match its sha256`)
    }
    log(`assembled ${titleId}: ${chunks.length} chunk jobs verified`)
    return { chunks }
  }

  const worker = new Worker(
    queueName,
    async (job: Job, _token?: string, signal?: AbortSignal) => {
      if (job.name === CHUNK_JOB) return runChunk(job as Job<ChunkJobData>, signal)
      if (job.name === ASSEMBLE_JOB) return runAssemble(job as Job<AssembleJobData>)
      throw new UnrecoverableError(`unknown job kind "${job.name}"`)
    },
    {
      connection: workerConnection(opts.target, timeouts),
      concurrency: opts.concurrency ?? 1,
      lockDuration: opts.lockMs ?? 30_000,
      stalledInterval: opts.stalledMs ?? 30_000,
      maxStalledCount: opts.maxStalledCount ?? 2,
      name: id,
    },
  )
  worker.on('error', redisError)
  await worker.waitUntilReady()
  return {
    id,
    worker,
    async close() {
      await worker.close()
      await lookup.close()
    },
  }
}
