import { randomBytes } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { FlowProducer, Queue, QueueEvents } from 'bullmq'
import { Redis } from 'ioredis'
import { ErrorCodes, OclabError } from '../../lib/errors.js'
import { sha256File } from '../../lib/hash.js'
import { type ChunkBatch, type ChunkJob, type ChunkResult, DEFAULT_RETRY, findFinished, type JobQueue, type RetryPolicy } from '../index.js'
import {
  ASSEMBLE_JOB,
  type AssembleJobData,
  type AssembleJobReturn,
  CHUNK_JOB,
  type ChunkJobData,
  type ChunkJobReturn,
  chunkJobId,
  DEFAULT_QUEUE_NAME,
  mapBatchFiles,
} from './job-data.js'
import {
  type ConnectionTimeouts,
  checkRedis,
  clientConnection,
  DEFAULT_TIMEOUTS,
  oneLine,
  outageLog,
  type QueueTarget,
  withTimeout,
  workerConnection,
} from './redis-connection.js'
import { inputKey, type Storage } from './storage.js'

/**
 * The encoder's JobQueue on BullMQ: `runAll` submits a title's chunk batches
 * and an assembly job as ONE flow (the assembly job is the parent, so BullMQ
 * starts it only when every chunk job has finished), then follows the flow's
 * events and returns the chunk results once the assembly job has checked them.
 * The caller (`encodeTitle`) then packages the title exactly as it does after
 * the local pool: same chunk files in, same package out.
 *
 * The submitter never waits silently: it polls its flow's state in Redis, so
 * a flow that Redis lost (a restart without persistence) is noticed and
 * resubmitted (chunks already in the store are reused, after the same sha256
 * check a local resume makes), and a Redis that stays unreachable fails the
 * title with OCLAB_ERR_QUEUE_UNREACHABLE after `deadlineMs`, with a progress
 * line while it waits.
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
  /** How long Redis may stay unreachable mid-title before the title fails with OCLAB_ERR_QUEUE_UNREACHABLE. Default 60000 ms. */
  deadlineMs?: number
  /** How often the submitter checks that its flow is still in Redis (and how it finds out the title is done if an event was missed). Default 2000 ms. */
  watchMs?: number
  /** Times a title that Redis lost is resubmitted before the encode fails. Default 3. */
  maxResubmits?: number
  timeouts?: ConnectionTimeouts
  /** Lines for the person waiting: Redis unreachable (with the time left), a lost title being resubmitted, Redis errors (rate-limited). Default: stderr. */
  onNotice?: (message: string) => void
}

export const DEFAULT_DEADLINE_MS = 60_000

type Outcome = { done: AssembleJobReturn; ids: string[] } | 'lost'

export function bullmqQueue(opts: BullmqQueueOptions): JobQueue<ChunkBatch, ChunkResult[]> {
  const queueName = opts.queueName ?? DEFAULT_QUEUE_NAME
  const retry = opts.retry ?? DEFAULT_RETRY
  const storage = opts.storage
  const timeouts = opts.timeouts ?? DEFAULT_TIMEOUTS
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS
  const watchMs = opts.watchMs ?? 2000
  const maxResubmits = opts.maxResubmits ?? 3
  const notice = opts.onNotice ?? ((m: string) => process.stderr.write(`oclab queue: ${m}\n`))
  const display = opts.target.display
  return {
    async runAll(batches, events = {}) {
      if (!batches.length) return []
      await checkRedis(opts.target, timeouts)
      const keys = await storageKeys(storage, batches)
      const wire = batches.map((b) => mapBatchFiles(b, (p) => keys.get(p)!))
      const titleId = opts.titleId ?? /^\.work\/([^/]+)\//.exec(wire[0]!.jobs[0]!.workDir)?.[1] ?? 'untitled'

      const logError = outageLog(`Redis at ${display}`, notice, 30_000)
      // a command that gave up says only "max retries"; the connection's own last error says why
      let connectionError = ''
      const redisError = (err: Error) => {
        connectionError = oneLine(err)
        logError(err)
      }
      const why = (err: Error) => (/max retries per request|^no answer within/i.test(err.message) && connectionError ? connectionError : oneLine(err))
      // our own ioredis clients, one per BullMQ object: BullMQ's own close/disconnect can wait forever for a
      // connection that is down, and a submitter that gave up must still exit; ours are disconnected for sure
      const clients = [clientConnection(opts.target, timeouts), clientConnection(opts.target, timeouts), workerConnection(opts.target, timeouts)].map((o) => {
        const c = new Redis(o)
        c.on('error', () => {}) // reported through the BullMQ objects below
        return c
      })
      const queue = new Queue(queueName, { connection: clients[0]! })
      const flow = new FlowProducer({ connection: clients[1]! })
      const qe = new QueueEvents(queueName, { connection: clients[2]! })
      queue.on('error', redisError)
      flow.on('error', redisError)
      qe.on('error', redisError)

      /** the last poll failed: closing skips the polite QUIT that would only wait for a timeout */
      let redisDown = false
      const results: (ChunkResult[] | undefined)[] = new Array(batches.length)
      const announced = new Set<number>()
      const attempts = new Array<number>(batches.length).fill(0)
      const toLocal = (ret: ChunkJobReturn): ChunkResult[] => ret.results.map((r) => ({ ...r, file: storage.localPath(r.file) }))
      const deliver = (i: number, rs: ChunkResult[]) => {
        if (results[i]) return
        results[i] = rs
        // a chunk dropped after a failed check and delivered again is still one chunk done
        if (!announced.has(i)) events.onDone?.(batches[i]!, rs)
        announced.add(i)
      }

      /** One flow for the batches in `pending`, followed until its assembly job is done, it failed, or Redis lost it. */
      const submitAndWatch = async (run: string, pending: number[]): Promise<Outcome> => {
        const ids = pending.map((i) => chunkJobId(run, batches[i]!.key))
        const byId = new Map(ids.map((id, k) => [id, pending[k]!]))
        // jobs a worker holds: an 'active' for one of these, or a 'stalled', means its worker was lost and the job is re-run
        const running = new Set<string>()
        const rerun = (_jobId: string, i: number, why: string) => events.onRetry?.(batches[i]!, attempts[i]!, new Error(why))
        let wake = () => {}
        const handlers = {
          active: ({ jobId }: { jobId: string }) => {
            const i = byId.get(jobId)
            if (i === undefined) return
            if (running.has(jobId)) rerun(jobId, i, 'the worker running it was lost; re-run on another worker')
            running.add(jobId)
            events.onStart?.(batches[i]!, ++attempts[i]!)
          },
          stalled: ({ jobId }: { jobId: string }) => {
            const i = byId.get(jobId)
            if (i === undefined || !running.delete(jobId)) return
            rerun(jobId, i, 'its worker stopped renewing the job lock (worker died or lost Redis); re-run on another worker')
          },
          completed: ({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }) => {
            if (jobId === run) return wake()
            running.delete(jobId)
            const i = byId.get(jobId)
            if (i !== undefined) deliver(i, toLocal(returnvalue as ChunkJobReturn))
          },
          failed: ({ jobId }: { jobId: string }) => {
            running.delete(jobId)
            if (jobId === run) wake()
          },
          // a chunk job that failed with tries left is moved to `delayed` for its backoff: that is a retry
          delayed: ({ jobId }: { jobId: string }) => {
            const i = byId.get(jobId)
            if (i === undefined) return
            running.delete(jobId)
            void queue.getJob(jobId).then(
              (job) => events.onRetry?.(batches[i]!, job?.attemptsMade ?? attempts[i]!, new Error(job?.failedReason || 'failed')),
              () => {},
            )
          },
        }
        for (const [e, h] of Object.entries(handlers)) qe.on(e as 'active', h as never)
        try {
          const childOpts = {
            attempts: retry.attempts,
            backoff: { type: 'exponential' as const, delay: retry.backoffMs },
            ignoreDependencyOnFailure: true,
            removeOnComplete: { age: 86_400 },
            removeOnFail: { age: 7 * 86_400 },
          }
          try {
            await withTimeout(
              flow.add({
                name: ASSEMBLE_JOB,
                queueName,
                data: { titleId, run, children: ids } satisfies AssembleJobData,
                opts: {
                  jobId: run,
                  attempts: 3,
                  backoff: { type: 'exponential', delay: retry.backoffMs },
                  removeOnComplete: { age: 86_400 },
                  removeOnFail: { age: 7 * 86_400 },
                },
                children: pending.map((i, k) => ({
                  name: CHUNK_JOB,
                  queueName,
                  data: { titleId, run, batch: wire[i]! } satisfies ChunkJobData,
                  opts: { ...childOpts, jobId: ids[k]! },
                })),
              }),
              timeouts.commandMs,
            )
          } catch (err) {
            throw new OclabError(ErrorCodes.QUEUE_UNREACHABLE, `could not submit title ${titleId} to the queue's Redis at ${display}: ${oneLine(err as Error)}`)
          }
          let lastOk = Date.now()
          let down = false
          for (;;) {
            if (opts.signal?.aborted) {
              void queue.remove(run, { removeChildren: true }).catch(() => {})
              throw new OclabError(ErrorCodes.ENCODE_FAILED, 'encode cancelled')
            }
            try {
              // BullMQ waits for a ready connection before it sends a command, and that wait has no timeout of its own
              // and no call may run past the deadline
              const state = await withTimeout(queue.getJobState(run), Math.max(250, Math.min(timeouts.commandMs, deadlineMs - (Date.now() - lastOk))))
              if (down) notice(`Redis at ${display} answers again after ${((Date.now() - lastOk) / 1000).toFixed(0)} s`)
              lastOk = Date.now()
              down = false
              redisDown = false
              if (state === 'unknown') return 'lost'
              if (state === 'completed' || state === 'failed') {
                const job = await withTimeout(queue.getJob(run), timeouts.commandMs)
                if (!job) return 'lost'
                if (state === 'failed') throw new OclabError(ErrorCodes.ENCODE_FAILED, job.failedReason || `title ${titleId}: the assembly job failed`)
                return { done: job.returnvalue as AssembleJobReturn, ids }
              }
            } catch (err) {
              if (err instanceof OclabError) throw err
              const out = Date.now() - lastOk
              if (out >= deadlineMs) {
                throw new OclabError(
                  ErrorCodes.QUEUE_UNREACHABLE,
                  `lost the queue's Redis at ${display} for ${(out / 1000).toFixed(0)} s (deadline ${(deadlineMs / 1000).toFixed(0)} s, --queue-deadline): ${why(err as Error)}; title ${titleId} is not finished (chunks already encoded stay in the store and are reused by the next encode)`,
                )
              }
              down = true
              redisDown = true
              notice(
                `Redis at ${display} unreachable for ${(out / 1000).toFixed(0)} s (${why(err as Error)}); waiting, giving up in ${((deadlineMs - out) / 1000).toFixed(0)} s`,
              )
            }
            await pause(watchMs, opts.signal, (w) => (wake = w))
          }
        } finally {
          for (const [e, h] of Object.entries(handlers)) qe.off(e as 'active', h as never)
        }
      }

      try {
        if (
          opts.requireWorkers &&
          (await bounded(queue.getWorkers(), timeouts.commandMs, `the queue's Redis at ${display} did not list its workers`)).length === 0
        ) {
          throw new OclabError(
            ErrorCodes.NO_WORKERS,
            `no oclab worker is connected to ${display} (queue ${queueName}): start one with \`oclab worker --queue ${display} --store <shared dir>\`, or pass --wait to queue the title and wait for workers`,
          )
        }
        await bounded(
          qe.waitUntilReady(),
          timeouts.connectMs + timeouts.commandMs,
          `the queue's Redis at ${display} did not answer the event stream's connection`,
        )
        for (let round = 0; ; round++) {
          // chunks already finished in the store (a lost run's, or an earlier encode's) are reused, as a local resume does
          for (const [i, b] of batches.entries()) {
            if (results[i]) continue
            const found = await finishedInStore(b)
            if (found) deliver(i, found)
          }
          const pending = batches.flatMap((_, i) => (results[i] ? [] : [i]))
          if (!pending.length) break
          if (round > maxResubmits) {
            throw new OclabError(
              ErrorCodes.ENCODE_FAILED,
              `title ${titleId}: the queue's Redis at ${display} lost the title ${round} times (is it restarting without persistence? set appendonly yes); ${pending.length} of ${batches.length} chunk jobs unfinished, the rest stay in the store for the next encode`,
            )
          }
          if (round > 0)
            notice(
              `resubmitting title ${titleId}: ${pending.length} of ${batches.length} chunk jobs (the other ${batches.length - pending.length} are finished in the store and reused)`,
            )
          const run = `${titleId}.${randomBytes(4).toString('hex')}`
          const outcome = await submitAndWatch(run, pending)
          if (outcome === 'lost') {
            notice(`title ${titleId} (run ${run}) is gone from the queue's Redis at ${display}: Redis restarted without persistence, or its data was flushed`)
            // what this run delivered was not checked by an assembly job: keep only chunks whose bytes still match
            for (const i of pending) if (results[i] && !(await verified(results[i]!))) results[i] = undefined
            continue
          }
          for (const [k, ret] of outcome.done.chunks.entries()) deliver(pending[k]!, toLocal(ret))
          if (opts.onChunkReturn) {
            const jobs = await Promise.all(outcome.ids.map((id) => queue.getJob(id)))
            for (const [k, j] of jobs.entries())
              if (j)
                opts.onChunkReturn(batches[pending[k]!]!, outcome.done.chunks[k]!, {
                  queuedAt: j.timestamp,
                  startedAt: j.processedOn ?? j.timestamp,
                  finishedAt: j.finishedOn ?? Date.now(),
                })
          }
          break
        }
        return results.map((r) => r!)
      } finally {
        await closeAll([qe, flow, queue], clients, redisDown ? 0 : timeouts.commandMs)
      }
    },
  }
}

/** Every rung of a chunk finished in the store: in the work dir itself, or in a worker's attempt dir (`<workDir>/attempts/<job>-a<n>-<worker>`). */
async function finishedInStore(batch: ChunkBatch): Promise<ChunkResult[] | null> {
  const out: ChunkResult[] = []
  for (const job of batch.jobs) {
    const found = (await findFinished(job)) ?? (await finishedInAttempts(job))
    if (!found) return null
    out.push(found)
  }
  return out
}

async function finishedInAttempts(job: ChunkJob): Promise<ChunkResult | null> {
  let dirs: string[]
  try {
    dirs = await readdir(join(job.workDir, 'attempts'))
  } catch {
    return null
  }
  for (const d of dirs.sort()) {
    const found = await findFinished({ ...job, workDir: join(job.workDir, 'attempts', d) })
    if (found) return found
  }
  return null
}

async function verified(rs: ChunkResult[]): Promise<boolean> {
  for (const r of rs) {
    try {
      if ((await sha256File(r.file)) !== r.sha256) return false
    } catch {
      return false
    }
  }
  return true
}

/** Sleep `ms`, or less when the flow's assembly job reports (`setWake`) or the encode is cancelled. */
function pause(ms: number, signal: AbortSignal | undefined, setWake: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      setWake(() => {})
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
    setWake(done)
  })
}

async function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  try {
    return await withTimeout(p, ms)
  } catch (err) {
    throw new OclabError(ErrorCodes.QUEUE_UNREACHABLE, `${what}: ${oneLine(err as Error)}`)
  }
}

/** Close gracefully while Redis answers (for at most `ms`), then drop the connections: a dead or hung Redis must not keep a finished or failed submitter alive. */
async function closeAll(xs: { close(): Promise<void> }[], clients: Redis[], ms: number): Promise<void> {
  await withTimeout(Promise.allSettled(xs.map((x) => x.close())), ms).catch(() => {})
  for (const c of clients) c.disconnect()
}

/** Storage keys for every file the batches name: inputs are uploaded if needed, the work dir must already be in storage. */
async function storageKeys(storage: Storage, batches: readonly ChunkBatch[]): Promise<Map<string, string>> {
  const keys = new Map<string, string>()
  for (const job of batches.flatMap((b) => b.jobs)) {
    if (!keys.has(job.source)) keys.set(job.source, await inputKey(storage, job.source, 'sources'))
    if (job.vmafModel !== null && !keys.has(job.vmafModel)) keys.set(job.vmafModel, await inputKey(storage, job.vmafModel, 'models'))
    if (!keys.has(job.workDir)) {
      const key = storage.keyOf(job.workDir)
      if (!key)
        throw new OclabError(ErrorCodes.USAGE, `the title's store must be the fleet's shared storage (${storage.describe}); ${job.workDir} is outside it`)
      keys.set(job.workDir, key)
    }
  }
  return keys
}
