import type { Queue } from 'bullmq'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { WorkerMetricsHooks } from './worker.js'

/**
 * The fleet's Prometheus metrics. Queue depth (jobs waiting for a worker) is
 * the autoscaling signal: add workers while it grows, remove them while it
 * stays at zero. It is read from Redis at scrape time, so every worker reports
 * the same fleet-wide figure; job latency is observed by the worker that ran
 * the job.
 */
export const JOB_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'waiting-children', 'failed', 'completed'] as const

export function fleetMetrics(registry: Registry, queue: Queue): WorkerMetricsHooks {
  new Gauge({
    name: 'oclab_fleet_jobs',
    help: 'Jobs in the encode queue by state (fleet-wide, read from Redis at scrape time)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await queue.getJobCounts(...JOB_STATES)
      for (const s of JOB_STATES) this.set({ state: s }, counts[s] ?? 0)
    },
  })
  new Gauge({
    name: 'oclab_fleet_queue_depth',
    help: 'Jobs ready to run that no worker has taken yet (waiting + prioritized + delayed for retry): the autoscaling signal',
    registers: [registry],
    async collect() {
      const c = await queue.getJobCounts('waiting', 'prioritized', 'delayed')
      this.set((c.waiting ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0))
    },
  })
  const wait = new Histogram({
    name: 'oclab_fleet_job_wait_seconds',
    help: 'Time a chunk job spent in the queue before this worker started it',
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers: [registry],
  })
  const run = new Histogram({
    name: 'oclab_fleet_job_run_seconds',
    help: 'Time this worker spent running a chunk job (all rungs of one chunk)',
    labelNames: ['outcome'],
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
    registers: [registry],
  })
  const jobs = new Counter({
    name: 'oclab_fleet_jobs_processed_total',
    help: 'Chunk jobs this worker ran, by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  })
  return {
    started: (s) => wait.observe(s),
    finished: (s, outcome) => {
      run.observe({ outcome }, s)
      jobs.inc({ outcome })
    },
  }
}
