import { randomBytes } from 'node:crypto'
import { FlowProducer, Queue, QueueEvents } from 'bullmq'
import { ErrorCodes, OclabError } from '../lib/errors.js'
import type { ChunkBatch, ChunkResult } from './chunk-job.js'
import { DEFAULT_RETRY, type JobQueue, type RetryPolicy } from './job-queue.js'
import { checkRedis, clientConnection, workerConnection, type QueueTarget } from './redis-connection.js'
import { inputKey, type Storage } from './storage.js'
import {
  ASSEMBLE_JOB, CHUNK_JOB, DEFAULT_QUEUE_NAME, chunkJobId, mapBatchFiles,
  type AssembleJobData, type AssembleJobReturn, type ChunkJobData, type ChunkJobReturn,
} from './fleet-jobs.js'

/**
 * The encoder's JobQueue on BullMQ: `runAll` submits a title's chunk batches
 * and an assembly job as ONE flow (the assembly job is the parent, so BullMQ
 * starts it only when every chunk job has finished), then follows the flow's
 * events and returns the chunk results once the assembly job has checked them.
 * The caller (`encodeTitle`) then packages the title exactly as it does after
 * the local pool: same chunk files in, same package out.
 */
export interface BullmqQueueOptions {
  target: QueueTarget
  /** The fleet's shared storage as mounted here; the title's store must be inside it. */
  storage: Storage
  /** Groups the jobs in `oclab queue status`. Default: the title id in the work dir's key. */
  titleId?: string
  queueName?: string
  /** Same policy as the local pool: attempts per chunk job, exponential backoff from backoffMs. */
  retry?: RetryPolicy
  /** Fail at once when no worker is connected, instead of queueing and waiting for one. Default false. */
  requireWorkers?: boolean
  signal?: AbortSignal
  /** Called with each finished chunk job's return (the benchmark reads worker and handler times). */
  onChunkReturn?: (batch: ChunkBatch, ret: ChunkJobReturn, timing: { queuedAt: number; startedAt: number; finishedAt: number }) => void
}

export function bullmqQueue(opts: BullmqQueueOptions): JobQueue<ChunkBatch, ChunkResult[]> {
  const queueName = opts.queueName ?? DEFAULT_QUEUE_NAME
  const retry = opts.retry ?? DEFAULT_RETRY
  const storage = opts.storage
  return {
    async runAll(batches, events = {}) {
      if (!batches.length) return []
      await checkRedis(opts.target)
      const keys = await storageKeys(storage, batches)
      const wire = batches.map((b) => mapBatchFiles(b, (p) => keys.get(p)!))
      const titleId = opts.titleId ?? /^\.work\/([^/]+)\//.exec(wire[0]!.jobs[0]!.workDir)?.[1] ?? 'untitled'
      const run = `${titleId}.${randomBytes(4).toString('hex')}`
      const ids = batches.map((b) => chunkJobId(run, b.key))
      const byId = new Map(ids.map((id, i) => [id, i]))

      const queue = new Queue(queueName, { connection: clientConnection(opts.target) })
      const flow = new FlowProducer({ connection: clientConnection(opts.target) })
      const qe = new QueueEvents(queueName, { connection: workerConnection(opts.target) })
      try {
        if (opts.requireWorkers && (await queue.getWorkers()).length === 0) {
          throw new OclabError(ErrorCodes.NO_WORKERS, `no oclab worker is connected to ${opts.target.display} (queue ${queueName}): start one with \`oclab worker --queue ${opts.target.display} --store <shared dir>\`, or pass --wait to queue the title and wait for workers`)
        }
        await qe.waitUntilReady()
        const results: (ChunkResult[] | undefined)[] = new Array(batches.length)
        const attempts = new Array<number>(batches.length).fill(0)
        const toLocal = (ret: ChunkJobReturn): ChunkResult[] => ret.results.map((r) => ({ ...r, file: storage.localPath(r.file) }))
        const deliver = (i: number, ret: ChunkJobReturn) => {
          if (results[i]) return
          results[i] = toLocal(ret)
          events.onDone?.(batches[i]!, results[i]!)
        }
        qe.on('active', ({ jobId }) => {
          const i = byId.get(jobId)
          if (i !== undefined) events.onStart?.(batches[i]!, ++attempts[i]!)
        })
        qe.on('completed', ({ jobId, returnvalue }) => {
          const i = byId.get(jobId)
          if (i !== undefined) deliver(i, returnvalue as ChunkJobReturn)
        })
        // a chunk job that failed with tries left is moved to `delayed` for its backoff: that is a retry
        qe.on('delayed', ({ jobId }) => {
          const i = byId.get(jobId)
          if (i === undefined) return
          void queue.getJob(jobId).then((job) => events.onRetry?.(batches[i]!, job?.attemptsMade ?? attempts[i]!, new Error(job?.failedReason || 'failed')), () => {})
        })

        const childOpts = { attempts: retry.attempts, backoff: { type: 'exponential' as const, delay: retry.backoffMs }, ignoreDependencyOnFailure: true, removeOnComplete: { age: 86_400 }, removeOnFail: { age: 7 * 86_400 } }
        const tree = await flow.add({
          name: ASSEMBLE_JOB,
          queueName,
          data: { titleId, run, children: ids } satisfies AssembleJobData,
          opts: { jobId: run, attempts: 3, backoff: { type: 'exponential', delay: retry.backoffMs }, removeOnComplete: { age: 86_400 }, removeOnFail: { age: 7 * 86_400 } },
          children: wire.map((batch, i) => ({ name: CHUNK_JOB, queueName, data: { titleId, run, batch } satisfies ChunkJobData, opts: { ...childOpts, jobId: ids[i]! } })),
        })
        const done = await untilFinished(tree.job.waitUntilFinished(qe) as Promise<AssembleJobReturn>, opts.signal, () => queue.remove(run, { removeChildren: true }))
        done.chunks.forEach((ret, i) => deliver(i, ret))
        if (opts.onChunkReturn) {
          const jobs = await Promise.all(ids.map((id) => queue.getJob(id)))
          jobs.forEach((j, i) => j && opts.onChunkReturn!(batches[i]!, done.chunks[i]!, { queuedAt: j.timestamp, startedAt: j.processedOn ?? j.timestamp, finishedAt: j.finishedOn ?? Date.now() }))
        }
        return results.map((r) => r!)
      } finally {
        await Promise.allSettled([qe.close(), flow.close(), queue.close()])
      }
    },
  }
}

/** Storage keys for every file the batches name: inputs are uploaded if needed, the work dir must already be in storage. */
async function storageKeys(storage: Storage, batches: readonly ChunkBatch[]): Promise<Map<string, string>> {
  const keys = new Map<string, string>()
  for (const job of batches.flatMap((b) => b.jobs)) {
    if (!keys.has(job.source)) keys.set(job.source, await inputKey(storage, job.source, 'sources'))
    if (job.vmafModel !== null && !keys.has(job.vmafModel)) keys.set(job.vmafModel, await inputKey(storage, job.vmafModel, 'models'))
    if (!keys.has(job.workDir)) {
      const key = storage.keyOf(job.workDir)
      if (!key) throw new OclabError(ErrorCodes.USAGE, `the title's store must be the fleet's shared storage (${storage.describe}); ${job.workDir} is outside it`)
      keys.set(job.workDir, key)
    }
  }
  return keys
}

/** Wait for the assembly job; on abort, take the title's waiting jobs off the queue (running ones finish and are dropped). */
async function untilFinished<T>(wait: Promise<T>, signal: AbortSignal | undefined, cancel: () => Promise<unknown>): Promise<T> {
  const failed = (err: unknown): never => {
    if (err instanceof OclabError) throw err
    throw new OclabError(ErrorCodes.ENCODE_FAILED, (err as Error).message, undefined, { cause: err })
  }
  if (!signal) return wait.catch(failed)
  signal.throwIfAborted()
  let onAbort = () => {}
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      void cancel().catch(() => {})
      reject(new OclabError(ErrorCodes.ENCODE_FAILED, 'encode cancelled'))
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([wait.catch(failed), aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
