import type { Queue } from 'bullmq'
import { ASSEMBLE_JOB, type ChunkJobData } from './job-data.js'
import { JOB_STATES } from './metrics.js'

/** What `oclab queue status` shows: the queue's totals and each submitted title's chunk jobs by state. */
export interface TitleStatus {
  titleId: string
  run: string
  /** the assembly job's state: `encoding` while chunk jobs run, then `assembling`, `done` or `failed` */
  state: 'encoding' | 'assembling' | 'done' | 'failed'
  waiting: number
  active: number
  failed: number
  completed: number
  /** chunk jobs in their retry backoff */
  delayed: number
  workers: number
}

export interface QueueStatus {
  counts: Record<(typeof JOB_STATES)[number], number>
  workers: number
  titles: TitleStatus[]
}

type JobState = (typeof JOB_STATES)[number]

export async function queueStatus(queue: Queue): Promise<QueueStatus> {
  const raw = await queue.getJobCounts(...JOB_STATES)
  const counts = Object.fromEntries(JOB_STATES.map((s) => [s, raw[s] ?? 0])) as QueueStatus['counts']
  const titles = new Map<string, TitleStatus>()
  const entry = (data: { titleId: string; run: string }): TitleStatus => {
    let t = titles.get(data.run)
    if (!t) {
      t = { titleId: data.titleId, run: data.run, state: 'encoding', waiting: 0, active: 0, failed: 0, completed: 0, delayed: 0, workers: 0 }
      titles.set(data.run, t)
    }
    return t
  }
  const workersByRun = new Map<string, Set<string>>()
  for (const state of JOB_STATES) {
    for (const job of await queue.getJobs([state], 0, -1)) {
      if (!job) continue
      const data = job.data as ChunkJobData
      if (!data?.run) continue
      const t = entry(data)
      if (job.name === ASSEMBLE_JOB) {
        t.state = assembleState(state)
        continue
      }
      if (state === 'waiting' || state === 'prioritized') t.waiting++
      else if (state === 'active') t.active++
      else if (state === 'delayed') t.delayed++
      else if (state === 'failed') t.failed++
      else if (state === 'completed') {
        t.completed++
        const worker = (job.returnvalue as { worker?: string } | null)?.worker
        if (worker) workersByRun.set(data.run, (workersByRun.get(data.run) ?? new Set()).add(worker))
      }
    }
  }
  for (const t of titles.values()) t.workers = workersByRun.get(t.run)?.size ?? 0
  return { counts, workers: (await queue.getWorkers()).length, titles: [...titles.values()].sort((a, b) => a.run.localeCompare(b.run)) }
}

function assembleState(s: JobState): TitleStatus['state'] {
  if (s === 'waiting-children') return 'encoding'
  if (s === 'completed') return 'done'
  if (s === 'failed') return 'failed'
  return 'assembling'
}

export function renderQueueStatus(s: QueueStatus, queueName: string, display: string): string {
  const c = s.counts
  const lines = [
    `queue ${queueName} at ${display}: ${s.workers} worker connection(s)`,
    `  waiting ${c.waiting + c.prioritized}, active ${c.active}, delayed (retry backoff) ${c.delayed}, failed ${c.failed}, completed ${c.completed}, titles waiting for chunks ${c['waiting-children']}`,
  ]
  if (!s.titles.length) return [...lines, '  no titles'].join('\n')
  const head = ['title', 'run', 'state', 'waiting', 'active', 'retrying', 'failed', 'done', 'workers']
  const rows = s.titles.map((t) => [t.titleId, t.run, t.state, t.waiting, t.active, t.delayed, t.failed, t.completed, t.workers].map(String))
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const fmt = (r: string[]) => r.map((x, i) => (i < 3 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ')
  return [...lines, `  ${fmt(head)}`, ...rows.map((r) => `  ${fmt(r)}`)].join('\n')
}
