import t from 'tap'
import { bjontegaard, monotoneCurve, pchip, pchipAt, pchipIntegral } from '../../encoder/ladder/bd-rate.js'

t.test('pchip: slopes and integral by hand on a rise-plateau-fall', async (t) => {
  // secants 1, 0, -1: interior knots sit at turning points, so their slopes are 0;
  // end slopes from the three-point formula: ((2·1+1)·1 − 1·0)/2 = 1.5 and −1.5
  const p = pchip([0, 1, 2, 3], [0, 1, 1, 0])
  t.same(p.d, [1.5, 0, 0, -1.5])
  // ∫ over [0,1] = y0/2 + h·d0/12 + y1/2 − h·d1/12 = 0 + 0.125 + 0.5 − 0 = 0.625; [1,2] = 1; [2,3] = 0.625
  t.equal(pchipIntegral(p, 0, 3), 2.25)
  t.equal(pchipIntegral(p, 1, 2), 1)
  t.equal(pchipAt(p, 1.5), 1, 'flat between equal knots: no overshoot')
})

t.test('pchip matches SciPy PchipInterpolator (an independent implementation)', async (t) => {
  // reference: scipy 1.17.1, PchipInterpolator([1,2,4,5,7],[1,3,3.5,6,6.2])([1.5,3,4.5,6.9]) and .integrate(1.2, 6.5)
  const p = pchip([1, 2, 4, 5, 7], [1, 3, 3.5, 6, 6.2])
  const want = [2.26210585586, 3.24662162162, 4.78571428571, 6.19956785714]
  for (const [i, x] of [1.5, 3, 4.5, 6.9].entries()) t.ok(Math.abs(pchipAt(p, x) - want[i]!) < 1e-9, `p(${x}) = ${pchipAt(p, x)} ≈ ${want[i]}`)
  t.ok(Math.abs(pchipIntegral(p, 1.2, 6.5) - 22.3650928263) < 1e-9)
  t.throws(() => pchip([0, 0, 1], [1, 2, 3]), /strictly increasing/)
})

t.test('BD-rate on the bjontegaard package example (FAU-LMS/bjontegaard README data)', async (t) => {
  // x265 at two presets, kbit/s and PSNR dB, from the README of FAU-LMS/bjontegaard
  // (its PCHIP agrees with the JCT-VC/JVET CTC spreadsheet to 10 decimals). The
  // reference figures were computed with SciPy's PchipInterpolator as that package
  // does (log10 rate over PSNR, integrated over the common range):
  // BD-rate −4.4174853506 %, BD-PSNR 0.1196927854 dB.
  const anchor = [
    [9487.76, 40.037],
    [4593.6, 38.615],
    [2486.44, 36.845],
    [1358.24, 34.851],
  ].map(([rate, quality]) => ({ rate: rate!, quality: quality! }))
  const test = [
    [9787.8, 40.121],
    [4469.0, 38.651],
    [2451.52, 36.97],
    [1356.24, 34.987],
  ].map(([rate, quality]) => ({ rate: rate!, quality: quality! }))
  const r = bjontegaard(anchor, test)
  t.ok(Math.abs(r.bdRate! - -4.4174853506) < 1e-8, `BD-rate ${r.bdRate}`)
  t.ok(Math.abs(r.bdQuality! - 0.1196927854) < 1e-8, `BD-PSNR ${r.bdQuality}`)
  t.same(r.qualityRange, [34.987, 40.037])
})

t.test('BD-rate on VMAF-like ladders of different lengths and partial overlap, against SciPy', async (t) => {
  const a = [
    [300e3, 60.2],
    [600e3, 72.5],
    [1200e3, 83.1],
    [2400e3, 90.4],
    [4800e3, 94.0],
  ].map(([rate, quality]) => ({ rate: rate!, quality: quality! }))
  const b = [
    [250e3, 63.0],
    [500e3, 75.2],
    [900e3, 84.0],
    [1800e3, 91.5],
    [3000e3, 94.8],
  ].map(([rate, quality]) => ({ rate: rate!, quality: quality! }))
  const r = bjontegaard(a, b)
  t.ok(Math.abs(r.bdRate! - -30.838710076) < 1e-7, `BD-rate ${r.bdRate}`)
  t.ok(Math.abs(r.bdQuality! - 4.7339211763) < 1e-8, `BD-VMAF ${r.bdQuality}`)
})

t.test('BD figures by hand: half the bits everywhere is −50 %; a constant quality lift is that lift', async (t) => {
  const anchor = [
    { rate: 1000, quality: 30 },
    { rate: 2000, quality: 34 },
    { rate: 4000, quality: 37 },
    { rate: 8000, quality: 39 },
  ]
  const half = anchor.map((p) => ({ rate: p.rate / 2, quality: p.quality }))
  const r = bjontegaard(anchor, half)
  t.ok(Math.abs(r.bdRate! - -50) < 1e-9, `BD-rate ${r.bdRate}`)
  const lifted = anchor.map((p) => ({ rate: p.rate, quality: p.quality + 2 }))
  t.ok(Math.abs(bjontegaard(anchor, lifted).bdQuality! - 2) < 1e-9)
  t.equal(bjontegaard(anchor, anchor).bdRate, 0)
  t.equal(bjontegaard(anchor, anchor).bdQuality, 0)
  // swapping anchor and test inverts the rate ratio: 1/(1−0.5) − 1 = +100 %
  t.ok(Math.abs(bjontegaard(half, anchor).bdRate! - 100) < 1e-9)
})

t.test('no overlap gives null, never an extrapolation; dominated points are dropped', async (t) => {
  const low = [
    { rate: 100, quality: 20 },
    { rate: 200, quality: 30 },
  ]
  const high = [
    { rate: 1000, quality: 50 },
    { rate: 2000, quality: 60 },
  ]
  const r = bjontegaard(low, high)
  t.equal(r.bdRate, null)
  t.equal(r.bdQuality, null)
  t.same(
    monotoneCurve([
      { rate: 300, quality: 40 },
      { rate: 100, quality: 20 },
      { rate: 200, quality: 19 },
      { rate: 400, quality: 40 },
    ]),
    [
      { rate: 100, quality: 20 },
      { rate: 300, quality: 40 },
    ],
  )
  t.equal(bjontegaard([{ rate: 1, quality: 1 }], high).bdRate, null, 'one point is no curve')
})
