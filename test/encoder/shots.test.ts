import { join } from 'node:path'
import t from 'tap'
import { inspectSource } from '../../encoder/inspect/inspect.js'
import { detectShots } from '../../encoder/ladder/shots.js'
import { generateSource, planShots, SHOT_KINDS } from '../../encoder/synthetic-source.js'
import { oclab } from '../helpers/cli.js'
import { tempDir } from '../helpers/package.js'

const starts = (s: Array<{ startFrame: number }>) => s.map((x) => x.startFrame)

t.test('detectShots: cuts, a fast pan, a flash, a long take (by hand, 10 fps)', async (t) => {
  // 60 frames: calm, a cut at 20, a pan (every frame differs by 0.35) from 20 to 40, a cut at 40
  const scores = Array.from({ length: 60 }, (_, i) => (i === 20 || i === 40 ? 0.9 : i > 20 && i < 40 ? 0.35 : 0.01))
  const shots = detectShots(scores, 10, { minShotSeconds: 1, maxShotSeconds: 100 })
  t.same(starts(shots), [0, 20, 40], 'the pan frames pass the threshold but not the jump over their neighbourhood')
  t.same(
    shots.map((s) => s.cut),
    ['start', 'scene', 'scene'],
  )
  t.same(
    shots.map((s) => s.frames),
    [20, 20, 20],
  )
  t.equal(shots[1]?.score, 0.9)
  t.same(shots[2]!, { startFrame: 40, frames: 20, start: 4, duration: 2, cut: 'scene', score: 0.9 })

  // a 3-frame flash at 30 inside a shot starting at 20: in at 0.8, out at 0.6; the flash joins
  // the shot after it across its weaker (0.6) boundary, so the cut at 30 stays and 33 goes
  const flash = Array.from({ length: 60 }, (_, i) => (i === 20 ? 0.9 : i === 30 ? 0.8 : i === 33 ? 0.6 : 0.01))
  t.same(starts(detectShots(flash, 10)), [0, 20, 30])
  // a flash right after a cut (one frame at 21) merges the other way: the shot keeps its cut at 20
  const early = Array.from({ length: 60 }, (_, i) => (i === 20 ? 0.9 : i === 21 ? 0.7 : 0.01))
  t.same(starts(detectShots(early, 10)), [0, 20])
  // a short first shot joins the second; a short last one joins the one before
  const ends = Array.from({ length: 60 }, (_, i) => (i === 3 || i === 55 ? 0.9 : i === 30 ? 0.8 : 0.01))
  t.same(starts(detectShots(ends, 10)), [0, 30])

  // a 25-frame take with a 1 s maximum: three near-equal parts, marked as splits
  const long = detectShots(new Array<number>(25).fill(0), 10, { maxShotSeconds: 1 })
  t.same(
    long.map((s) => [s.startFrame, s.frames, s.cut]),
    [
      [0, 8, 'start'],
      [8, 9, 'split'],
      [17, 8, 'split'],
    ],
  )
  t.same(detectShots([], 10), [])
})

t.test('planShots: deterministic for a seed, every kind, whole frames summing to the duration', async (t) => {
  const a = planShots(12, 25, 7)
  t.same(planShots(12, 25, 7), a, 'same seed, same plan')
  t.not(JSON.stringify(planShots(12, 25, 8)), JSON.stringify(a), 'another seed, another plan')
  t.same([...new Set(a.map((s) => s.kind))].sort(), [...SHOT_KINDS].sort(), 'each kind once per round')
  t.equal(
    a.reduce((s, x) => s + x.frames, 0),
    300,
  )
  t.ok(
    a.every((s) => s.frames >= 25),
    'no shot under 1 s (the detector would merge it)',
  )
  t.equal(planShots(60, 25, 1).length, 20, 'a long title repeats the rounds: about one shot per 3 s')
  t.equal(planShots(2, 25, 1).length, 2, 'a short one has fewer shots, none too short')
})

t.test('shot detection at ingest finds the known cuts of a multishot source', async (t) => {
  const dir = await tempDir(t)
  const out = join(dir, 'm.mp4')
  await generateSource({ kind: 'multishot', out, duration: 7, width: 320, height: 180, seed: 3, audio: false })
  const plan = planShots(7, 25, 3)
  const report = await inspectSource(out, { shots: true })
  t.same(starts(report.shots!), starts(plan), `cuts at ${starts(plan).join(', ')}`)
  t.equal(
    report.shots!.reduce((s, x) => s + x.frames, 0),
    report.video.frameCount,
    'the shots cover every frame',
  )
  const r = await oclab(['inspect', out, '--shots'])
  t.equal(r.code, 0, r.err)
  t.match(r.out, new RegExp(`shots\\s+${plan.length}`))
  t.match(r.out, new RegExp(`frame\\s+${plan[1]!.startFrame}\\s.*cut, score`))
})
