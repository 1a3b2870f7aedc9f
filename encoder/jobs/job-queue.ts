import { ErrorCodes, OclabError } from '../../lib/errors.js'

/**
 * The encoder's job queue: jobs are plain data (one chunk × one rung), run by
 * stateless workers. The local pool below is the embedded default; a
 * distributed backend implements the same interface.
 */
export interface RetryPolicy {
  /** Tries per job before it counts as failed. Default 3. */
  attempts: number
  /** First backoff; doubles each retry. Default 250 ms. */
  backoffMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, backoffMs: 250 }

export interface JobEvents<J, R> {
  onStart?(job: J, attempt: number): void
  onRetry?(job: J, attempt: number, error: Error): void
  onDone?(job: J, result: R): void
}

export interface JobFailure<J> {
  job: J
  error: Error
  attempts: number
}

export interface JobQueue<J, R> {
  /**
   * Run every job to completion. One failed job does not stop the others:
   * finished work stays on disk for a resume. When any job fails all its tries,
   * rejects with an OclabError listing the failures.
   */
  runAll(jobs: readonly J[], events?: JobEvents<J, R>): Promise<R[]>
}

export type JobHandler<J, R> = (job: J, attempt: number) => Promise<R>

export interface LocalPoolOptions<J> {
  /** Jobs run at once. */
  concurrency: number
  retry?: RetryPolicy
  /** How to name a job in the failure list. */
  describe: (job: J) => string
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** In-process pool: `concurrency` jobs at a time, each retried with exponential backoff. */
export function localPool<J, R>(handler: JobHandler<J, R>, opts: LocalPoolOptions<J>): JobQueue<J, R> {
  const retry = opts.retry ?? DEFAULT_RETRY
  return {
    async runAll(jobs, events = {}) {
      const results: R[] = new Array(jobs.length)
      const failures: JobFailure<J>[] = []
      let next = 0
      const worker = async () => {
        while (next < jobs.length) {
          const i = next++
          const job = jobs[i]!
          for (let attempt = 1; ; attempt++) {
            try {
              events.onStart?.(job, attempt)
              results[i] = await handler(job, attempt)
              events.onDone?.(job, results[i]!)
              break
            } catch (err) {
              const error = err instanceof Error ? err : new Error(String(err))
              if (attempt >= retry.attempts) {
                failures.push({ job, error, attempts: attempt })
                break
              }
              events.onRetry?.(job, attempt, error)
              await sleep(retry.backoffMs * 2 ** (attempt - 1))
            }
          }
        }
      }
      await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, jobs.length)) }, worker))
      if (failures.length) throw jobsFailed(failures, opts.describe)
      return results
    },
  }
}

export function jobsFailed<J>(failures: JobFailure<J>[], describe: (job: J) => string): OclabError {
  const list = failures.map((f) => `${describe(f.job)} (after ${f.attempts} tries): ${f.error.message}`)
  return new OclabError(ErrorCodes.ENCODE_FAILED, `${failures.length} chunk job(s) failed:\n  ${list.join('\n  ')}`, list)
}
