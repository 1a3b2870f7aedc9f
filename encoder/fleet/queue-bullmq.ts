import { randomBytes } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { FlowProducer, Queue, QueueEvents } from 'bullmq'
import { Redis } from 'ioredis'
import { ErrorCodes, OclabError } from '../../lib/errors.js'
import { sha256File } from '../../lib/hash.js'
import { type ChunkBatch, type ChunkJob, type ChunkResult, DEFAULT_RETRY, findFinished, type JobEvents, type JobQueue, type RetryPolicy } from '../index.js'
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

/** Options with their defaults filled in. */
type Settings = Required<Pick<BullmqQueueOptions, 'queueName' | 'retry' | 'timeouts' | 'deadlineMs' | 'watchMs' | 'maxResubmits' | 'onNotice'>> &
  BullmqQueueOptions

export function bullmqQueue(opts: BullmqQueueOptions): JobQueue<ChunkBatch, ChunkResult[]> {
  const settings: Settings = {
    ...opts,
    queueName: opts.queueName ?? DEFAULT_QUEUE_NAME,
    retry: opts.retry ?? DEFAULT_RETRY,
    timeouts: opts.timeouts ?? DEFAULT_TIMEOUTS,
    deadlineMs: opts.deadlineMs ?? DEFAULT_DEADLINE_MS,
    watchMs: opts.watchMs ?? 2000,
    maxResubmits: opts.maxResubmits ?? 3,
    onNotice: opts.onNotice ?? ((m: string) => process.stderr.write(`oclab queue: ${m}\n`)),
  }
  return {
    async runAll(batches, events = {}) {
      if (!batches.length) return []
      await checkRedis(opts.target, settings.timeouts)
      const keys = await storageKeys(opts.storage, batches)
      return new TitleSubmission(settings, batches, keys, events).run()
    },
  }
}

/**
 * One title's trip through the fleet: its Redis clients, the chunk results
 * gathered so far (from the queue's events, the assembly job's answer, or the
 * store), and the rounds of submitting a flow and watching it until the
 * assembly job is done or Redis loses it.
 */
class TitleSubmission {
  private readonly titleId: string
  /** The batches with storage keys in place of this machine's paths. */
  private readonly wire: ChunkBatch[]
  private readonly clients: Redis[]
  private readonly queue: Queue
  private readonly flow: FlowProducer
  private readonly qe: QueueEvents
  private readonly results: (ChunkResult[] | undefined)[]
  private readonly announced = new Set<number>()
  private readonly attempts: number[]
  /** The last poll failed: closing skips the polite QUIT that would only wait for a timeout. */
  private redisDown = false
  /** A command that gave up says only "max retries"; the connection's own last error says why. */
  private connectionError = ''
  private readonly logError: (err: Error) => void

  constructor(
    private readonly o: Settings,
    private readonly batches: readonly ChunkBatch[],
    keys: Map<string, string>,
    private readonly events: JobEvents<ChunkBatch, ChunkResult[]>,
  ) {
    this.wire = batches.map((b) => mapBatchFiles(b, (p) => keys.get(p)!))
    this.titleId = o.titleId ?? /^\.work\/([^/]+)\//.exec(this.wire[0]!.jobs[0]!.workDir)?.[1] ?? 'untitled'
    this.results = new Array(batches.length)
    this.attempts = new Array<number>(batches.length).fill(0)
    this.logError = outageLog(`Redis at ${o.target.display}`, o.onNotice, 30_000)
    // our own ioredis clients, one per BullMQ object: BullMQ's own close/disconnect can wait forever for a
    // connection that is down, and a submitter that gave up must still exit; ours are disconnected for sure
    this.clients = [clientConnection(o.target, o.timeouts), clientConnection(o.target, o.timeouts), workerConnection(o.target, o.timeouts)].map((c) => {
      const client = new Redis(c)
      client.on('error', () => {}) // reported through the BullMQ objects below
      return client
    })
    this.queue = new Queue(o.queueName, { connection: this.clients[0]! })
    this.flow = new FlowProducer({ connection: this.clients[1]! })
    this.qe = new QueueEvents(o.queueName, { connection: this.clients[2]! })
    const redisError = (err: Error) => {
      this.connectionError = oneLine(err)
      this.logError(err)
    }
    this.queue.on('error', redisError)
    this.flow.on('error', redisError)
    this.qe.on('error', redisError)
  }

  private get display(): string {
    return this.o.target.display
  }

  private why(err: Error): string {
    return /max retries per request|^no answer within/i.test(err.message) && this.connectionError ? this.connectionError : oneLine(err)
  }

  private toLocal(ret: ChunkJobReturn): ChunkResult[] {
    return ret.results.map((r) => ({ ...r, file: this.o.storage.localPath(r.file) }))
  }

  private deliver(i: number, rs: ChunkResult[]): void {
    if (this.results[i]) return
    this.results[i] = rs
    // a chunk dropped after a failed check and delivered again is still one chunk done
    if (!this.announced.has(i)) this.events.onDone?.(this.batches[i]!, rs)
    this.announced.add(i)
  }

  async run(): Promise<ChunkResult[][]> {
    try {
      await this.ready()
      for (let round = 0; ; round++) {
        const pending = await this.unfinished()
        if (!pending.length) break
        if (round > this.o.maxResubmits) {
          throw new OclabError(
            ErrorCodes.ENCODE_FAILED,
            `title ${this.titleId}: the queue's Redis at ${this.display} lost the title ${round} times (is it restarting without persistence? set appendonly yes); ${pending.length} of ${this.batches.length} chunk jobs unfinished, the rest stay in the store for the next encode`,
          )
        }
        if (round > 0)
          this.o.onNotice(
            `resubmitting title ${this.titleId}: ${pending.length} of ${this.batches.length} chunk jobs (the other ${this.batches.length - pending.length} are finished in the store and reused)`,
          )
        const run = `${this.titleId}.${randomBytes(4).toString('hex')}`
        const outcome = await this.submitAndWatch(run, pending)
        if (outcome === 'lost') {
          this.o.onNotice(
            `title ${this.titleId} (run ${run}) is gone from the queue's Redis at ${this.display}: Redis restarted without persistence, or its data was flushed`,
          )
          // what this run delivered was not checked by an assembly job: keep only chunks whose bytes still match
          for (const i of pending) if (this.results[i] && !(await verified(this.results[i]!))) this.results[i] = undefined
          continue
        }
        for (const [k, ret] of outcome.done.chunks.entries()) this.deliver(pending[k]!, this.toLocal(ret))
        await this.reportTimings(outcome, pending)
        break
      }
      return this.results.map((r) => r!)
    } finally {
      await closeAll([this.qe, this.flow, this.queue], this.clients, this.redisDown ? 0 : this.o.timeouts.commandMs)
    }
  }

  /** Workers present (when required) and the event stream connected, each within its deadline. */
  private async ready(): Promise<void> {
    const { timeouts } = this.o
    if (
      this.o.requireWorkers &&
      (await bounded(this.queue.getWorkers(), timeouts.commandMs, `the queue's Redis at ${this.display} did not list its workers`)).length === 0
    ) {
      throw new OclabError(
        ErrorCodes.NO_WORKERS,
        `no oclab worker is connected to ${this.display} (queue ${this.o.queueName}): start one with \`oclab worker --queue ${this.display} --store <shared dir>\`, or pass --wait to queue the title and wait for workers`,
      )
    }
    await bounded(
      this.qe.waitUntilReady(),
      timeouts.connectMs + timeouts.commandMs,
      `the queue's Redis at ${this.display} did not answer the event stream's connection`,
    )
  }

  /** Indexes of the batches still to encode; chunks already finished in the store (a lost run's, or an earlier encode's) are reused, as a local resume does. */
  private async unfinished(): Promise<number[]> {
    for (const [i, b] of this.batches.entries()) {
      if (this.results[i]) continue
      const found = await finishedInStore(b)
      if (found) this.deliver(i, found)
    }
    return this.batches.flatMap((_, i) => (this.results[i] ? [] : [i]))
  }

  private async reportTimings(outcome: Exclude<Outcome, 'lost'>, pending: number[]): Promise<void> {
    if (!this.o.onChunkReturn) return
    const jobs = await Promise.all(outcome.ids.map((id) => this.queue.getJob(id)))
    for (const [k, j] of jobs.entries())
      if (j)
        this.o.onChunkReturn(this.batches[pending[k]!]!, outcome.done.chunks[k]!, {
          queuedAt: j.timestamp,
          startedAt: j.processedOn ?? j.timestamp,
          finishedAt: j.finishedOn ?? Date.now(),
        })
  }

  /** One flow for the batches in `pending`, followed until its assembly job is done, it failed, or Redis lost it. */
  private async submitAndWatch(run: string, pending: number[]): Promise<Outcome> {
    const ids = pending.map((i) => chunkJobId(run, this.batches[i]!.key))
    const wake = { now: () => {} }
    const handlers = this.flowHandlers(run, new Map(ids.map((id, k) => [id, pending[k]!])), wake)
    for (const [e, h] of Object.entries(handlers)) this.qe.on(e as 'active', h as never)
    try {
      await this.addFlow(run, ids, pending)
      return await this.watch(run, ids, wake)
    } finally {
      for (const [e, h] of Object.entries(handlers)) this.qe.off(e as 'active', h as never)
    }
  }

  /** What the queue's events mean for this run's chunk jobs: starts, re-runs after a lost worker, retries, results. */
  private flowHandlers(run: string, byId: Map<string, number>, wake: { now: () => void }) {
    const { batches, events, attempts } = this
    // jobs a worker holds: an 'active' for one of these, or a 'stalled', means its worker was lost and the job is re-run
    const running = new Set<string>()
    const rerun = (i: number, why: string) => events.onRetry?.(batches[i]!, attempts[i]!, new Error(why))
    return {
      active: ({ jobId }: { jobId: string }) => {
        const i = byId.get(jobId)
        if (i === undefined) return
        if (running.has(jobId)) rerun(i, 'the worker running it was lost; re-run on another worker')
        running.add(jobId)
        events.onStart?.(batches[i]!, ++attempts[i]!)
      },
      stalled: ({ jobId }: { jobId: string }) => {
        const i = byId.get(jobId)
        if (i === undefined || !running.delete(jobId)) return
        rerun(i, 'its worker stopped renewing the job lock (worker died or lost Redis); re-run on another worker')
      },
      completed: ({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }) => {
        if (jobId === run) return wake.now()
        running.delete(jobId)
        const i = byId.get(jobId)
        if (i !== undefined) this.deliver(i, this.toLocal(returnvalue as ChunkJobReturn))
      },
      failed: ({ jobId }: { jobId: string }) => {
        running.delete(jobId)
        if (jobId === run) wake.now()
      },
      // a chunk job that failed with tries left is moved to `delayed` for its backoff: that is a retry
      delayed: ({ jobId }: { jobId: string }) => {
        const i = byId.get(jobId)
        if (i === undefined) return
        running.delete(jobId)
        void this.queue.getJob(jobId).then(
          (job) => events.onRetry?.(batches[i]!, job?.attemptsMade ?? attempts[i]!, new Error(job?.failedReason || 'failed')),
          () => {},
        )
      },
    }
  }

  /** The title as one flow: the assembly job is the parent, so BullMQ starts it only when every chunk job has finished. */
  private async addFlow(run: string, ids: string[], pending: number[]): Promise<void> {
    const { queueName, retry, timeouts } = this.o
    const childOpts = {
      attempts: retry.attempts,
      backoff: { type: 'exponential' as const, delay: retry.backoffMs },
      ignoreDependencyOnFailure: true,
      removeOnComplete: { age: 86_400 },
      removeOnFail: { age: 7 * 86_400 },
    }
    try {
      await withTimeout(
        this.flow.add({
          name: ASSEMBLE_JOB,
          queueName,
          data: { titleId: this.titleId, run, children: ids } satisfies AssembleJobData,
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
            data: { titleId: this.titleId, run, batch: this.wire[i]! } satisfies ChunkJobData,
            opts: { ...childOpts, jobId: ids[k]! },
          })),
        }),
        timeouts.commandMs,
      )
    } catch (err) {
      throw new OclabError(
        ErrorCodes.QUEUE_UNREACHABLE,
        `could not submit title ${this.titleId} to the queue's Redis at ${this.display}: ${oneLine(err as Error)}`,
      )
    }
  }

  /**
   * Poll the flow's state until it ends. BullMQ waits for a ready connection before it sends a command, and that
   * wait has no timeout of its own: every call is bounded, and none may run past the deadline.
   */
  private async watch(run: string, ids: string[], wake: { now: () => void }): Promise<Outcome> {
    const { deadlineMs, timeouts, signal } = this.o
    let lastOk = Date.now()
    let down = false
    for (;;) {
      if (signal?.aborted) {
        void this.queue.remove(run, { removeChildren: true }).catch(() => {})
        throw new OclabError(ErrorCodes.ENCODE_FAILED, 'encode cancelled')
      }
      try {
        const state = await withTimeout(this.queue.getJobState(run), Math.max(250, Math.min(timeouts.commandMs, deadlineMs - (Date.now() - lastOk))))
        if (down) this.o.onNotice(`Redis at ${this.display} answers again after ${((Date.now() - lastOk) / 1000).toFixed(0)} s`)
        lastOk = Date.now()
        down = false
        this.redisDown = false
        if (state === 'unknown') return 'lost'
        if (state === 'completed' || state === 'failed') {
          const job = await withTimeout(this.queue.getJob(run), timeouts.commandMs)
          if (!job) return 'lost'
          if (state === 'failed') throw new OclabError(ErrorCodes.ENCODE_FAILED, job.failedReason || `title ${this.titleId}: the assembly job failed`)
          return { done: job.returnvalue as AssembleJobReturn, ids }
        }
      } catch (err) {
        if (err instanceof OclabError) throw err
        const out = Date.now() - lastOk
        if (out >= deadlineMs) {
          throw new OclabError(
            ErrorCodes.QUEUE_UNREACHABLE,
            `lost the queue's Redis at ${this.display} for ${(out / 1000).toFixed(0)} s (deadline ${(deadlineMs / 1000).toFixed(0)} s, --queue-deadline): ${this.why(err as Error)}; title ${this.titleId} is not finished (chunks already encoded stay in the store and are reused by the next encode)`,
          )
        }
        down = true
        this.redisDown = true
        this.o.onNotice(
          `Redis at ${this.display} unreachable for ${(out / 1000).toFixed(0)} s (${this.why(err as Error)}); waiting, giving up in ${((deadlineMs - out) / 1000).toFixed(0)} s`,
        )
      }
      await pause(this.o.watchMs, signal, (w) => {
        wake.now = w
      })
    }
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
