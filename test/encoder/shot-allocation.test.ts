import t from 'tap'
import {
  allocateAtSlope,
  allocateForBitrate,
  allocateForQuality,
  allocateWithPeak,
  pickAtSlope,
  type ShotCurve,
  type ShotPoint,
} from '../../encoder/ladder/shot-allocation.js'

const pt = (kbps: number, quality: number, crf: number): ShotPoint => ({ width: 640, height: 360, bitrate: kbps * 1000, quality, crf })

// An easy shot and a hard one, 1 s each (by hand):
//   easy: 100k→80, 200k→90, 400k→94     slopes 1e-4, 2e-5 (VMAF per bit/s)
//   hard: 200k→60, 400k→75, 800k→85     slopes 7.5e-5, 2.5e-5
// λ in (7.5e-5, 1e-4): easy@200k, hard@200k → mean 200k
// λ in (2.5e-5, 7.5e-5): easy@200k, hard@400k → mean 300k, quality (90+75)/2 = 82.5
// λ in (2e-5, 2.5e-5):  easy@200k, hard@800k → mean 500k
// λ < 2e-5:             easy@400k, hard@800k → mean 600k
const easy: ShotCurve = { duration: 1, points: [pt(400, 94, 20), pt(100, 80, 32), pt(200, 90, 26), pt(150, 70, 29)] }
const hard: ShotCurve = { duration: 1, points: [pt(200, 60, 32), pt(400, 75, 26), pt(800, 85, 20)] }

t.test('pickAtSlope takes the hull vertex whose neighbouring slopes bracket λ', async (t) => {
  const hull = [pt(100, 80, 32), pt(200, 90, 26), pt(400, 94, 20)]
  t.equal(pickAtSlope(hull, 5e-5).crf, 26)
  t.equal(pickAtSlope(hull, 2e-4).crf, 32, 'steeper than every segment: the cheapest')
  t.equal(pickAtSlope(hull, 0).crf, 20, 'λ = 0: the best')
  t.equal(pickAtSlope(hull, 1e-4).crf, 32, 'a tie goes to the cheaper point')
})

t.test('one common slope: the budget goes to the shot where bits buy the most', async (t) => {
  t.same(
    allocateAtSlope([easy, hard], 5e-5).picks.map((p) => p.crf),
    [26, 26],
  )
  const a = allocateForBitrate([easy, hard], 400_000)
  t.same(
    a.picks.map((p) => p.bitrate),
    [200_000, 400_000],
    'easy@200k, hard@400k',
  )
  t.equal(a.bitrate, 300_000, 'the best that fits 400k: 500k would be next')
  t.equal(a.quality, 82.5)
  t.ok(a.lambda > 2.5e-5 && a.lambda <= 7.5e-5 * (1 + 1e-6), `λ ${a.lambda} inside (2.5e-5, 7.5e-5]`)
  t.ok(a.feasible)
  // a budget both best points fit gives both best points
  t.same(
    allocateForBitrate([easy, hard], 600_000).picks.map((p) => p.crf),
    [20, 20],
  )
  // the 150k point (quality 70) is under the hull: never chosen
  t.ok([50_000, 200_000, 300_000, 500_000].every((b) => allocateForBitrate([easy, hard], b).picks[0]!.bitrate !== 150_000))
  const poor = allocateForBitrate([easy, hard], 50_000)
  t.equal(poor.feasible, false, 'even the cheapest points need 150k')
  t.same(
    poor.picks.map((p) => p.bitrate),
    [100_000, 200_000],
  )
})

t.test('durations weigh the budget: a long easy shot and a short hard one', async (t) => {
  // easy 3 s, hard 1 s. Means at each λ band: (3·200 + 200)/4 = 200k, (3·200 + 400)/4 = 250k,
  // (3·200 + 800)/4 = 350k, (3·400 + 800)/4 = 500k. A 360k budget: easy@200k, hard@800k.
  const a = allocateForBitrate([{ ...easy, duration: 3 }, hard], 360_000)
  t.same(
    a.picks.map((p) => p.bitrate),
    [200_000, 800_000],
  )
  t.equal(a.bitrate, 350_000)
  t.equal(a.quality, (3 * 90 + 85) / 4)
})

t.test('target quality: the fewest bits that reach it', async (t) => {
  // quality per λ band: 75 (200k), 82.5 (300k), 87.5 (500k), 89.5 (600k)
  const a = allocateForQuality([easy, hard], 85)
  t.same(
    a.picks.map((p) => p.bitrate),
    [200_000, 800_000],
  )
  t.equal(a.quality, 87.5)
  t.equal(allocateForQuality([easy, hard], 70).bitrate, 150_000, 'cheapest points already reach 70: (80+60)/2')
  const out = allocateForQuality([easy, hard], 95)
  t.equal(out.feasible, false)
  t.equal(out.quality, 89.5, 'out of reach: every shot at its best')
  t.throws(() => allocateForBitrate([], 1), RangeError)
  t.throws(() => allocateForQuality([{ duration: 1, points: [] }], 1), RangeError)
})

t.test('a peak limit keeps every shot within peakRatio × the mean rate', async (t) => {
  // unlimited at 600k: easy@400k, hard@800k, mean 600k, peak 800k = 1.33× the mean
  t.same(
    allocateWithPeak([easy, hard], 600_000, 2).picks.map((p) => p.bitrate),
    [400_000, 800_000],
    'within 2×: unchanged',
  )
  // at 1.2×: the cap is 720k, hard drops to ≤ 720k (its 400k point); the redo at λ = 0 gives
  // easy@400k, hard@400k, mean 400k: the cap is now 480k and both are within it
  const a = allocateWithPeak([easy, hard], 600_000, 1.2)
  t.same(
    a.picks.map((p) => p.bitrate),
    [400_000, 400_000],
  )
  t.equal(a.bitrate, 400_000)
  // a shot whose cheapest point is over the cap keeps that point
  const b = allocateWithPeak(
    [
      { duration: 1, points: [pt(100, 80, 30)] },
      { duration: 1, points: [pt(1000, 60, 30)] },
    ],
    1_000_000,
    1.2,
  )
  t.same(
    b.picks.map((p) => p.bitrate),
    [100_000, 1_000_000],
  )
})

t.test("spanQuality: a chunk is predicted from the shots it overlaps, weighted by overlap, at the rung's rate", async (t) => {
  const { spanQuality } = await import('../../encoder/ladder/shot-probe.js')
  const pt = (height: number, crf: number, bitrate: number, quality: number): ShotPoint => ({ width: height * 2, height, crf, bitrate, quality })
  // an easy shot (frames 0–99) and a hard one (100–199), each probed at CRF 20 and 30 at 180p; 360p only for the easy one
  const curves: ShotCurve[] = [
    { duration: 4, points: [pt(180, 20, 200_000, 90), pt(180, 30, 100_000, 80), pt(360, 20, 400_000, 95)] },
    { duration: 4, points: [pt(180, 20, 1_000_000, 70), pt(180, 30, 500_000, 50)] },
  ]
  const shots = [
    { startFrame: 0, frames: 100 },
    { startFrame: 100, frames: 100 },
  ]
  // frames 50–149: half of each shot. CRF 30: 300k / 65, CRF 20: 600k / 80. At 450k: 65 + 15 × 150/300 = 72.5
  t.equal(spanQuality(curves, shots, { startFrame: 50, frames: 100 }, 180, 450_000), 72.5)
  // frames 0–99: the easy shot alone, between its points: 80 + 10 × 50/100
  t.equal(spanQuality(curves, shots, { startFrame: 0, frames: 100 }, 180, 150_000), 85)
  // frames 0–149: weights 100:50. CRF 30: (2×100k + 500k)/3 = 233 333 → (2×80 + 50)/3 = 70; below the cheapest point the hull is clamped
  t.equal(spanQuality(curves, shots, { startFrame: 0, frames: 150 }, 180, 100_000), 70)
  t.equal(spanQuality(curves, shots, { startFrame: 150, frames: 50 }, 360, 400_000), null, 'no probe of the hard shot at 360p: no prediction')
})
