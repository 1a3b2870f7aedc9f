import { boxPlot, escapeXml, lineChart, stackedBars } from '../../lib/svg.js'
import { createAbr } from '../abr/registry.js'
import { runSession, SESSION_DEFAULTS } from '../engine/engine.js'
import type { SweepInput, SweepResult } from '../engine/sweep.js'
import type { Ladder } from '../manifest/ladder.js'
import type { Trace } from '../trace/trace.js'

export interface HtmlReportOptions {
  title?: string
  /** Traces per set drawn session by session (worst first, then the median). */
  plottedTraces?: number
}

/** Throughput averaged over bins (a Mahimahi trace has a period per millisecond: too fine to draw). */
function throughputSeries(trace: Trace, offset: number, until: number, bins = 300): Array<[number, number]> {
  const step = Math.max(until / bins, 0.5)
  const out: Array<[number, number]> = []
  for (let t = 0; t < until; t += step) {
    const e = Math.min(until, t + step)
    out.push([t, ((trace.bytesBefore(offset + e) - trace.bytesBefore(offset + t)) * 8) / (e - t)])
  }
  out.push([until, out[out.length - 1]?.[1] ?? 0])
  return out
}

function sessionPlots(ladder: Ladder, trace: Trace, algorithm: string, input: SweepInput): string {
  const bufferCap = input.session?.bufferCap ?? SESSION_DEFAULTS.bufferCap
  const r = runSession(
    ladder,
    trace,
    createAbr(algorithm, ladder, input.abrParams?.[algorithm], { bufferCap, ...(input.profile ? { profile: input.profile } : {}) }),
    { ...input.session, record: true },
  )
  const tl = r.timeline!
  const end = r.metrics.sessionTime
  const bitrate: Array<[number, number]> = tl.segments.map((s) => [s.requestTime, ladder.bitrates[s.rung]!])
  if (tl.segments.length) bitrate.push([tl.segments[tl.segments.length - 1]!.finishTime, ladder.bitrates[tl.segments[tl.segments.length - 1]!.rung]!])
  const m = r.metrics
  const caption = `QoE/segment ${m.qoePerSegment.toFixed(3)} · mean ${(m.averageBitrate / 1e6).toFixed(2)} Mbit/s · ${m.rebufferCount} stalls, ${m.rebufferTime.toFixed(1)} s · startup ${m.startupDelay.toFixed(2)} s · ${m.switches} switches`
  return `<div class="session"><h4>${escapeXml(algorithm)} on ${escapeXml(trace.name)}</h4><p class="caption">${escapeXml(caption)}</p>${lineChart({
    title: 'throughput and chosen bitrate',
    xLabel: 'time (s)',
    yLabel: 'Mbit/s',
    yScale: 1e6,
    xMax: end,
    yMax: Math.max(ladder.bitrates[ladder.bitrates.length - 1]! * 1.2, 1),
    series: [
      { label: 'trace throughput', points: throughputSeries(trace, input.session?.traceOffset ?? 0, end), color: '#9ecae1', step: true },
      { label: 'chosen bitrate', points: bitrate, color: '#d62728', step: true },
    ],
  })}${lineChart({
    title: 'buffer level (stalls shaded)',
    xLabel: 'time (s)',
    yLabel: 'seconds',
    xMax: end,
    yMax: bufferCap,
    yExact: true,
    series: [{ label: 'buffer', points: tl.buffer, color: '#2ca02c' }],
    shade: tl.stalls,
  })}</div>`
}

/**
 * A self-contained HTML page: per sweep, QoE distributions per algorithm and
 * time at each rung; the ladder verdicts; per session, the throughput trace
 * with the chosen bitrate and the buffer level over time. Inline SVG only.
 */
export function buildHtmlReport(input: SweepInput, result: SweepResult, opts: HtmlReportOptions = {}): string {
  const title = opts.title ?? 'oclab sim report'
  const plotted = opts.plottedTraces ?? 2
  const body: string[] = [`<h1>${escapeXml(title)}</h1>`]
  body.push(
    `<p>Algorithms: ${escapeXml(result.algorithms.join(', '))}. Trace sets: ${result.traceSets.map((s) => `${escapeXml(s.name)} (${s.traces} traces, mean ${(s.meanThroughput / 1e6).toFixed(2)} Mbit/s)`).join('; ')}.</p>`,
  )
  for (const l of result.ladders) {
    body.push(
      `<h2>Ladder ${escapeXml(l.name)}</h2><p>${l.rungs.map((r) => `${escapeXml(r.id)} ${(r.bitrate / 1000).toFixed(0)} kbps${r.height ? ` ${r.width}x${r.height}` : ''}`).join(' · ')}</p>`,
    )
    for (const n of l.notes) body.push(`<p class="note">${escapeXml(n)}</p>`)
    const ladder = input.ladders.find((x) => x.name === l.name)!
    for (const set of input.traceSets) {
      const cells = result.cells.filter((c) => c.ladder === l.name && c.traceSet === set.name)
      body.push(`<section class="sweep"><h3>${escapeXml(set.name)}</h3>`)
      body.push(
        boxPlot({
          title: 'QoE per segment (p5–p95, median bar, mean dot)',
          xLabel: 'linear QoE per segment',
          groups: cells.map((c) => ({ label: c.algorithm, ...c.summary.qoePerSegment })),
        }),
      )
      body.push(
        stackedBars({
          title: 'time at each rung',
          rows: cells.map((c) => ({ label: c.algorithm, shares: c.rungShare })),
          legend: ladder.rungs.map((r) => `${r.id} ${(r.bitrate / 1000).toFixed(0)}k`),
        }),
      )
      body.push(
        '<table><tr><th>algorithm</th><th>QoE mean</th><th>p5</th><th>p50</th><th>p95</th><th>bitrate Mbit/s</th><th>rebuffer s</th><th>stalls</th><th>startup s</th><th>switches</th></tr>',
      )
      for (const c of cells) {
        const s = c.summary
        body.push(
          `<tr><td>${escapeXml(c.algorithm)}</td>${[s.qoePerSegment.mean, s.qoePerSegment.p5, s.qoePerSegment.p50, s.qoePerSegment.p95].map((v) => `<td>${v.toFixed(3)}</td>`).join('')}<td>${(s.averageBitrate.mean / 1e6).toFixed(2)}</td><td>${s.rebufferTime.mean.toFixed(1)}</td><td>${s.rebufferCount.mean.toFixed(1)}</td><td>${s.startupDelay.mean.toFixed(2)}</td><td>${s.switches.mean.toFixed(1)}</td></tr>`,
        )
      }
      body.push('</table>')
      const v = result.verdicts.find((x) => x.ladder === l.name && x.traceSet === set.name)
      if (v) body.push(`<h4>Verdict</h4><ul class="verdict">${v.suggestions.map((s) => `<li>${escapeXml(s)}</li>`).join('')}</ul>`)
      const byMean = [...set.traces].sort((a, b) => a.meanThroughput - b.meanThroughput)
      const picks = [...new Set([byMean[0]!, byMean[Math.floor(byMean.length / 2)]!])].slice(0, plotted)
      body.push('<details open><summary>sessions</summary>')
      for (const trace of picks) for (const a of result.algorithms) body.push(sessionPlots(ladder, trace, a, input))
      body.push('</details></section>')
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title><style>
body{font:14px system-ui,sans-serif;margin:24px;max-width:1500px;color:#222}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
.session{display:inline-block;vertical-align:top;margin:6px;border:1px solid #eee;padding:4px}.caption{font-size:12px;color:#555;margin:2px 0}
.note{color:#a15c00}svg{display:block}
</style></head><body>${body.join('\n')}</body></html>`
}
