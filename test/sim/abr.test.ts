import t from 'tap'
import { syntheticLadder } from '../../sim/ladder.js'
import { Ewma, EwmaBandwidthEstimator } from '../../sim/abr/ewma.js'
import { ThroughputRule } from '../../sim/abr/throughput.js'
import { Bba } from '../../sim/abr/bba.js'
import { Bola, bolaParameters } from '../../sim/abr/bola.js'
import { Mpc, mpcExhaustive, MPC_DEFAULTS } from '../../sim/abr/mpc.js'
import { Dynamic } from '../../sim/abr/dynamic.js'
import { hlsAbandonRule } from '../../sim/abr/abandon.js'
import { seededRandom } from '../../lib/random.js'
import type { AbrState } from '../../sim/abr/types.js'

const close = (a: number, b: number, eps = 1e-9) => Math.abs(a - b) <= eps * Math.max(1, Math.abs(b))
const ladderOf = (kbps: number[], segments = 20) => syntheticLadder({ bitrates: kbps.map((k) => k * 1000), segmentDuration: 4, segments })
const state = (bufferLevel: number, lastRung: number, segmentIndex = 1): AbrState => ({ now: 0, bufferLevel, segmentIndex, lastRung, playing: true })
const sample = (bytes: number, duration: number, ttfb = 0) => ({ segmentIndex: 0, rung: 0, bytes, requestTime: 0, ttfb, duration })

t.test('EWMA: zero-start correction and half-life, by hand', async (t) => {
  const e = new Ewma(3)
  e.sample(2, 4e6)
  t.ok(close(e.getEstimate(), 4e6), 'one sample is the estimate whatever the weight')
  e.sample(2, 1e6)
  // a² = 0.5^(2/3); est = 1e6(1−a²) + a²·4e6(1−a²); corrected by 1 − a⁴.
  const a2 = 0.5 ** (2 / 3)
  t.ok(close(e.getEstimate(), (1e6 * (1 - a2) + a2 * 4e6 * (1 - a2)) / (1 - a2 * a2)))
  const bw = new EwmaBandwidthEstimator(9, 3, 5e5)
  t.equal(bw.getEstimate(), 5e5, 'abrEwmaDefaultEstimate before any sample')
  bw.sample(2000, 1e6)
  t.ok(close(bw.getEstimate(), 4e6))
  bw.sample(2000, 250_000)
  t.ok(bw.getEstimate() < 2.6e6, 'the fast EWMA pulls the minimum down quickly')
})

t.test('throughput rule (hls.js findBestLevel), by hand', async (t) => {
  const ladder = ladderOf([1000, 2000, 3000, 5000])
  const first = new ThroughputRule(ladder)
  // 500 kbit/s default: 0.95 × 500k < 1 Mbit/s, so no rung fits: the lowest.
  t.equal(first.chooseRung(state(0, -1, 0)), 0)
  const r = new ThroughputRule(ladder)
  r.onDownload(sample(1e6, 2)) // 4 Mbit/s, TTFB 0 → TTFB estimate 5 ms (hls.js floor)
  t.ok(close(r.bandwidthEstimate(), 4e6))
  t.ok(close(r.ttfbEstimate(), 0.005))
  // From rung 1 with 6 s buffered: up-switches get 0.7 × 4M = 2.8M (< 3M, < 5M); staying gets 0.95 × 4M = 3.8M ≥ 2M,
  // fetch 0.005 + 8M/3.8M = 2.11 s < 6 s.
  t.equal(r.chooseRung(state(6, 1)), 1)
  // From rung 2, 3 Mbit/s is not an up-switch: 3.8M ≥ 3M and fetch 0.005 + 12M/3.8M = 3.16 s < 6 s.
  t.equal(r.chooseRung(state(6, 2)), 2)
  // With 3 s buffered, 3.16 s does not fit without rebuffering but rung 1's 2.11 s does.
  t.equal(r.findBestLevel(4e6, 2, 4, 3, 0, 0.95, 0.7), 1)
  t.equal(r.chooseRung(state(3, 2)), 1)
  // With 1 s buffered nothing fits (rung 0 takes 1.06 s); the second pass allows min(4, 4) s of rebuffering: 3.16 < 5.
  t.equal(r.findBestLevel(4e6, 2, 4, 1, 0, 0.95, 0.7), -1)
  t.equal(r.chooseRung(state(1, 2)), 2)
  // Empty buffer, rung 0: 2 Mbit/s would be an up-switch needing 0.7 × 4M = 2.8M ≥ 2M, fetch 0.005 + 8M/2.8M = 2.86 < 4.
  t.equal(r.chooseRung(state(0, 0)), 1)
})

t.test('hls.js abandonment rule, by hand', async (t) => {
  const bitrates = Float64Array.from([1e6, 2e6, 4e6])
  const p = { segmentIndex: 3, rung: 2, elapsed: 3, ttfb: 0.1, loadedBytes: 290_000, totalBytes: 2_000_000, segmentDuration: 4, bufferLevel: 5 }
  // Loading at 290 kB / 2.9 s = 100 kB/s: 17.1 s left > 5 s buffer. At 800 kbit/s rung 1 takes 8M/0.8M = 10 s (> 5),
  // rung 0 takes 5 s: not < min(5, 4) either, so the lowest rung is the candidate, 5 s < 17.1 s: abandon to 0.
  t.equal(hlsAbandonRule(p, bitrates, 0, 1e6), 0)
  t.equal(hlsAbandonRule({ ...p, elapsed: 1.9 }, bitrates, 0, 1e6), -1, 'not before half the segment duration')
  t.equal(hlsAbandonRule({ ...p, bufferLevel: 20 }, bitrates, 0, 1e6), -1, 'the buffer outlasts the download')
  t.equal(hlsAbandonRule({ ...p, loadedBytes: 1_200_000, bufferLevel: 10 }, bitrates, 0, 1e6), -1)
  // 870 kB in 2.9 s = 300 kB/s: 3.77 s left > 3.5 s buffer; rung 1 takes 8M/2.4M = 3.33 s < min(3.5, 4): abandon to 1.
  t.equal(hlsAbandonRule({ ...p, loadedBytes: 870_000, elapsed: 3, bufferLevel: 3.5 }, bitrates, 0, 1e6), 1)
})

t.test('BBA-0 rate map and decisions, by hand (Huang et al. 2014, Algorithm 1)', async (t) => {
  const ladder = ladderOf([300, 750, 1200, 1850, 2850, 4300])
  const b = new Bba(ladder) // reservoir 5, cushion 10
  // f(10) = 0.3 + 4.0 × (10 − 5)/10 = 2.3 Mbit/s
  t.ok(close(b.rateMap(10), 2.3e6))
  t.equal(b.chooseRung(state(4, 3)), 0, 'in the reservoir: R_min')
  t.equal(b.chooseRung(state(15, 0)), 5, 'past the cushion: R_max')
  t.equal(b.chooseRung(state(10, 1)), 3, 'f = 2.3M ≥ Rate+ (1.2M): highest rate below f, 1.85M')
  t.equal(b.chooseRung(state(10, 3)), 3, 'between Rate− (1.2M) and Rate+ (2.85M): stay')
  t.equal(b.chooseRung(state(10, 5)), 4, 'f ≤ Rate− (2.85M): lowest rate above f, 2.85M')
})

t.test('BOLA-BASIC parameters and decisions, by hand (Spiteri et al. 2016)', async (t) => {
  const ladder = ladderOf([1000, 2000, 4000])
  const b = new Bola(ladder, { minimumBuffer: 10, bufferTarget: 30 })
  // v = [0, ln 2, ln 4]; V = (30 − 10)/ln 4 = 14.427; γp = 1 + 10/V = 1.6931.
  t.ok(close(b.V, 20 / Math.log(4)))
  t.ok(close(b.gammaP, 1 + (10 * Math.log(4)) / 20))
  t.ok(close(b.V * (b.gammaP - 1), 10) && close(b.V * (Math.log(4) + b.gammaP - 1), 30), 'Q_min and Q_max recovered')
  // Q = 5: scores 19.43/1, 29.43/2, 39.43/4 (per Mbit/s) → lowest.
  t.equal(b.chooseRung(state(5, 0)), 0)
  // Q = 20: 4.43/1, 14.43/2 = 7.21, 24.43/4 = 6.11 → middle.
  t.equal(b.chooseRung(state(20, 0)), 1)
  // Q = 25: −0.57, 9.43/2 = 4.71, 19.43/4 = 4.86 → top.
  t.equal(b.chooseRung(state(25, 0)), 2)
  t.ok(close(b.score(1, 20) * 1e6, (20 / Math.log(4)) * (Math.log(2) + b.gammaP) / 2 - 10))
  const dflt = bolaParameters(Float64Array.from([1, 2, 4, 8, 16, 32]), 10, Math.max(12, 10 + 2 * 6))
  t.ok(close(dflt.V, 12 / Math.log(32)), 'dash.js target for 6 rungs: max(12, 10 + 2 × 6) = 22 s')
})

t.test('MPC: hand-computed plan and RobustMPC prediction (Yin et al. 2015)', async (t) => {
  const ladder = ladderOf([1000, 3000])
  const m = new Mpc(ladder, false, { horizon: 2 })
  t.equal(m.chooseRung(state(4, 0)), 0, 'no throughput sample yet: lowest')
  m.onDownload(sample(2e6, 4)) // 4 Mbit/s: rung 0 segments take 1 s, rung 1 take 3 s
  // Plans from 4 s of buffer after rung 0: [1,1] = (3 − 2) + 3 = 4; [0,1] = 1 + 1 = 2; [0,0] = 2; [1,0] = 1 − 1 = 0.
  t.equal(m.chooseRung(state(4, 0)), 1)
  const slow = new Mpc(ladder, false, { horizon: 2 })
  slow.onDownload(sample(1e6, 4)) // 2 Mbit/s: 2 s and 6 s
  // [1,·] rebuffers 2 s (−8.6): [0,0] = 2 and [0,1] = 1 + (3 − 2) = 2 beat it.
  t.equal(slow.chooseRung(state(4, 0)), 0)

  const robust = new Mpc(ladder, true)
  const plain = new Mpc(ladder, false)
  for (const p of [robust, plain]) {
    p.onDownload(sample(1e6, 4)) // 2 Mbit/s
    p.chooseRung(state(4, 0))
    p.onDownload(sample(2e6, 4)) // 4 Mbit/s
    p.chooseRung(state(4, 0))
  }
  // Harmonic mean 2 / (1/2 + 1/4) = 2.667 Mbit/s; the last prediction (2M) erred by |2 − 4|/4 = 0.5.
  t.ok(close(plain.predictThroughput(), 8e6 / 3))
  t.ok(close(robust.predictThroughput(), 8e6 / 3 / 1.5))
})

t.test('MPC pruned search returns the exhaustive search\'s choice', async (t) => {
  const rand = seededRandom(99)
  const ladder = syntheticLadder({ bitrates: [300e3, 750e3, 1200e3, 1850e3, 2850e3, 4300e3], segmentDuration: 4, segments: 30, variation: 0.4, random: rand })
  const q = ladder.bitrates.map((b) => b / 1e6)
  for (let k = 0; k < 300; k++) {
    const m = new Mpc(ladder, false)
    const bps = 2e5 + rand() * 6e6
    m.onDownload(sample(bps / 8, 1))
    const buffer = rand() * 30
    const last = Math.floor(rand() * 6)
    const idx = Math.floor(rand() * 28)
    const got = m.chooseRung(state(buffer, last, idx))
    const steps = Math.min(5, 30 - idx)
    const dts = Array.from({ length: steps }, (_, s) => Float64Array.from(ladder.rungs.map((r) => (r.bytes[idx + s]! * 8) / bps)))
    const want = mpcExhaustive(q, dts, Array.from({ length: steps }, () => 4), buffer, last, MPC_DEFAULTS)
    if (got !== want) t.fail(`case ${k}: pruned ${got}, exhaustive ${want}`)
  }
  t.pass('300 random states agree')
})

t.test('dash.js DYNAMIC: throughput at low buffer, BOLA above stableBufferTime, hysteresis at half', async (t) => {
  const ladder = ladderOf([1000, 2000, 4000])
  const d = new Dynamic(ladder)
  t.equal(d.chooseRung(state(2, -1, 0)), 0, 'no throughput yet')
  d.onDownload(sample(1e6, 4)) // 2 Mbit/s; × 0.9 = 1.8M → rung 0
  t.equal(d.chooseRung(state(10, 0)), 0)
  t.notOk(d.usingBola)
  d.onDownload(sample(4e6, 4)) // mean (2 + 8)/2 = 5 Mbit/s × 0.9 = 4.5M → top
  t.equal(d.chooseRung(state(11, 0)), 2)
  t.notOk(d.usingBola)
  const bola = new Bola(ladder, { minimumBuffer: 10, bufferTarget: 22 })
  t.equal(d.chooseRung(state(13, 0)), bola.chooseRung(state(13, 0)))
  t.ok(d.usingBola, 'above 12 s')
  d.chooseRung(state(7, 0))
  t.ok(d.usingBola, 'still BOLA above 6 s')
  d.chooseRung(state(5.9, 0))
  t.notOk(d.usingBola, 'back to throughput under 6 s')
})
