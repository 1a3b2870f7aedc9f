import t from 'tap'
import { generateTraceSet, markovOnOffTrace, randomWalkTrace } from '../../sim/trace/generators.js'

t.test('generators are deterministic for a seed and differ across seeds', async (t) => {
  const a = randomWalkTrace({ kbps: 3000, sigma: 0.3, step: 1, minKbps: 100, maxKbps: 20000, durationS: 300, seed: 7 })
  const b = randomWalkTrace({ kbps: 3000, sigma: 0.3, step: 1, minKbps: 100, maxKbps: 20000, durationS: 300, seed: 7 })
  const c = randomWalkTrace({ kbps: 3000, sigma: 0.3, step: 1, minKbps: 100, maxKbps: 20000, durationS: 300, seed: 8 })
  t.same([...a.rates], [...b.rates])
  t.not(a.bytesPerLoop, c.bytesPerLoop)
  t.ok(
    [...a.rates].every((r) => r * 8 >= 100e3 - 1e-6 && r * 8 <= 20000e3 + 1e-6),
    'clamped',
  )
  const m = markovOnOffTrace({ onKbps: 5000, offKbps: 200, meanOnS: 20, meanOffS: 4, durationS: 600, seed: 3 })
  t.equal(m.duration, 600)
  t.ok(
    [...m.rates].every((r) => r === 5000e3 / 8 || r === 200e3 / 8),
    'two states only',
  )
  t.same([...m.starts], [...markovOnOffTrace({ onKbps: 5000, offKbps: 200, meanOnS: 20, meanOffS: 4, durationS: 600, seed: 3 }).starts])
})

t.test('generator specs', async (t) => {
  t.equal(generateTraceSet('constant:kbps=3000').traces[0]?.meanThroughput, 3e6)
  const step = generateTraceSet('step:kbps=5000/1000,period=20').traces[0]!
  t.equal(step.duration, 40)
  t.equal(step.throughputAt(25), 1e6)
  const walks = generateTraceSet('walk:kbps=2000,count=4', 10)
  t.equal(walks.traces.length, 4)
  t.match(walks.traces[3]?.name, /seed=13/)
  t.equal(generateTraceSet('markov:count=2,seed=5').traces.length, 2)
  t.throws(() => generateTraceSet('constant:kbps=-1'), { code: 'OCLAB_ERR_BAD_TRACE', message: /kbps/ })
  t.throws(() => generateTraceSet('constant:kbps=10,speed=2'), { message: /unknown parameter\(s\) speed/ })
  t.throws(() => generateTraceSet('step:kbps=a/b'), { message: /kbps=/ })
  t.throws(() => generateTraceSet('walk:count=0'), { message: /count/ })
  t.throws(() => generateTraceSet('constant:kbps'), { message: /not key=value/ })
})
