import { type Static, Type } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'

/**
 * The `POST /api/load` contract: `oclab load --console <url>` sends one
 * sample a second while it runs, then `{ done: true, report }` once. The
 * console keeps the last samples of the current run for the page to chart.
 */
const count = Type.Integer({ minimum: 0 })
const rate = Type.Number({ minimum: 0 })
const maybeMs = Type.Union([Type.Number({ minimum: 0 }), Type.Null()])

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
    /** segment latency of the requests that finished in that second; null when none did */
    p50Ms: maybeMs,
    p99Ms: maybeMs,
    /** faults fired in that second (e.g. "kill:oca-1@20"); a marker is drawn where one first appears */
    faults: Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 }),
  },
  // fields a newer sender adds are kept, not refused: the console must not go blind on an upgrade
)

export const LoadDoneSchema = Type.Object({ done: Type.Literal(true), report: Type.Record(Type.String(), Type.Unknown()) })

export const LoadPostSchema = Type.Union([LoadSampleSchema, LoadDoneSchema])

export type LoadSample = Static<typeof LoadSampleSchema>
const Timeline = TypeCompiler.Compile(Type.Array(LoadSampleSchema))
export type LoadPost = Static<typeof LoadPostSchema>

export interface LoadRunView {
  /** increases when a new run starts, so a polling page knows to clear its charts */
  run: number
  samples: LoadSample[]
  report: Record<string, unknown> | null
}

/**
 * How far back a sample's clock may be and still belong to the current run.
 * The sender posts each sample without waiting for the last, so two can
 * arrive swapped, and the tail sample can land after the report.
 */
const REORDER_SLACK_SECONDS = 1.5

/**
 * The current load run. A new run begins with a sample whose clock is well
 * behind the last one (a new `oclab load` starts again from zero); anything
 * else joins the current run in time order. The final report's `timeline`,
 * when it has one, replaces the samples: posts are best effort and can be
 * lost, and the sender's last sample of the run comes only in the report.
 */
export class LoadRun {
  private run = 0
  private samples: LoadSample[] = []
  private report: Record<string, unknown> | null = null

  constructor(private readonly keep: number) {}

  add(post: LoadPost): void {
    if ('done' in post) {
      this.report = post.report
      const timeline = post.report.timeline
      if (this.run > 0 && Timeline.Check(timeline) && timeline.length) this.samples = timeline.slice(-this.keep)
      return
    }
    const last = this.samples.at(-1)
    if (this.run === 0 || (last && post.t < last.t - REORDER_SLACK_SECONDS)) {
      this.run++
      this.samples = []
      this.report = null
    }
    let i = this.samples.length
    while (i > 0 && this.samples[i - 1]!.t > post.t) i--
    this.samples.splice(i, 0, post)
    if (this.samples.length > this.keep) this.samples.splice(0, this.samples.length - this.keep)
  }

  view(): LoadRunView {
    return { run: this.run, samples: this.samples, report: this.report }
  }
}
