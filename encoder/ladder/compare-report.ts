import { escapeXml, lineChart, PALETTE } from '../../lib/svg.js'
import type { CompareMetric, Comparison, LadderCurve } from './compare.js'

/**
 * RD curves and BD figures as HTML fragments (inline SVG, no scripts), used
 * by `oclab compare` on its own page and by the demo report for its ladders.
 */
const METRIC_LABEL: Record<CompareMetric, string> = { vmaf: 'VMAF', psnr: 'PSNR (dB)' }

/** One chart per metric, a line per ladder through its renditions (x: kbit/s). */
export function rdCharts(curves: readonly LadderCurve[]): string {
  const out: string[] = []
  for (const metric of ['vmaf', 'psnr'] as const) {
    const series = curves
      .map((c, i) => ({
        label: `${c.titleId} (${c.kind})`,
        color: PALETTE[i % PALETTE.length]!,
        points: c.points.flatMap((p): Array<[number, number]> => {
          const q = metric === 'vmaf' ? p.vmaf : p.psnr
          return q === undefined ? [] : [[p.rate / 1000, q]]
        }),
      }))
      .filter((s) => s.points.length)
    if (!series.length) continue
    out.push(
      lineChart({
        title: `rate–quality: ${METRIC_LABEL[metric]} by average bitrate, one point per rendition`,
        xLabel: 'average video bitrate (kbit/s)',
        yLabel: METRIC_LABEL[metric],
        series,
        height: 260,
      }),
    )
  }
  return out.join('\n')
}

const pct = (v: number | null): string => (v === null ? 'no overlap' : `${v >= 0 ? '+' : ''}${v.toFixed(1)} %`)
const dq = (v: number | null): string => (v === null ? 'no overlap' : `${v >= 0 ? '+' : ''}${v.toFixed(2)}`)

/** A table row per comparison and metric: who against whom, BD-rate, BD-quality and the ranges they average over. */
export function bdTable(comparisons: readonly Comparison[]): string {
  const rows = comparisons.flatMap((c) =>
    c.metrics.map(
      (m) =>
        `<tr><td>${escapeXml(c.test.titleId)} vs ${escapeXml(c.anchor.titleId)}</td><td>${METRIC_LABEL[m.metric]}</td><td>${pct(m.bdRate)}</td><td>${dq(m.bdQuality)}</td>` +
        `<td>${m.qualityRange ? `${m.qualityRange[0].toFixed(1)}–${m.qualityRange[1].toFixed(1)}` : '-'}</td><td>${m.rateRange ? `${Math.round(m.rateRange[0] / 1000)}–${Math.round(m.rateRange[1] / 1000)}` : '-'}</td><td>${m.anchorPoints}/${m.testPoints}</td></tr>`,
    ),
  )
  return (
    '<table><tr><th>test vs anchor</th><th>metric</th><th>BD-rate</th><th>BD-quality</th><th>quality range</th><th>kbit/s range</th><th>points</th></tr>' +
    rows.join('') +
    '</table><p class="caption">BD-rate: mean bitrate difference at equal quality over the common quality range (negative: the test needs fewer bits). ' +
    'BD-quality: mean quality difference at equal bitrate over the common log-bitrate range. Piecewise cubic (PCHIP) interpolation, as the JCT-VC/JVET common test conditions.</p>'
  )
}

export function compareHtml(c: Comparison): string {
  const title = `${c.test.titleId} vs ${c.anchor.titleId}`
  const ladder = (l: LadderCurve) =>
    `<h3>${escapeXml(l.titleId)} (${escapeXml(l.kind)}) <small>${escapeXml(l.name)}</small></h3><table><tr><th>rendition</th><th>size</th><th>kbit/s</th><th>VMAF</th><th>PSNR</th></tr>` +
    l.points
      .map(
        (p) =>
          `<tr><td>${escapeXml(p.id)}</td><td>${p.width}x${p.height}</td><td>${Math.round(p.rate / 1000)}</td><td>${p.vmaf?.toFixed(2) ?? '-'}</td><td>${p.psnr.toFixed(2)}</td></tr>`,
      )
      .join('') +
    '</table>'
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title><style>
body{font:14px system-ui,sans-serif;margin:24px;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
.caption{font-size:12px;color:#555}svg{display:block;margin:8px 0}
</style></head><body><h1>${escapeXml(title)}</h1>
<h2>Bjøntegaard deltas</h2>${bdTable([c])}
<h2>Rate–quality curves</h2>${rdCharts([c.anchor, c.test])}
<h2>Ladders</h2>${ladder(c.anchor)}${ladder(c.test)}
</body></html>`
}
