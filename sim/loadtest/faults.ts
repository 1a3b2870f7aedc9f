import type { ClusterConfig } from '../../lib/cluster.js'
import { ErrorCodes, OclabError } from '../../lib/errors.js'
import { OcaClient } from '../../oca/index.js'

/**
 * Faults injected during a load run, written `kind:target@seconds`:
 *   kill:oca-1@20          SIGKILL the OCA process
 *   drain:oca-2@30         SIGTERM it (it drains, then exits)
 *   slow:oca-3=500@10      every response of that OCA delayed 500 ms (admin API)
 *   origin-down@40+15      the origin stops answering (SIGSTOP) for 15 s
 */
export type FaultKind = 'kill' | 'drain' | 'slow' | 'origin-down'

export interface FaultSpec {
  kind: FaultKind
  target: string
  /** seconds after the run starts */
  at: number
  /** slow: delay ms; origin-down: seconds unreachable */
  value?: number
  text: string
}

export function parseFault(text: string): FaultSpec {
  const bad = (why: string) =>
    new OclabError(ErrorCodes.USAGE, `--fault "${text}": ${why} (e.g. kill:oca-1@20, drain:oca-2@30, slow:oca-3=500@10, origin-down@40+15)`)
  const m = /^(kill|drain|slow|origin-down)(?::([A-Za-z0-9_-]+)(?:=(\d+))?)?@(\d+(?:\.\d+)?)(?:\+(\d+(?:\.\d+)?))?$/.exec(text.trim())
  if (!m) throw bad('not a fault')
  const kind = m[1] as FaultKind
  const at = Number(m[4])
  if (kind === 'origin-down') {
    if (m[2]) throw bad('origin-down takes no target')
    return { kind, target: 'origin', at, value: m[5] ? Number(m[5]) : 10, text }
  }
  if (!m[2]) throw bad(`${kind} needs an OCA id`)
  if (kind === 'slow' && !m[3]) throw bad('slow needs a delay: slow:<oca>=<ms>@<s>')
  if (kind !== 'slow' && m[3]) throw bad(`${kind} takes no =value`)
  if (m[5]) throw bad('only origin-down takes +seconds')
  return { kind, target: m[2], at, ...(m[3] ? { value: Number(m[3]) } : {}), text }
}

/** A fault as it fired during a run. */
export interface FaultTargets {
  cluster: ClusterConfig
  /** the PID of an OCA (by id) or of `origin` when the fault fires; null when it is not running */
  pidOf: (target: string) => number | null | undefined | Promise<number | null | undefined>
}

/** Do what one fault says to its target now: signal its process, or slow it through the OCA admin API. */
export async function fireFault(f: FaultSpec, on: FaultTargets): Promise<void> {
  const pid = await on.pidOf(f.target)
  if (f.kind === 'kill' && pid) process.kill(pid, 'SIGKILL')
  else if (f.kind === 'drain' && pid) process.kill(pid, 'SIGTERM')
  else if (f.kind === 'slow') {
    const oca = on.cluster.ocas.find((x) => x.id === f.target)
    if (oca) await new OcaClient(oca.url, on.cluster.adminToken).delay(f.value ?? 0)
  } else if (f.kind === 'origin-down' && pid) {
    process.kill(pid, 'SIGSTOP')
    setTimeout(() => process.kill(pid, 'SIGCONT'), (f.value ?? 10) * 1000).unref()
  }
}

/**
 * Fire each fault `at` seconds from now; `fired` is told first (the report times a fault by when it
 * was meant to hit), `failed` when firing it went wrong (the OCA's admin API refused a delay, say).
 * Returns a cancel that stops the faults not yet fired.
 */
export function scheduleFaults(
  faults: readonly FaultSpec[],
  on: FaultTargets,
  fired: (f: FaultSpec) => void,
  failed: (f: FaultSpec, err: Error) => void,
): () => void {
  const timers = faults.map((f) =>
    setTimeout(() => {
      fired(f)
      fireFault(f, on).catch((err: Error) => failed(f, err))
    }, f.at * 1000),
  )
  return () => timers.forEach(clearTimeout)
}

export interface FiredFault {
  fault: FaultSpec
  /** wall seconds since the run started */
  t: number
}

/** One failed request of a session, as the harness saw it (each one is retried on the next candidate). */
export interface FailedRequest {
  /** the OCA it went to (null: an address that is no OCA of the cluster) */
  oca: string | null
  /** wall seconds since the run started, when it was sent and when it failed */
  sentAt: number
  failedAt: number
  /** 'connection', 'timeout', 'http-502', … */
  reason: string
}

export interface SessionFaultRecord {
  failures: FailedRequest[]
  /** answers from an OCA, with when they ended: a slowed OCA affects the sessions it answers */
  served: Array<{ oca: string; t: number }>
  completed: boolean
  rebufferSeconds: number
}

export interface FaultOutcome {
  fault: string
  at: number
  /** sessions whose trouble this fault caused (each session is charged to one fault at most) */
  sessionsAffected: number
  /** failed requests caused by this fault, each retried elsewhere */
  failovers: number
  /** the rebuffering of the sessions charged to this fault */
  stallSeconds: number
  sessionsLost: number
}

/** What no fault explains: failures at an OCA nothing was done to, and the sessions they hit. */
export type Unattributed = Omit<FaultOutcome, 'fault' | 'at'>

/** Responses that say the OCA is up but its parent failed it (oca/ answers these on a failed fill). */
const PARENT_SIDE = new Set(['http-502', 'http-504'])

/**
 * The fault behind one failed request, by where it went rather than when:
 * the latest fault fired at or before the failure at the OCA it hit (a killed,
 * drained or slowed node), unless the OCA answered that its parent failed or
 * timed out while the origin was down, which is the origin outage's; a
 * request to a healthy OCA whose parent OCA was faulted is that parent's.
 * Returns the index into `fired`, or -1.
 */
export function faultOf(f: FailedRequest, fired: readonly FiredFault[], parentOf: (oca: string) => string | undefined): number {
  const latestAt = (target: string) => {
    let best = -1
    fired.forEach((x, i) => {
      if (x.fault.kind !== 'origin-down' && x.fault.target === target && x.t <= f.failedAt && (best < 0 || x.t >= fired[best]!.t)) best = i
    })
    return best
  }
  const originDown = fired.findIndex((x) => x.fault.kind === 'origin-down' && f.sentAt <= x.t + (x.fault.value ?? 10) && f.failedAt >= x.t)
  const own = f.oca === null ? -1 : latestAt(f.oca)
  const parentSide = PARENT_SIDE.has(f.reason) || f.reason === 'timeout'
  if (originDown >= 0 && parentSide && (own < 0 || PARENT_SIDE.has(f.reason))) return originDown
  if (own >= 0) return own
  const parent = f.oca === null ? undefined : parentOf(f.oca)
  if (parent && parentSide) return latestAt(parent)
  return -1
}

/**
 * Per-fault figures that add up: every failed request is charged to exactly
 * one fault or to `unattributed`, and every session to at most one (the
 * fault behind most of its failures, ties to the earlier-fired; a session
 * with no failure that a slowed OCA answered after the slow-down is that
 * fault's). So Σ failovers + unattributed = failed requests, Σ sessionsLost +
 * unattributed = sessions lost after a failure, and no stall is counted twice.
 */
export function attributeFaults(
  fired: readonly FiredFault[],
  sessions: readonly SessionFaultRecord[],
  parentOf: (oca: string) => string | undefined,
): { faults: FaultOutcome[]; unattributed: Unattributed } {
  const zero = (): Unattributed => ({ sessionsAffected: 0, failovers: 0, stallSeconds: 0, sessionsLost: 0 })
  const per = fired.map(zero)
  const none = zero()
  const bucket = (i: number) => (i >= 0 ? per[i]! : none)
  for (const s of sessions) {
    const hits = new Map<number, number>()
    for (const f of s.failures) {
      const i = faultOf(f, fired, parentOf)
      bucket(i).failovers++
      hits.set(i, (hits.get(i) ?? 0) + 1)
    }
    let charged: number | undefined
    if (hits.size) {
      // most failures first; on a tie the earlier-fired fault (-1, unattributed, last)
      const rank = (i: number) => (i < 0 ? Infinity : fired[i]!.t)
      charged = [...hits].sort((a, b) => b[1] - a[1] || rank(a[0]) - rank(b[0]))[0]![0]
    } else {
      const slowed = fired.findIndex((x) => x.fault.kind === 'slow' && s.served.some((r) => r.oca === x.fault.target && r.t >= x.t))
      if (slowed >= 0) charged = slowed
    }
    if (charged === undefined) continue
    const b = bucket(charged)
    b.sessionsAffected++
    b.stallSeconds += s.rebufferSeconds
    if (!s.completed) b.sessionsLost++
  }
  const round = (u: Unattributed): Unattributed => ({ ...u, stallSeconds: Number(u.stallSeconds.toFixed(2)) })
  return {
    faults: fired.map((x, i) => ({ fault: x.fault.text, at: Number(x.t.toFixed(2)), ...round(per[i]!) })),
    unattributed: round(none),
  }
}
