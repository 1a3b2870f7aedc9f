import t from 'tap'
import { seededRandom } from '../../lib/random.js'
import { stepTrace } from '../../sim/trace/generators.js'
import { Trace, traceFromPeriods } from '../../sim/trace/trace.js'

t.test('a download spanning two periods finishes when its last byte is through', async (t) => {
  // 0–10 s at 1 Mbit/s (125 kB/s), then 4 Mbit/s (500 kB/s).
  const tr = stepTrace([1000, 4000], 10)
  // From 8 s: 2 s × 125 kB = 250 kB by 10 s, the other 750 kB take 1.5 s more.
  t.equal(tr.downloadFinishTime(8, 1_000_000), 11.5)
  t.equal(tr.downloadFinishTime(0, 125_000), 1)
  t.equal(tr.bytesBefore(12), 1_250_000 + 1_000_000)
})

t.test('traces loop when the session outlasts them', async (t) => {
  const tr = stepTrace([1000, 4000], 10) // 6.25 MB per 20 s loop
  t.equal(tr.bytesPerLoop, 6_250_000)
  t.equal(tr.timeForBytes(6_250_000 + 125_000), 21)
  // From 18 s: 1 MB at 500 kB/s until 20 s, then the loop starts again at 1 Mbit/s.
  t.equal(tr.downloadFinishTime(18, 1_000_000), 20)
  t.equal(tr.downloadFinishTime(18, 1_125_000), 21)
  t.equal(tr.downloadFinishTime(45, 125_000), 46)
})

t.test('zero-throughput periods are waited out exactly', async (t) => {
  const tr = traceFromPeriods('gap', [2, 3, 5], [8e6, 0, 8e6]) // 1 MB/s, nothing, 1 MB/s
  t.equal(tr.downloadFinishTime(1, 1_500_000), 5.5)
  t.equal(tr.fractionBelow(1), 0.3)
  t.equal(tr.meanThroughput, 8e6 * 0.7)
})

t.test('bytesBefore and timeForBytes are inverses on a ragged trace', async (t) => {
  const tr = traceFromPeriods('ragged', [0.3, 1.7, 0.01, 5, 2.2], [3e5, 9e6, 1e6, 0, 2.5e6])
  for (const x of [0, 0.1, 0.3, 1.99, 2.005, 3, 8.5, 9.2, 23.7, 100.01]) {
    const b = tr.bytesBefore(x)
    if (tr.throughputAt(x) > 0) t.ok(Math.abs(tr.timeForBytes(b) - x) < 1e-9, `inverse at ${x}`)
  }
})

t.test('a trace that never delivers a byte is rejected', async (t) => {
  t.throws(() => traceFromPeriods('dead', [1, 2], [0, 0]), { code: 'OCLAB_ERR_BAD_TRACE', message: /never delivers/ })
  t.throws(() => new Trace('empty', new Float64Array(0), new Float64Array(0), 1), { code: 'OCLAB_ERR_BAD_TRACE' })
})

t.test('period lookups give the same answer from any previous position (the hint only speeds them up)', async (t) => {
  // 400 ragged periods, some at zero rate, queried forward, backward, far ahead and across loops, against a
  // linear scan of the same piecewise-constant link.
  const rnd = seededRandom(7)
  const durs: number[] = []
  const rates: number[] = []
  for (let i = 0; i < 400; i++) {
    durs.push(0.01 + rnd() * 2)
    rates.push(rnd() < 0.1 ? 0 : 1e5 + rnd() * 1e7)
  }
  const tr = traceFromPeriods('ragged-400', durs, rates)
  const loop = tr.duration
  const scanBytes = (x: number): number => {
    const loops = Math.floor(x / loop)
    let local = x - loops * loop
    let b = loops * tr.bytesPerLoop
    for (let i = 0; i < durs.length && local > 0; i++) {
      const d = Math.min(local, durs[i]!)
      b += (d * rates[i]!) / 8
      local -= d
    }
    return b
  }
  let worst = 0
  let worstInverse = 0
  for (let q = 0; q < 2000; q++) {
    const r = rnd()
    // Mostly small steps from the last query (as a session moves), sometimes far or back.
    const x = r < 0.6 ? (q * 0.37) % (3 * loop) : r < 0.8 ? rnd() * 3 * loop : rnd() * 5
    const b = tr.bytesBefore(x)
    worst = Math.max(worst, Math.abs(b - scanBytes(x)) / Math.max(1, b))
    if (tr.throughputAt(x) > 0) worstInverse = Math.max(worstInverse, Math.abs(tr.timeForBytes(b) - x))
  }
  t.ok(worst < 1e-9, `bytesBefore matches a linear scan (worst relative error ${worst})`)
  t.ok(worstInverse < 1e-6, `timeForBytes inverts bytesBefore (worst ${worstInverse} s)`)
})
