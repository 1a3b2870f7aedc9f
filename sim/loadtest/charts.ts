/**
 * Inline SVG charts for the self-contained HTML reports (load and demo): pure
 * functions from numbers to markup, no scripts, no external assets.
 */
export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

const num = (x: number): string => (Math.abs(x) >= 100 || Number.isInteger(x) ? x.toFixed(0) : x < 10 ? x.toFixed(2) : x.toFixed(1))

/** Bars of a value per label. */
export function bars(title: string, rows: Array<[string, number]>, unit: string): string {
  const max = Math.max(1e-9, ...rows.map(([, v]) => v))
  const h = 22
  const body = rows
    .map(
      ([label, v], i) =>
        `<text x="0" y="${i * h + 15}" font-size="12">${esc(label)}</text><rect x="190" y="${i * h + 4}" width="${(v / max) * 360}" height="14" fill="#3a7bd5"/><text x="${196 + (v / max) * 360}" y="${i * h + 15}" font-size="12">${v < 10 ? v.toFixed(2) : v.toFixed(1)} ${esc(unit)}</text>`,
    )
    .join('')
  return `<h3>${esc(title)}</h3><svg width="640" height="${rows.length * h + 6}" role="img">${body}</svg>`
}

/** A linear map from `domain` onto `range`; a zero-width domain maps to the range's start. */
export function scaleLinear([d0, d1]: [number, number], [r0, r1]: [number, number]): (x: number) => number {
  const span = d1 - d0
  return (x) => (span === 0 ? r0 : r0 + ((x - d0) / span) * (r1 - r0))
}

/** Polyline path data; a null or NaN y ends the segment, so gaps in the data show as gaps. */
export function linePath(points: ReadonlyArray<readonly [number, number | null]>, sx: (x: number) => number, sy: (y: number) => number): string {
  let d = ''
  let pen = false
  for (const [x, y] of points) {
    if (y === null || !Number.isFinite(y) || !Number.isFinite(x)) {
      pen = false
      continue
    }
    d += `${pen ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`
    pen = true
  }
  return d
}

export interface Series {
  name: string
  color?: string
  points: ReadonlyArray<readonly [number, number | null]>
}

export interface Marker {
  x: number
  label: string
}

export interface LineChartOptions {
  title: string
  unit: string
  series: Series[]
  /** vertical lines with a label (faults) */
  markers?: Marker[]
  /** default 640 × 200 */
  width?: number
  height?: number
  xLabel?: string
}

const PALETTE = ['#3a7bd5', '#d5533a', '#2a9d4b', '#8e44ad']
const M = { left: 52, right: 12, top: 22, bottom: 28 }

/** The box charts draw into, inside the margins (exported for tests). */
export const plotBox = (width = 640, height = 200) => ({ x0: M.left, x1: width - M.right, y0: M.top, y1: height - M.bottom })

/** A time-series chart: y from 0 to the largest value, x over the data and markers. */
export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 640
  const height = o.height ?? 200
  const box = plotBox(width, height)
  const ys = o.series.flatMap((s) => s.points.map(([, y]) => y)).filter((y): y is number => y !== null && Number.isFinite(y))
  const xs = [...o.series.flatMap((s) => s.points.map(([x]) => x)), ...(o.markers ?? []).map((m) => m.x)].filter(Number.isFinite)
  const head = `<h3>${esc(o.title)}</h3><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${esc(o.title)}" font-size="11" font-family="system-ui,sans-serif">`
  if (!ys.length || !xs.length) return `${head}<text x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="#888">no data</text></svg>`
  const xmin = Math.min(...xs)
  const xmax = Math.max(...xs)
  const ymax = Math.max(...ys) > 0 ? Math.max(...ys) * 1.05 : 1
  const sx = scaleLinear([xmin, xmax], [box.x0, box.x1])
  const sy = scaleLinear([0, ymax], [box.y1, box.y0])
  const parts: string[] = [head]
  parts.push(`<rect x="${box.x0}" y="${box.y0}" width="${box.x1 - box.x0}" height="${box.y1 - box.y0}" fill="none" stroke="#ccc"/>`)
  for (const f of [0, 0.5, 1]) {
    const y = sy(ymax * f)
    parts.push(
      `<line x1="${box.x0}" x2="${box.x1}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#eee"/><text x="${box.x0 - 4}" y="${(y + 4).toFixed(1)}" text-anchor="end">${num(ymax * f)}</text>`,
    )
  }
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const x = xmin + (xmax - xmin) * f
    parts.push(`<text x="${sx(x).toFixed(1)}" y="${box.y1 + 14}" text-anchor="middle">${num(x)}</text>`)
  }
  parts.push(
    `<text x="${box.x1}" y="${height - 2}" text-anchor="end" fill="#666">${esc(o.xLabel ?? 's')}</text><text x="4" y="12" fill="#666">${esc(o.unit)}</text>`,
  )
  for (const m of o.markers ?? []) {
    const x = sx(m.x).toFixed(1)
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${box.y0}" y2="${box.y1}" stroke="#c0392b" stroke-dasharray="4 3"/><text x="${x}" y="${box.y0 - 4}" text-anchor="middle" fill="#c0392b">${esc(m.label)}</text>`,
    )
  }
  o.series.forEach((s, i) => {
    const d = linePath(s.points, sx, sy)
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${s.color ?? PALETTE[i % PALETTE.length]}" stroke-width="1.5"><title>${esc(s.name)}</title></path>`)
  })
  if (o.series.length > 1) {
    for (const [i, s] of o.series.entries())
      parts.push(`<text x="${box.x1 - 4}" y="${box.y0 + 12 + i * 13}" text-anchor="end" fill="${s.color ?? PALETTE[i % PALETTE.length]}">${esc(s.name)}</text>`)
  }
  parts.push('</svg>')
  return parts.join('')
}
