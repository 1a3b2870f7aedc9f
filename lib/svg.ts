/**
 * Inline SVG charts for the HTML report: generated here, no scripts, no CDN,
 * so the page renders offline exactly as written.
 */
export const escapeXml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf']

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2))

/** Round axis maximum: 1, 2 or 5 × 10^k at or above v. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p
  return 10 * p
}

export interface Series {
  label: string
  points: Array<[number, number]>
  color: string
  /** Hold each value until the next point (bitrate choices, throughput periods). */
  step?: boolean
}

export interface LineChartOptions {
  title: string
  width?: number
  height?: number
  xLabel: string
  yLabel: string
  series: Series[]
  xMax?: number
  yMax?: number
  /** Use yMax as the axis top as given instead of rounding it up (the buffer plot's axis is the buffer cap). */
  yExact?: boolean
  /** Shaded x intervals (stalls). */
  shade?: Array<[number, number]>
  /** Draw y values as (v / yScale) on the axis labels. */
  yScale?: number
}

export function lineChart(o: LineChartOptions): string {
  const W = o.width ?? 720
  const H = o.height ?? 180
  const m = { l: 56, r: 12, t: 22, b: 34 }
  const pw = W - m.l - m.r
  const ph = H - m.t - m.b
  const all = o.series.flatMap((s) => s.points)
  const xMax = o.xMax ?? Math.max(1, ...all.map((p) => p[0]))
  const yMax = o.yExact && o.yMax && o.yMax > 0 ? o.yMax : niceMax(o.yMax ?? Math.max(0, ...all.map((p) => p[1])))
  const X = (x: number) => m.l + (x / xMax) * pw
  const Y = (y: number) => m.t + ph - (Math.max(0, Math.min(y, yMax)) / yMax) * ph
  const scale = o.yScale ?? 1
  const parts: string[] = [
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeXml(o.title)}">`,
  ]
  parts.push(`<text x="${m.l}" y="14" font-size="12" font-weight="bold">${escapeXml(o.title)}</text>`)
  for (const [a, b] of o.shade ?? [])
    parts.push(`<rect class="stall" x="${X(a).toFixed(1)}" y="${m.t}" width="${Math.max(1, X(b) - X(a)).toFixed(1)}" height="${ph}" fill="#f4c7c3"/>`)
  for (let k = 0; k <= 4; k++) {
    const v = (yMax * k) / 4
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${Y(v).toFixed(1)}" y2="${Y(v).toFixed(1)}" stroke="#ddd"/>`)
    parts.push(`<text x="${m.l - 4}" y="${(Y(v) + 4).toFixed(1)}" font-size="10" text-anchor="end">${fmt(v / scale)}</text>`)
    const xv = (xMax * k) / 4
    parts.push(`<text x="${X(xv).toFixed(1)}" y="${m.t + ph + 14}" font-size="10" text-anchor="middle">${fmt(xv)}</text>`)
  }
  parts.push(`<text x="${m.l + pw / 2}" y="${H - 4}" font-size="10" text-anchor="middle">${escapeXml(o.xLabel)}</text>`)
  parts.push(`<text x="12" y="${m.t + ph / 2}" font-size="10" text-anchor="middle" transform="rotate(-90 12 ${m.t + ph / 2})">${escapeXml(o.yLabel)}</text>`)
  for (const s of o.series) {
    const d: string[] = []
    s.points.forEach(([x, y], i) => {
      if (i === 0) d.push(`M${X(x).toFixed(1)},${Y(y).toFixed(1)}`)
      else {
        if (s.step) d.push(`H${X(x).toFixed(1)}`)
        d.push(`L${X(x).toFixed(1)},${Y(y).toFixed(1)}`)
      }
    })
    parts.push(`<path class="series" d="${d.join('')}" fill="none" stroke="${s.color}" stroke-width="1.5"><title>${escapeXml(s.label)}</title></path>`)
  }
  o.series.forEach((s, i) => {
    const lx = m.l + pw - 150
    const ly = m.t + 10 + i * 12
    parts.push(
      `<rect x="${lx}" y="${ly - 8}" width="10" height="3" fill="${s.color}"/><text x="${lx + 14}" y="${ly - 4}" font-size="10">${escapeXml(s.label)}</text>`,
    )
  })
  parts.push('</svg>')
  return parts.join('')
}

export interface BoxGroup {
  label: string
  p5: number
  p50: number
  p95: number
  mean: number
}

/** Horizontal p5–p95 whiskers with the median as a box edge pair and the mean as a dot. */
export function boxPlot(o: { title: string; groups: BoxGroup[]; xLabel: string; width?: number }): string {
  const W = o.width ?? 720
  const rowH = 22
  const m = { l: 110, r: 16, t: 24, b: 34 }
  const H = m.t + m.b + o.groups.length * rowH
  const lo = Math.min(0, ...o.groups.map((g) => g.p5))
  const hi = Math.max(...o.groups.map((g) => g.p95), lo + 1e-9)
  const span = hi - lo || 1
  const X = (v: number) => m.l + ((v - lo) / span) * (W - m.l - m.r)
  const parts: string[] = [
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeXml(o.title)}">`,
  ]
  parts.push(`<text x="${m.l}" y="14" font-size="12" font-weight="bold">${escapeXml(o.title)}</text>`)
  for (let k = 0; k <= 4; k++) {
    const v = lo + (span * k) / 4
    parts.push(
      `<line x1="${X(v).toFixed(1)}" x2="${X(v).toFixed(1)}" y1="${m.t}" y2="${H - m.b}" stroke="#eee"/><text x="${X(v).toFixed(1)}" y="${H - m.b + 14}" font-size="10" text-anchor="middle">${fmt(v)}</text>`,
    )
  }
  if (lo < 0) parts.push(`<line x1="${X(0).toFixed(1)}" x2="${X(0).toFixed(1)}" y1="${m.t}" y2="${H - m.b}" stroke="#999"/>`)
  o.groups.forEach((g, i) => {
    const y = m.t + i * rowH + rowH / 2
    const color = PALETTE[i % PALETTE.length]
    parts.push(`<text x="${m.l - 6}" y="${y + 4}" font-size="11" text-anchor="end">${escapeXml(g.label)}</text>`)
    parts.push(`<line class="whisker" x1="${X(g.p5).toFixed(1)}" x2="${X(g.p95).toFixed(1)}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2"/>`)
    parts.push(`<rect x="${(X(g.p50) - 2).toFixed(1)}" y="${y - 7}" width="4" height="14" fill="${color}"/>`)
    parts.push(
      `<circle cx="${X(g.mean).toFixed(1)}" cy="${y}" r="3.5" fill="#fff" stroke="${color}"><title>mean ${fmt(g.mean)}, p5 ${fmt(g.p5)}, p50 ${fmt(g.p50)}, p95 ${fmt(g.p95)}</title></circle>`,
    )
  })
  parts.push(`<text x="${m.l + (W - m.l - m.r) / 2}" y="${H - 4}" font-size="10" text-anchor="middle">${escapeXml(o.xLabel)}</text></svg>`)
  return parts.join('')
}

/** Colour k of a chart: the palette, then evenly spaced hues, so a ladder of any length gets distinct colours. */
export function colourOf(k: number, count: number): string {
  if (count <= PALETTE.length) return PALETTE[k]!
  return `hsl(${Math.round((k * 360) / count)},65%,${k % 2 ? 38 : 55}%)`
}

/** One horizontal bar per row, split by share (each row's shares sum to 1); the legend wraps so every entry shows. */
export function stackedBars(o: { title: string; rows: Array<{ label: string; shares: number[] }>; legend: string[]; width?: number }): string {
  const W = o.width ?? 720
  const rowH = 20
  const itemW = 100
  const perLine = Math.max(1, Math.floor((W - 16 - 8) / itemW))
  const legendLines = Math.ceil(o.legend.length / perLine)
  const m = { l: 110, r: 16, t: 24, b: 14 + legendLines * 14 }
  const H = m.t + m.b + o.rows.length * rowH
  const pw = W - m.l - m.r
  const n = Math.max(o.legend.length, ...o.rows.map((r) => r.shares.length))
  const parts: string[] = [
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeXml(o.title)}">`,
  ]
  parts.push(`<text x="${m.l}" y="14" font-size="12" font-weight="bold">${escapeXml(o.title)}</text>`)
  o.rows.forEach((r, i) => {
    const y = m.t + i * rowH
    parts.push(`<text x="${m.l - 6}" y="${y + 14}" font-size="11" text-anchor="end">${escapeXml(r.label)}</text>`)
    let x = m.l
    r.shares.forEach((s, k) => {
      const w = s * pw
      if (w > 0)
        parts.push(
          `<rect x="${x.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${colourOf(k, n)}"><title>${escapeXml(o.legend[k] ?? '')}: ${(s * 100).toFixed(1)}%</title></rect>`,
        )
      x += w
    })
  })
  const legendTop = m.t + o.rows.length * rowH + 8
  o.legend.forEach((l, k) => {
    const x = 8 + (k % perLine) * itemW
    const y = legendTop + Math.floor(k / perLine) * 14
    parts.push(
      `<rect class="legend" x="${x}" y="${y}" width="10" height="10" fill="${colourOf(k, n)}"/><text x="${x + 14}" y="${y + 9}" font-size="10">${escapeXml(l)}</text>`,
    )
  })
  parts.push('</svg>')
  return parts.join('')
}
