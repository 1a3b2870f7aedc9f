import { Type, type Static } from '@sinclair/typebox'

/**
 * The `POST /api/load` contract: `oclab load --console <url>` sends one
 * sample a second while it runs, then `{ done: true, report }` once. The
 * console keeps the last samples of the current run for the page to chart.
 */
const count = Type.Integer({ minimum: 0 })
const rate = Type.Number({ minimum: 0 })

export const LoadSampleSchema = Type.Object(
  {
    /** seconds since the run started */
    t: Type.Number({ minimum: 0 }),
    started: count,
    active: count,
    completed: count,
    lost: count,
    requestsPerSecond: rate,
    gbitPerSecond: rate,
    errors: count,
    p50Ms: rate,
    p99Ms: rate,
    /** faults injected so far (e.g. "kill:oca-1@20"); a marker is drawn where one first appears */
    faults: Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 }),
  },
  { additionalProperties: false },
)

export const LoadDoneSchema = Type.Object(
  { done: Type.Literal(true), report: Type.Record(Type.String(), Type.Unknown()) },
  { additionalProperties: false },
)

export const LoadPostSchema = Type.Union([LoadSampleSchema, LoadDoneSchema])

export type LoadSample = Static<typeof LoadSampleSchema>
export type LoadPost = Static<typeof LoadPostSchema>

export interface LoadRunView {
  /** increases when a new run starts, so a polling page knows to clear its charts */
  run: number
  samples: LoadSample[]
  report: Record<string, unknown> | null
}

/**
 * The current load run. A new run begins when a sample arrives after the
 * previous run's report, or with a clock that went backwards (the sender
 * restarted without finishing).
 */
export class LoadRun {
  private run = 0
  private samples: LoadSample[] = []
  private report: Record<string, unknown> | null = null

  constructor(private readonly keep: number) {}

  add(post: LoadPost): void {
    if ('done' in post) {
      this.report = post.report
      return
    }
    const last = this.samples.at(-1)
    if (this.run === 0 || this.report !== null || (last && post.t < last.t)) {
      this.run++
      this.samples = []
      this.report = null
    }
    this.samples.push(post)
    if (this.samples.length > this.keep) this.samples.splice(0, this.samples.length - this.keep)
  }

  view(): LoadRunView {
    return { run: this.run, samples: this.samples, report: this.report }
  }
}
