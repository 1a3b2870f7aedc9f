import type { EncodeResult } from '../encoder/encode-title.js'
import type { LoadReport } from '../sim/load/harness.js'

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** Bars of a value per label, as inline SVG (the page is self-contained). */
function bars(title: string, rows: Array<[string, number]>, unit: string): string {
  const max = Math.max(1e-9, ...rows.map(([, v]) => v))
  const h = 22
  const body = rows
    .map(([label, v], i) => `<text x="0" y="${i * h + 15}" font-size="12">${esc(label)}</text><rect x="190" y="${i * h + 4}" width="${(v / max) * 360}" height="14" fill="#3a7bd5"/><text x="${196 + (v / max) * 360}" y="${i * h + 15}" font-size="12">${v < 10 ? v.toFixed(2) : v.toFixed(1)} ${unit}</text>`)
    .join('')
  return `<h3>${esc(title)}</h3><svg width="640" height="${rows.length * h + 6}" role="img">${body}</svg>`
}

export function demoHtml(d: { encoded: EncodeResult[]; placement: unknown; report: LoadReport; seconds: number }): string {
  const ladders = d.encoded
    .map(({ title }) => `<h3>${esc(title.id)} (${title.ladder.kind}, ${title.ladder.qualityMetric})</h3><table><tr><th>rendition</th><th>size</th><th>avg kbit/s</th><th>peak kbit/s</th><th>VMAF</th><th>SSIM</th></tr>${title.video
      .map((v) => `<tr><td>${v.id}</td><td>${v.width}x${v.height}</td><td>${Math.round(v.averageBandwidth / 1000)}</td><td>${Math.round(v.bandwidth / 1000)}</td><td>${v.quality.vmaf?.toFixed(1) ?? '-'}</td><td>${v.quality.ssim.toFixed(4)}</td></tr>`)
      .join('')}</table>`)
    .join('')
  const r = d.report
  const qoe = Object.entries(r.qoeBy)
  return `<!doctype html><html><head><meta charset="utf-8"><title>oclab demo</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}th{background:#eee}pre{background:#f6f6f6;padding:1em;overflow:auto}</style></head><body>
<h1>oclab demo</h1><p>${r.sessions.started} sessions, ${r.sessions.completed} completed, ${r.sessions.lost} lost; whole run ${d.seconds.toFixed(0)} s.</p>
<h2>Ladders</h2>${ladders}
<h2>Load</h2>
${bars('Mean average bitrate by client site / algorithm', qoe.map(([k, v]) => [k, v.averageBitrate.mean / 1000]), 'kbit/s')}
${bars('Mean rebuffering by client site / algorithm', qoe.map(([k, v]) => [k, v.rebufferTime.mean]), 's')}
${bars('Bytes served per OCA', r.perOca.map((o) => [`${o.id} (${o.site})`, o.bytes / 1e6]), 'MB')}
<h2>Faults</h2><table><tr><th>fault</th><th>at s</th><th>sessions affected</th><th>failovers</th><th>stall s</th><th>lost</th></tr>${r.faults.map((f) => `<tr><td>${esc(f.fault)}</td><td>${f.at}</td><td>${f.sessionsAffected}</td><td>${f.failovers}</td><td>${f.stallSeconds}</td><td>${f.sessionsLost}</td></tr>`).join('')}</table>
<h2>Pre-position report</h2><pre>${esc(JSON.stringify(d.placement, null, 2))}</pre>
<h2>Load report</h2><pre>${esc(JSON.stringify(r, null, 2))}</pre>
</body></html>`
}
