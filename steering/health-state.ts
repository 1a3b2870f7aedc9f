import type { OcaHealthState } from './policy.js'

/**
 * Health hysteresis, as Apache Traffic Control's Traffic Monitor applies it
 * to caches: a poll result is judged against thresholds (answer time, spare
 * bandwidth, the node's own status), and availability changes only after
 * several consecutive results agree, so one slow answer does not flap a node
 * in and out of every client's list.
 *
 * - An inferred problem (no answer, timeout, HTTP error, slow answer, too
 *   little spare bandwidth) makes an up node `suspect` at once (ranked last)
 *   and `down` (not offered) after `downAfter` consecutive bad polls.
 * - A node that says it is draining or overloaded is down at once: it is
 *   telling us, there is nothing to smooth.
 * - A down node comes back after `upAfter` consecutive good polls.
 * - Before its first poll a node is down ("not polled yet"); the first poll
 *   sets the state directly, there being no history to smooth.
 */
export interface HealthThresholds {
  /** consecutive bad polls before an OCA is down; default 2 */
  downAfter: number
  /** consecutive good polls before a down OCA is up again; default 2 */
  upAfter: number
  /** a health answer slower than this is a bad poll; default 500 ms */
  slowMs: number
  /** spare bandwidth below this fraction of bandwidthBps is a bad poll; default 0.05 */
  minSpareFraction: number
}

export const HEALTH_DEFAULTS: HealthThresholds = { downAfter: 2, upAfter: 2, slowMs: 500, minSpareFraction: 0.05 }

/** What one poll of `GET /health` saw. */
export interface Probe {
  at: number
  /** answer time in ms (undefined when there was no answer) */
  ms?: number
  /** transport failure or an unusable answer */
  error?: string
  /** the node's own status from the body */
  status?: 'ok' | 'draining' | 'overloaded'
  bytesPerSecond?: number
  titles?: readonly string[]
}

export type Verdict = { good: true } | { good: false; reason: string; immediate: boolean }

export function judge(p: Probe, capacityBps: number | undefined, t: HealthThresholds): Verdict {
  if (p.error !== undefined) return { good: false, reason: p.error, immediate: false }
  if (p.status === 'draining' || p.status === 'overloaded') return { good: false, reason: `reports ${p.status}`, immediate: true }
  if (p.ms !== undefined && p.ms > t.slowMs) return { good: false, reason: `slow health answer (${Math.round(p.ms)} ms > ${t.slowMs} ms)`, immediate: false }
  if (capacityBps && p.bytesPerSecond !== undefined) {
    const spare = capacityBps - p.bytesPerSecond * 8
    if (spare < capacityBps * t.minSpareFraction) {
      return {
        good: false,
        reason: `spare bandwidth ${Math.round(spare / 1e6)} Mbit/s is below ${Math.round(t.minSpareFraction * 100)}% of ${Math.round(capacityBps / 1e6)} Mbit/s`,
        immediate: false,
      }
    }
  }
  return { good: true }
}

export interface HealthRecord {
  state: OcaHealthState
  reason: string
  /** when the state last changed (ms since epoch) */
  since: number
  goodStreak: number
  badStreak: number
  polls: number
  lastPoll?: Probe
  /** the reason of the last bad poll */
  lastProblem?: string
  /** titles held, from the last answer that had a body */
  titles: ReadonlySet<string>
  bytesPerSecond: number
}

export const initialHealth = (now: number): HealthRecord => ({
  state: 'down',
  reason: 'not polled yet',
  since: now,
  goodStreak: 0,
  badStreak: 0,
  polls: 0,
  titles: new Set(),
  bytesPerSecond: 0,
})

export function nextHealth(prev: HealthRecord, p: Probe, v: Verdict, t: HealthThresholds): HealthRecord {
  const first = prev.polls === 0
  const goodStreak = v.good ? prev.goodStreak + 1 : 0
  const badStreak = v.good ? 0 : prev.badStreak + 1
  let state: OcaHealthState
  let reason: string
  if (v.good) {
    const back = prev.state !== 'down' || first || goodStreak >= t.upAfter
    state = back ? 'up' : 'down'
    reason = back ? 'healthy' : `recovering: ${goodStreak}/${t.upAfter} good polls since "${prev.lastProblem ?? prev.reason}"`
  } else if (v.immediate || first || prev.state === 'down' || badStreak >= t.downAfter) {
    state = 'down'
    reason = v.immediate || first || prev.state === 'down' ? v.reason : `${v.reason} (${badStreak} polls in a row)`
  } else {
    state = 'suspect'
    reason = `${v.reason} (${badStreak}/${t.downAfter} bad polls)`
  }
  return {
    state,
    reason,
    since: state === prev.state ? prev.since : p.at,
    goodStreak,
    badStreak,
    polls: prev.polls + 1,
    lastPoll: p,
    lastProblem: v.good ? prev.lastProblem : v.reason,
    titles: p.titles ? new Set(p.titles) : prev.titles,
    bytesPerSecond: p.bytesPerSecond ?? prev.bytesPerSecond,
  }
}
