import type { EncodeResult } from '../encoder/index.js'
import { bdTable, compareCurves, ladderCurve, rdCharts } from '../encoder/index.js'
import type { PrepositionReport } from '../origin/index.js'
import type { LoadReport } from '../sim/loadtest/index.js'
import { bars, esc, REPORT_STYLE, timelineCharts } from '../sim/loadtest/index.js'

/** The demo's machine-readable record, offered as a download beside the page. */
export const DEMO_JSON = 'report.json'

const mb = (b: number) => (b / 1e6).toFixed(1)

/**
 * The demo report, in the order the story runs: the three ladders of the
 * multishot title and what each costs at equal quality (RD curves, BD-rates),
 * where the titles were placed, how the load run went for the players, and
 * what the injected fault cost. The raw JSON is a download, not the page.
 */
export function demoHtml(d: { encoded: EncodeResult[]; placement: PrepositionReport; report: LoadReport; seconds: number }): string {
  const curves = d.encoded.map(({ title }) => ladderCurve(title, title.id))
  const pairs: Array<[string, string]> = [
    ['per-title', 'fixed'],
    ['shot-based', 'per-title'],
    ['shot-based', 'fixed'],
  ]
  const comparisons = pairs.flatMap(([test, anchor]) => {
    const a = curves.find((c) => c.kind === anchor)
    const b = curves.find((c) => c.kind === test)
    return a && b ? [compareCurves(a, b)] : []
  })
  const ladders = d.encoded
    .map(({ title }) => {
      const shots = title.source.shots?.length
      return `<h3>${esc(title.id)}: ${title.ladder.kind} ladder</h3><p class="caption">${title.ladder.notes.map(esc).join(' · ')}${shots ? ` · ${shots} shots detected` : ''}</p><table><tr><th>rendition</th><th>size</th><th>avg kbit/s</th><th>peak kbit/s</th><th>VMAF</th><th>PSNR dB</th><th>segments</th></tr>${title.video
        .map(
          (v) =>
            `<tr><td>${esc(v.id)}</td><td>${v.width}x${v.height}</td><td>${Math.round(v.averageBandwidth / 1000)}</td><td>${Math.round(v.bandwidth / 1000)}</td><td>${v.quality.vmaf?.toFixed(1) ?? '-'}</td><td>${v.quality.psnr.toFixed(1)}</td><td>${v.segments.length}</td></tr>`,
        )
        .join('')}</table>`
    })
    .join('')
  const shotBased = d.encoded.find((e) => e.title.ladder.kind === 'shot-based')?.title
  const allocation = shotBased?.ladder.allocation
    ? `<h3>Shot-based allocation: each shot's CRF per rung</h3><table><tr><th>rung</th><th>λ (VMAF per Mbit/s)</th>${shotBased.source.shots!.map((s, i) => `<th>shot ${i + 1} (${s.start.toFixed(1)} s)</th>`).join('')}</tr>${shotBased.ladder.allocation
        .map(
          (a) =>
            `<tr><td>${esc(a.rung)}</td><td>${(a.lambda * 1e6).toFixed(2)}</td>${a.shots.map((s) => `<td>CRF ${s.crf} · ${Math.round(s.bitrate / 1000)}k · ${s.quality.toFixed(1)}</td>`).join('')}</tr>`,
        )
        .join(
          '',
        )}</table><p class="caption">At one common slope λ, bits go to the shots where they buy the most quality: easy shots get high CRFs (few bits), hard ones low CRFs.</p>`
    : ''
  const p = d.placement
  const placement = `<p>The plan serves ${(p.plan.ratioToBound * 100).toFixed(1)}% of the fractional upper bound (${mb(p.plan.servedBytes)} of ${mb(p.plan.demandBytes)} MB of expected demand from the clients' own sites).</p>
<table><tr><th>OCA</th><th>site</th><th>status</th><th>titles planned</th><th>MB filled</th><th>from peers</th><th>from origin</th><th>MB verified</th></tr>${p.sites
    .map(
      (s) =>
        `<tr><td>${esc(s.oca)}</td><td>${esc(s.site)}</td><td>${esc(s.status)}</td><td>${s.titlesPlanned}</td><td>${mb(s.bytesFilled)}</td><td>${mb(s.bytesFromPeers)}</td><td>${mb(s.bytesFromOrigin)}</td><td>${mb(s.bytesVerified)}</td></tr>`,
    )
    .join('')}</table>`
  const r = d.report
  const qoe = Object.entries(r.qoeBy)
  return `<!doctype html><html><head><meta charset="utf-8"><title>oclab demo</title>
<style>${REPORT_STYLE}.caption{font-size:12px;color:#555}svg{display:block;margin:8px 0}</style></head><body>
<h1>oclab demo</h1><p>One multishot title encoded three ways, a 3-region cluster, pre-positioning, ${r.sessions.started} player sessions (${r.sessions.completed} completed, ${r.sessions.lost} lost) with an OCA killed mid-run; whole run ${d.seconds.toFixed(0)} s. Raw data: <a href="${DEMO_JSON}" download>${DEMO_JSON}</a>.</p>
<h2>1. Ladders and what they cost at equal quality</h2>
${bdTable(comparisons)}
${rdCharts(curves)}
${ladders}
${allocation}
<h2>2. Placement</h2>${placement}
<h2>3. Load and QoE</h2>
${timelineCharts(r)}
${bars(
  'Mean average bitrate by client site / algorithm',
  qoe.map(([k, v]) => [k, v.averageBitrate.mean / 1000]),
  'kbit/s',
)}
${bars(
  'Mean rebuffering by client site / algorithm',
  qoe.map(([k, v]) => [k, v.rebufferTime.mean]),
  's',
)}
${bars(
  'Bytes served per OCA',
  r.perOca.map((o) => [`${o.id} (${o.site})`, o.bytes / 1e6]),
  'MB',
)}
<h2>4. Faults</h2><table><tr><th>fault</th><th>at s</th><th>sessions affected</th><th>failovers</th><th>stall s</th><th>lost</th></tr>${r.faults.map((f) => `<tr><td>${esc(f.fault)}</td><td>${f.at}</td><td>${f.sessionsAffected}</td><td>${f.failovers}</td><td>${f.stallSeconds}</td><td>${f.sessionsLost}</td></tr>`).join('')}</table>
</body></html>`
}

/** What report.json holds: the ladders' comparison inputs, the placement and the load report. */
export function demoJson(d: { encoded: EncodeResult[]; placement: PrepositionReport; report: LoadReport; seconds: number }): string {
  const titles = d.encoded.map(({ title }) => ({
    id: title.id,
    ladder: title.ladder,
    shots: title.source.shots ?? [],
    video: title.video.map(({ segments: _s, ...v }) => v),
  }))
  return `${JSON.stringify({ seconds: d.seconds, titles, placement: d.placement, load: d.report }, null, 2)}\n`
}
