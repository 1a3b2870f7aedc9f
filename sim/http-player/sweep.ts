import type { AbrParams, PlayerChoice, ProfileName, Trace } from '../index.js'
import { createAbr, SESSION_DEFAULTS, type SessionOptions } from '../index.js'
import { clientAgent, type HttpSessionResult, runHttpSession } from './session.js'
import { steer } from './steer.js'

export interface HttpSweepOptions {
  steeringUrl: string
  titleId: string
  traces: Trace[]
  algorithms: string[]
  timeScale: number
  /** Source address of every session (its coverage zone). */
  localAddress?: string
  session?: Partial<SessionOptions>
  /** Whose rule defaults apply, and parameters over them per algorithm (as in virtual time). */
  profile?: ProfileName
  abrParams?: Record<string, AbrParams>
  /** What the players decode and fetch beside the video (codec, audio language, subtitles). */
  choice?: PlayerChoice
}

export interface HttpSweepSession extends HttpSessionResult {
  site: string | null
  candidates: string[]
}

/**
 * HTTP mode for `oclab sim --http`: one real session per trace × algorithm,
 * all at once, each steered as a client at `localAddress` and played from
 * the OCAs steering ranked.
 */
export async function runHttpSweep(o: HttpSweepOptions): Promise<HttpSweepSession[]> {
  const dispatcher = clientAgent(o.localAddress)
  try {
    const answer = await steer(o.steeringUrl, o.titleId, dispatcher)
    const candidates = answer.candidates.map((c) => c.url)
    const runs = o.traces.flatMap((trace) =>
      o.algorithms.map(async (alg) => {
        const r = await runHttpSession({
          ...o.session,
          ...o.choice,
          titleId: o.titleId,
          candidates,
          policy: (l) =>
            createAbr(alg, l, o.abrParams?.[alg], {
              bufferCap: o.session?.bufferCap ?? SESSION_DEFAULTS.bufferCap,
              ...(o.profile ? { profile: o.profile } : {}),
            }),
          trace,
          timeScale: o.timeScale,
          dispatcher,
        })
        return { ...r, site: answer.client.site, candidates: answer.candidates.map((c) => c.id) }
      }),
    )
    return await Promise.all(runs)
  } finally {
    await dispatcher.close()
  }
}

/** A terminal table of HTTP sessions. */
export function formatHttpSessions(rows: HttpSweepSession[]): string {
  const head = ['algorithm', 'trace', 'done', 'startup s', 'stalls', 'stall s', 'avg kbit/s', 'switches', 'failovers', 'served by']
  const body = rows.map((r) => [
    r.algorithm,
    r.trace.slice(0, 28),
    r.completed ? 'yes' : 'LOST',
    r.metrics.startupDelay.toFixed(2),
    String(r.metrics.rebufferCount),
    r.metrics.rebufferTime.toFixed(2),
    Number.isFinite(r.metrics.averageBitrate) ? String(Math.round(r.metrics.averageBitrate / 1000)) : '-',
    String(r.metrics.switches),
    String(r.failovers),
    Object.entries(r.servedBy)
      .map(([u, b]) => `${new URL(u).host} ${(b / 1e6).toFixed(1)}MB`)
      .join(' '),
  ])
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 || i === 9 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')
  return [line(head), ...body.map(line)].join('\n')
}
