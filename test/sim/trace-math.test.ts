import t from 'tap'
import { Trace, traceFromPeriods } from '../../sim/trace/trace.js'
import { stepTrace } from '../../sim/trace/generators.js'

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
