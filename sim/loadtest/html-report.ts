import { esc, lineChart, type Marker } from './charts.js'
import type { LoadReport } from './harness.js'

/**
 * `oclab load --html`: one self-contained page (inline SVG, no scripts) with
 * the run over time and the tables of the terminal report.
 */
const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)}%`)
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-')
const table = (head: string[], rows: Array<Array<string | number>>) =>
  `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(String(c))}</td>`).join('')}</tr>`).join('')}</table>`

export const REPORT_STYLE =
  'body{font:14px system-ui,sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}th{background:#eee}pre{background:#f6f6f6;padding:1em;overflow:auto}'

/** The five time-series charts of a run, faults drawn where they fired. */
export function timelineCharts(r: LoadReport): string {
  const tl = r.timeline
  const markers: Marker[] = r.faults.map((f) => ({ x: f.at, label: f.fault }))
  const at = <T>(f: (s: (typeof tl)[number], i: number) => T) => tl.map((s, i) => [s.t, f(s, i)] as const)
  return [
    lineChart({ title: 'Active sessions', unit: 'sessions', series: [{ name: 'active', points: at((s) => s.active) }], markers }),
    lineChart({ title: 'Requests per second', unit: 'req/s', series: [{ name: 'req/s', points: at((s) => s.requestsPerSecond) }], markers }),
    lineChart({ title: 'Throughput to players', unit: 'Gbit/s', series: [{ name: 'Gbit/s', points: at((s) => s.gbitPerSecond) }], markers }),
    lineChart({
      title: 'Segment latency (requests finished in each second)',
      unit: 'ms',
      series: [
        { name: 'p50', points: at((s) => s.p50Ms) },
        { name: 'p99', points: at((s) => s.p99Ms) },
      ],
      markers,
    }),
    lineChart({
      title: 'Errors per second',
      unit: 'errors/s',
      series: [{ name: 'errors', color: '#c0392b', points: at((s, i) => s.errors - (i ? tl[i - 1]!.errors : 0)) }],
      markers,
    }),
  ].join('\n')
}

/** The tables: per OCA, steering, QoE per site/algorithm, faults. */
export function loadTables(r: LoadReport): string {
  const l = r.latencyMs
  return [
    `<p>${r.sessions.started} sessions started, ${r.sessions.completed} completed, ${r.sessions.lost} lost in ${r.wallSeconds.toFixed(1)} s; ${r.requests} requests, ${(r.bytes / 1e6).toFixed(1)} MB, ${r.gbitPerSecond.toFixed(3)} Gbit/s; errors: ${esc(
      Object.entries(r.errors)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none',
    )}.</p>`,
    `<p>Segment latency ms (${l.count} requests): p50 ${l.p50}, p90 ${l.p90}, p99 ${l.p99}, p99.9 ${l.p999}, max ${l.max}.</p>`,
    '<h2>Per OCA</h2>',
    table(
      ['OCA', 'site', 'requests', 'failed', 'MB', 'hit ratio', 'reachable at end'],
      r.perOca.map((o) => [o.id, o.site, o.requests, o.errors, (o.bytes / 1e6).toFixed(1), pct(o.hitRatio), o.reachable ? 'yes' : 'no']),
    ),
    `<p>Origin offload: ${pct(r.originOffload)}</p>`,
    '<h2>Steering: first choice by site</h2>',
    table(['site', 'sessions'], Object.entries(r.steeringBySite)),
    '<h2>QoE by client site / algorithm</h2>',
    table(
      [
        'site/algorithm',
        'sessions',
        'startup s (mean)',
        'startup s (p95)',
        'rebuffer s (mean)',
        'rebuffer s (p95)',
        'avg kbit/s (mean)',
        'avg kbit/s (p5)',
        'switches (mean)',
      ],
      [['all', r.qoe] as const, ...Object.entries(r.qoeBy)].map(([k, d]) => [
        k,
        d.startupDelay.n,
        f2(d.startupDelay.mean),
        f2(d.startupDelay.p95),
        f2(d.rebufferTime.mean),
        f2(d.rebufferTime.p95),
        (d.averageBitrate.mean / 1000).toFixed(0),
        (d.averageBitrate.p5 / 1000).toFixed(0),
        f2(d.switches.mean),
      ]),
    ),
    '<h2>Faults</h2>',
    r.faults.length
      ? table(
          ['fault', 'at s', 'sessions affected', 'failovers', 'stall s', 'sessions lost'],
          [
            ...r.faults.map((f) => [f.fault, f.at, f.sessionsAffected, f.failovers, f.stallSeconds, f.sessionsLost]),
            ...(r.faultsUnattributed.failovers
              ? [
                  [
                    'no fault',
                    '-',
                    r.faultsUnattributed.sessionsAffected,
                    r.faultsUnattributed.failovers,
                    r.faultsUnattributed.stallSeconds,
                    r.faultsUnattributed.sessionsLost,
                  ],
                ]
              : []),
          ],
        )
      : '<p>none injected</p>',
  ].join('\n')
}

export function loadHtml(r: LoadReport, title = 'oclab load'): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title><style>${REPORT_STYLE}</style></head><body>
<h1>${esc(title)}</h1>
<h2>Over time</h2>
${timelineCharts(r)}
${loadTables(r)}
</body></html>
`
}
