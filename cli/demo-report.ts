import type { EncodeResult } from '../encoder/encode-title.js'
import type { LoadReport } from '../sim/load/harness.js'
import { bars, esc } from '../sim/load/charts.js'
import { REPORT_STYLE, timelineCharts } from '../sim/load/html-report.js'

export function demoHtml(d: { encoded: EncodeResult[]; placement: unknown; report: LoadReport; seconds: number }): string {
  const ladders = d.encoded
    .map(({ title }) => `<h3>${esc(title.id)} (${title.ladder.kind}, ${title.ladder.qualityMetric})</h3><table><tr><th>rendition</th><th>size</th><th>avg kbit/s</th><th>peak kbit/s</th><th>VMAF</th><th>SSIM</th></tr>${title.video
      .map((v) => `<tr><td>${v.id}</td><td>${v.width}x${v.height}</td><td>${Math.round(v.averageBandwidth / 1000)}</td><td>${Math.round(v.bandwidth / 1000)}</td><td>${v.quality.vmaf?.toFixed(1) ?? '-'}</td><td>${v.quality.ssim.toFixed(4)}</td></tr>`)
      .join('')}</table>`)
    .join('')
  const r = d.report
  const qoe = Object.entries(r.qoeBy)
  return `<!doctype html><html><head><meta charset="utf-8"><title>oclab demo</title>
<style>${REPORT_STYLE}</style></head><body>
<h1>oclab demo</h1><p>${r.sessions.started} sessions, ${r.sessions.completed} completed, ${r.sessions.lost} lost; whole run ${d.seconds.toFixed(0)} s.</p>
<h2>Ladders</h2>${ladders}
<h2>Load</h2>
${timelineCharts(r)}
${bars('Mean average bitrate by client site / algorithm', qoe.map(([k, v]) => [k, v.averageBitrate.mean / 1000]), 'kbit/s')}
${bars('Mean rebuffering by client site / algorithm', qoe.map(([k, v]) => [k, v.rebufferTime.mean]), 's')}
${bars('Bytes served per OCA', r.perOca.map((o) => [`${o.id} (${o.site})`, o.bytes / 1e6]), 'MB')}
<h2>Faults</h2><table><tr><th>fault</th><th>at s</th><th>sessions affected</th><th>failovers</th><th>stall s</th><th>lost</th></tr>${r.faults.map((f) => `<tr><td>${esc(f.fault)}</td><td>${f.at}</td><td>${f.sessionsAffected}</td><td>${f.failovers}</td><td>${f.stallSeconds}</td><td>${f.sessionsLost}</td></tr>`).join('')}</table>
<h2>Pre-position report</h2><pre>${esc(JSON.stringify(d.placement, null, 2))}</pre>
<h2>Load report</h2><pre>${esc(JSON.stringify(r, null, 2))}</pre>
</body></html>`
}
