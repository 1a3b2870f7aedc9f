import t from 'tap'
import { bitrateForQuality, DEFAULT_VMAF_SELECTION, hullKnee, qualityAtBitrate, type RdPoint, selectRungs, upperConvexHull } from '../../encoder/ladder/hull.js'

const p = (height: number, kbps: number, quality: number): RdPoint => ({ width: Math.round((height * 16) / 9 / 2) * 2, height, bitrate: kbps * 1000, quality })

// Hand-made curves: 360p saturates early, 720p starts low and climbs higher.
const points: RdPoint[] = [
  p(360, 200, 50),
  p(360, 400, 65),
  p(360, 800, 72),
  p(360, 1600, 75),
  p(720, 400, 40),
  p(720, 800, 70),
  p(720, 1600, 85),
  p(720, 3200, 93),
  p(720, 6400, 95),
]

t.test('upper convex hull crosses resolutions and drops dominated points', async (t) => {
  const hull = upperConvexHull(points)
  // at 800k the 360p probe (72) beats the 720p one (70); above that 720p wins
  t.same(
    hull.map((h) => `${h.height}:${h.bitrate / 1000}`),
    ['360:200', '360:400', '360:800', '720:1600', '720:3200', '720:6400'],
  )
  // every hull segment has a falling slope (concavity)
  for (let i = 2; i < hull.length; i++) {
    const s1 = (hull[i - 1]!.quality - hull[i - 2]!.quality) / (hull[i - 1]!.bitrate - hull[i - 2]!.bitrate)
    const s2 = (hull[i]!.quality - hull[i - 1]!.quality) / (hull[i]!.bitrate - hull[i - 1]!.bitrate)
    t.ok(s2 < s1, `slope falls at ${i}`)
  }
})

t.test('a point under a chord is not on the hull; collinear points are dropped', async (t) => {
  const hull = upperConvexHull([p(360, 100, 10), p(360, 200, 15), p(360, 300, 32), p(540, 400, 41), p(540, 500, 50)])
  // (200,15) lies below the chord from (100,10) to (300,32); (400,41) is on the line from (300,32) to (500,50)
  t.same(
    hull.map((h) => h.bitrate / 1000),
    [100, 300, 500],
  )
})

t.test('the hull stops at its best quality', async (t) => {
  const hull = upperConvexHull([p(360, 100, 50), p(360, 200, 80), p(360, 400, 79)])
  t.same(
    hull.map((h) => h.bitrate / 1000),
    [100, 200],
  )
  t.same(upperConvexHull([]), [])
  t.same(upperConvexHull([p(360, 0, 50), p(360, NaN, 10)]), [], 'unusable points are ignored')
})

t.test('interpolation along the hull', async (t) => {
  const hull = upperConvexHull(points)
  // between (800k,72) at 360p and (1600k,85) at 720p: quality 80 is 8/13 of the way → 1292.3k, nearer 720p
  const at80 = bitrateForQuality(hull, 80)!
  t.equal(at80.bitrate, 1_292_308)
  t.equal(at80.height, 720)
  t.equal(bitrateForQuality(hull, 74)!.height, 360, 'nearer the 360p vertex')
  t.equal(bitrateForQuality(hull, 99), null, 'beyond the hull')
  t.equal(bitrateForQuality(hull, 10)!.bitrate, 200_000, 'below the hull: its cheapest point')
  // halfway between (200k,50) and (400k,65)
  t.equal(qualityAtBitrate(hull, 300_000)!.quality, 57.5)
  t.equal(qualityAtBitrate(hull, 100_000)!.quality, 50, 'clamped low')
  t.equal(qualityAtBitrate(hull, 10_000_000)!.quality, 95, 'clamped high')
})

t.test('rung selection: one JND apart, within bitrate bounds, top at the target', async (t) => {
  const hull = upperConvexHull(points)
  const rungs = selectRungs(hull, { ...DEFAULT_VMAF_SELECTION, targetQuality: 93, step: 6, minBitrate: 150_000, maxBitrate: 8_000_000, minQuality: 30 })
  // 93 down in steps of 6 until below the hull's cheapest point (50)
  t.same(
    rungs.map((r) => Math.round(r.quality)),
    [51, 57, 63, 69, 75, 81, 87, 93],
  )
  t.equal(rungs.at(-1)!.bitrate, 3_200_000, 'top rung is the cheapest point reaching 93')
  // 57 would fall at 293.3k, closer than 1.3× to the 373.3k rung above: it is
  // pushed down to 373.3k / 1.3 = 287.2k (quality 56.54 there), and the next
  // step aims at 50.54: 200k + 0.54/15 × 200k = 207.2k
  t.same(
    rungs.slice(0, 2).map((r) => r.bitrate),
    [207_179, 287_179],
  )
  for (let i = 1; i < rungs.length; i++) t.ok(rungs[i]!.bitrate >= rungs[i - 1]!.bitrate * 1.3 - 1, `rungs ${i - 1} and ${i} are at least 1.3× apart`)
  for (let i = 1; i < rungs.length; i++) t.ok(rungs[i]!.bitrate > rungs[i - 1]!.bitrate, 'rates rise')
  // the first two rungs fall on 360p's part of the hull
  t.equal(rungs[0]?.height, 360)
})

t.test('the top rung stops at the knee of the hull', async (t) => {
  // gains per doubling: 20, 10, then 1 (100 → 101 over 1.6M → 3.2M)
  const hull = upperConvexHull([p(720, 400, 70), p(720, 800, 90), p(720, 1600, 100), p(720, 3200, 101)])
  t.same(hullKnee(hull, 1.5), hull[2])
  const rungs = selectRungs(hull, { ...DEFAULT_VMAF_SELECTION, targetQuality: 101 })
  t.equal(rungs.at(-1)!.bitrate, 1_600_000, 'no rung past the knee even though the target is higher')
})

t.test('max bitrate caps the top rung; min bitrate ends the ladder', async (t) => {
  const hull = upperConvexHull(points)
  const capped = selectRungs(hull, { ...DEFAULT_VMAF_SELECTION, targetQuality: 95, maxBitrate: 1_600_000, minBitrate: 500_000 })
  t.equal(capped.at(-1)!.bitrate, 1_600_000)
  t.equal(Math.round(capped.at(-1)!.quality), 85)
  // 85, 79, 73, 67 VMAF; 61 would need 347k, under the 500k floor, and 500k is
  // closer than 1.3× to the 514k rung: the ladder ends there
  t.same(
    capped.map((r) => r.bitrate),
    [514_285, 861_538, 1_230_769, 1_600_000],
  )
  const floored = selectRungs(hull, { ...DEFAULT_VMAF_SELECTION, targetQuality: 72, minBitrate: 500_000 })
  t.same(
    floored.map((r) => r.bitrate),
    [500_000, 800_000],
    'a rung under the floor is raised to it',
  )
})

t.test('resolution never rises as the bitrate falls, even where the hull dips', async (t) => {
  // a noisy title: 270p beats 360p at the top (noise costs more at 360p), 360p wins in the middle
  const hull = upperConvexHull([p(180, 150, 50), p(360, 500, 70), p(360, 900, 78), p(270, 3000, 90)])
  t.same(
    hull.map((h) => h.height),
    [180, 360, 360, 270],
    'the hull itself dips',
  )
  const rungs = selectRungs(hull, { ...DEFAULT_VMAF_SELECTION, targetQuality: 90 })
  for (let i = 1; i < rungs.length; i++)
    t.ok(rungs[i]!.height >= rungs[i - 1]!.height, `rung ${i} (${rungs[i]!.height}p) is not shorter than rung ${i - 1} (${rungs[i - 1]!.height}p)`)
  t.equal(rungs.at(-1)!.height, 270)
  t.ok(
    rungs.slice(0, -1).every((r) => r.height <= 270),
    'the rungs below the 270p top are at most 270p',
  )
})

t.test('an easy title gets several rungs with the default selection', async (t) => {
  // the hull measured for the simple (animation-like) 640x360 source: VMAF 95 at 160 kbit/s.
  // With a 150 kbit/s floor its ladder was that one rung: the next, one JND down, fell under the floor.
  const hull = upperConvexHull(
    [p(180, 24.742, 11.497), p(180, 38.578, 53.119), p(180, 53.23, 68.387), p(360, 113.342, 90.955), p(360, 159.906, 94.892)].map((x) => ({
      ...x,
      bitrate: Math.round(x.bitrate),
    })),
  )
  const rungs = selectRungs(hull, DEFAULT_VMAF_SELECTION)
  t.ok(rungs.length >= 4, `${rungs.length} rungs: ${rungs.map((r) => `${r.height}p@${Math.round(r.bitrate / 1000)}k`).join(', ')}`)
  t.equal(rungs.at(-1)!.height, 360, 'the top rung is at the source resolution')
  t.ok(rungs.at(-1)!.bitrate < 170_000, 'at a low bitrate')
  t.equal(rungs[0]?.height, 180, 'and the bottom at a lower one')
})

t.test('where the hull is flat, rungs are placed at most maxStepRatio apart', async (t) => {
  // 360p gains only 6 VMAF from 100k to 1M: one JND below the 850k top rung (VMAF 95) is 98k, 8.7× down
  const hull = upperConvexHull([p(180, 50, 60), p(360, 100, 90), p(360, 1000, 96)])
  const rungs = selectRungs(hull, DEFAULT_VMAF_SELECTION)
  t.equal(rungs.at(-1)!.bitrate, 850_000)
  t.equal(rungs.at(-2)!.bitrate, Math.round(850_000 / 1.9), 'the next rung down sits at the 1.9× limit')
  for (let i = 1; i < rungs.length; i++) {
    const r = rungs[i]!.bitrate / rungs[i - 1]!.bitrate
    t.ok(r <= 1.9 + 1e-3 && r >= 1.3 - 1e-3, `rungs ${i - 1}→${i}: ${r.toFixed(2)}× apart`)
  }
})
