/**
 * Bjøntegaard delta rate and delta quality (G. Bjøntegaard, "Calculation of
 * average PSNR differences between RD-curves", VCEG-M33, 2001), computed as
 * current practice does: the JCT-VC/JVET common test conditions (JCTVC-L1100,
 * JVET-T2010) replaced VCEG-M33's single cubic polynomial fit with piecewise
 * cubic Hermite interpolation (PCHIP, Fritsch–Carlson monotone slopes), which
 * never overshoots between points. Each curve is interpolated, both are
 * integrated over the range where they overlap, and the mean gap is reported:
 *
 * - BD-rate: log10(rate) as a function of quality; the mean log gap over the
 *   common quality range, as a percentage: 10^gap − 1. Negative = the test
 *   curve needs fewer bits for the same quality.
 * - BD-quality (BD-PSNR, BD-VMAF): quality as a function of log10(rate); the
 *   mean quality gap over the common log-rate range.
 *
 * Pure functions only.
 */

export interface RatePoint {
  /** bit/s (any unit: only ratios matter) */
  rate: number
  quality: number
}

/** A piecewise cubic Hermite interpolant: knots x (strictly increasing), values y, slopes d. */
export interface Pchip {
  x: number[]
  y: number[]
  d: number[]
}

/**
 * End slope of the three-point, shape-preserving formula (as MATLAB's pchip,
 * SciPy's PchipInterpolator and the JCT-VC spreadsheet use): a one-sided
 * quadratic estimate, zeroed when its sign disagrees with the first secant,
 * limited to 3× that secant where the data turns.
 */
function endSlope(h1: number, h2: number, del1: number, del2: number): number {
  const d = ((2 * h1 + h2) * del1 - h1 * del2) / (h1 + h2)
  if (Math.sign(d) !== Math.sign(del1)) return 0
  if (Math.sign(del1) !== Math.sign(del2) && Math.abs(d) > Math.abs(3 * del1)) return 3 * del1
  return d
}

/** Fritsch–Carlson PCHIP through (x, y); x must be strictly increasing, at least 2 points. */
export function pchip(x: readonly number[], y: readonly number[]): Pchip {
  const n = x.length
  if (n < 2 || y.length !== n) throw new RangeError('pchip needs at least 2 points and as many y as x')
  for (let i = 1; i < n; i++) if (!(x[i]! > x[i - 1]!)) throw new RangeError('pchip: x must be strictly increasing')
  const h = Array.from({ length: n - 1 }, (_, i) => x[i + 1]! - x[i]!)
  const del = h.map((hi, i) => (y[i + 1]! - y[i]!) / hi)
  if (n === 2) return { x: [...x], y: [...y], d: [del[0]!, del[0]!] }
  const d = new Array<number>(n).fill(0)
  for (let k = 1; k < n - 1; k++) {
    const a = del[k - 1]!
    const b = del[k]!
    if (a * b <= 0) continue // a local extremum: flat, so the curve does not overshoot
    // weighted harmonic mean of the neighbouring secants (Fritsch & Butland 1984)
    const w1 = 2 * h[k]! + h[k - 1]!
    const w2 = h[k]! + 2 * h[k - 1]!
    d[k] = (w1 + w2) / (w1 / a + w2 / b)
  }
  d[0] = endSlope(h[0]!, h[1]!, del[0]!, del[1]!)
  d[n - 1] = endSlope(h[n - 2]!, h[n - 3]!, del[n - 2]!, del[n - 3]!)
  return { x: [...x], y: [...y], d }
}

/** Value of the interpolant at x (clamped to its knots' range). */
export function pchipAt(p: Pchip, at: number): number {
  const n = p.x.length
  const xv = Math.min(p.x[n - 1]!, Math.max(p.x[0]!, at))
  let k = 0
  while (k < n - 2 && xv > p.x[k + 1]!) k++
  const h = p.x[k + 1]! - p.x[k]!
  const t = (xv - p.x[k]!) / h
  const t2 = t * t
  const t3 = t2 * t
  return (2 * t3 - 3 * t2 + 1) * p.y[k]! + (t3 - 2 * t2 + t) * h * p.d[k]! + (-2 * t3 + 3 * t2) * p.y[k + 1]! + (t3 - t2) * h * p.d[k + 1]!
}

/** ∫ from the start of interval k to s·h into it, of the Hermite cubic (antiderivatives of the basis functions). */
function partialIntegral(p: Pchip, k: number, s: number): number {
  const h = p.x[k + 1]! - p.x[k]!
  const s2 = s * s
  const s3 = s2 * s
  const s4 = s3 * s
  const H00 = s - s3 + s4 / 2
  const H10 = s2 / 2 - (2 * s3) / 3 + s4 / 4
  const H01 = s3 - s4 / 2
  const H11 = s4 / 4 - s3 / 3
  return h * (H00 * p.y[k]! + H10 * h * p.d[k]! + H01 * p.y[k + 1]! + H11 * h * p.d[k + 1]!)
}

/** ∫_a^b of the interpolant, a ≤ b inside the knots' range. */
export function pchipIntegral(p: Pchip, a: number, b: number): number {
  const n = p.x.length
  const F = (v: number): number => {
    // antiderivative from x[0] to v
    let sum = 0
    let k = 0
    while (k < n - 2 && v > p.x[k + 1]!) {
      sum += partialIntegral(p, k, 1)
      k++
    }
    return sum + partialIntegral(p, k, (v - p.x[k]!) / (p.x[k + 1]! - p.x[k]!))
  }
  return F(b) - F(a)
}

/**
 * The points a curve is drawn through: sorted by rate, keeping only points
 * that raise the quality (a point with more bits and no more quality is
 * dominated: no encoder would choose it, and the interpolation needs a
 * strictly monotone curve).
 */
export function monotoneCurve(points: readonly RatePoint[]): RatePoint[] {
  const sorted = points
    .filter((p) => p.rate > 0 && Number.isFinite(p.rate) && Number.isFinite(p.quality))
    .sort((a, b) => a.rate - b.rate || b.quality - a.quality)
  const out: RatePoint[] = []
  for (const p of sorted) {
    const last = out[out.length - 1]
    if (last && (p.rate === last.rate || p.quality <= last.quality)) continue
    out.push(p)
  }
  return out
}

export interface BdResult {
  /** percent; negative = the test needs fewer bits at the same quality. null when the curves do not overlap in quality. */
  bdRate: number | null
  /** quality units; positive = the test is better at the same rate. null when the curves do not overlap in rate. */
  bdQuality: number | null
  /** the common quality range the BD-rate averages over */
  qualityRange: [number, number] | null
  /** the common rate range the BD-quality averages over (bit/s) */
  rateRange: [number, number] | null
  /** points each curve kept (dominated points are dropped) */
  anchorPoints: number
  testPoints: number
}

/**
 * BD-rate and BD-quality of `test` against `anchor`. Each curve needs at
 * least two non-dominated points; where the curves do not overlap on an axis
 * the corresponding figure is null rather than an extrapolation.
 */
export function bjontegaard(anchor: readonly RatePoint[], test: readonly RatePoint[]): BdResult {
  const A = monotoneCurve(anchor)
  const T = monotoneCurve(test)
  const res: BdResult = { bdRate: null, bdQuality: null, qualityRange: null, rateRange: null, anchorPoints: A.length, testPoints: T.length }
  if (A.length < 2 || T.length < 2) return res
  const qLo = Math.max(A[0]!.quality, T[0]!.quality)
  const qHi = Math.min(A[A.length - 1]!.quality, T[T.length - 1]!.quality)
  if (qHi > qLo) {
    const ia = pchip(
      A.map((p) => p.quality),
      A.map((p) => Math.log10(p.rate)),
    )
    const it = pchip(
      T.map((p) => p.quality),
      T.map((p) => Math.log10(p.rate)),
    )
    const gap = (pchipIntegral(it, qLo, qHi) - pchipIntegral(ia, qLo, qHi)) / (qHi - qLo)
    res.bdRate = (10 ** gap - 1) * 100
    res.qualityRange = [qLo, qHi]
  }
  const rLo = Math.max(Math.log10(A[0]!.rate), Math.log10(T[0]!.rate))
  const rHi = Math.min(Math.log10(A[A.length - 1]!.rate), Math.log10(T[T.length - 1]!.rate))
  if (rHi > rLo) {
    const ia = pchip(
      A.map((p) => Math.log10(p.rate)),
      A.map((p) => p.quality),
    )
    const it = pchip(
      T.map((p) => Math.log10(p.rate)),
      T.map((p) => p.quality),
    )
    res.bdQuality = (pchipIntegral(it, rLo, rHi) - pchipIntegral(ia, rLo, rHi)) / (rHi - rLo)
    res.rateRange = [10 ** rLo, 10 ** rHi]
  }
  return res
}
