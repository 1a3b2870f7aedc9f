import type { LoadProgress, LoadReport } from './harness.js'

export const progressLine = (p: LoadProgress): string =>
  `load ${p.elapsed.toFixed(0)}s: ${p.started} sessions (${p.active} playing, ${p.completed} done, ${p.lost} lost), ${p.requestsPerSecond} req/s, ${p.gbitPerSecond.toFixed(3)} Gb/s, ${p.errors} errors`

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-')
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-')

/** The terminal summary: transport numbers first, then what players lived through, then each fault. */
export function formatLoadReport(r: LoadReport): string {
  const l = r.latencyMs
  const out = [
    `sessions: ${r.sessions.started} started, ${r.sessions.completed} completed, ${r.sessions.lost} lost, in ${r.wallSeconds.toFixed(1)} s`,
    ...Object.entries(r.sessions.lostReasons).map(([why, n]) => `  lost ${n}: ${why}`),
    `requests: ${r.requests}, ${(r.bytes / 1e6).toFixed(1)} MB, ${r.gbitPerSecond.toFixed(3)} Gb/s; errors: ${
      Object.entries(r.errors)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    }`,
    `segment latency ms (HDR, ${l.count} requests): p50 ${l.p50}, p90 ${l.p90}, p99 ${l.p99}, p99.9 ${l.p999}, max ${l.max}`,
  ]
  if (r.arrivalLagMs) out.push(`open-model arrival lag ms: p50 ${r.arrivalLagMs.p50}, p99 ${r.arrivalLagMs.p99}, max ${r.arrivalLagMs.max}`)
  out.push(
    `origin offload: ${r.originOffload === null ? '-' : `${(r.originOffload * 100).toFixed(1)}%`}; steering first choice by site: ${Object.entries(
      r.steeringBySite,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  )
  out.push('per OCA:')
  for (const o of r.perOca) {
    out.push(
      `  ${o.id.padEnd(12)} ${o.site.padEnd(12)} ${String(o.requests).padStart(6)} req ${String(o.errors).padStart(4)} failed ${(o.bytes / 1e6).toFixed(1).padStart(8)} MB  hit ratio ${o.hitRatio === null ? '-' : `${(o.hitRatio * 100).toFixed(1)}%`}${o.reachable ? '' : '  (unreachable at the end)'}`,
    )
  }
  const q = r.qoe
  out.push('QoE (mean / p5 / p50 / p95):')
  out.push(`  startup s        ${f2(q.startupDelay.mean)} / ${f2(q.startupDelay.p5)} / ${f2(q.startupDelay.p50)} / ${f2(q.startupDelay.p95)}`)
  out.push(`  rebuffer s       ${f2(q.rebufferTime.mean)} / ${f2(q.rebufferTime.p5)} / ${f2(q.rebufferTime.p50)} / ${f2(q.rebufferTime.p95)}`)
  out.push(
    `  avg kbit/s       ${f1(q.averageBitrate.mean / 1000)} / ${f1(q.averageBitrate.p5 / 1000)} / ${f1(q.averageBitrate.p50 / 1000)} / ${f1(q.averageBitrate.p95 / 1000)}`,
  )
  out.push(`  switches         ${f1(q.switches.mean)} / ${f1(q.switches.p5)} / ${f1(q.switches.p50)} / ${f1(q.switches.p95)}`)
  if (Object.keys(r.qoeBy).length > 1) {
    out.push('QoE by client site / algorithm (means): sessions, startup s, rebuffer s, avg kbit/s, switches')
    for (const [k, d] of Object.entries(r.qoeBy))
      out.push(
        `  ${k.padEnd(26)} ${String(d.startupDelay.n).padStart(4)}  ${f2(d.startupDelay.mean).padStart(6)}  ${f2(d.rebufferTime.mean).padStart(6)}  ${f1(d.averageBitrate.mean / 1000).padStart(8)}  ${f1(d.switches.mean).padStart(5)}`,
      )
  }
  const u = r.faultsUnattributed
  if (r.faults.length || u.failovers) {
    out.push('faults (each failed request charged to the fault whose OCA it hit, each session to one fault):')
    for (const f of r.faults)
      out.push(
        `  ${f.fault.padEnd(22)} at ${f.at.toFixed(1)} s: ${f.sessionsAffected} sessions affected, ${f.failovers} failovers, ${f.stallSeconds} s stalled, ${f.sessionsLost} lost`,
      )
    if (u.failovers)
      out.push(
        `  ${'no fault'.padEnd(22)}           ${u.sessionsAffected} sessions affected, ${u.failovers} failovers, ${u.stallSeconds} s stalled, ${u.sessionsLost} lost`,
      )
  }
  if (r.slowest.length)
    out.push(`slowest segments: ${r.slowest.map((x) => `${x.wallMs} ms (ttfb ${x.ttfbMs}) from ${x.oca ?? '?'} on ${x.trace.split('/').pop()}`).join('; ')}`)
  return out.join('\n')
}
