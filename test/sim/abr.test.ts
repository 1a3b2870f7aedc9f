import t from 'tap'
import { seededRandom } from '../../lib/random.js'
import { DashAbandonRule, hlsAbandonRule } from '../../sim/abr/abandon.js'
import { Bba } from '../../sim/abr/bba.js'
import { type Bola, bolaParameters } from '../../sim/abr/bola.js'
import type { BolaE } from '../../sim/abr/bolae.js'
import type { Dynamic } from '../../sim/abr/dynamic.js'
import { Ewma, EwmaBandwidthEstimator } from '../../sim/abr/ewma.js'
import { MPC_DEFAULTS, Mpc, mpcExhaustive } from '../../sim/abr/mpc.js'
import { createAbr } from '../../sim/abr/registry.js'
import { ThroughputRule } from '../../sim/abr/throughput.js'
import type { AbrState, DownloadProgress } from '../../sim/abr/types.js'
import { syntheticLadder } from '../../sim/manifest/ladder.js'

const close = (a: number, b: number, eps = 1e-9) => Math.abs(a - b) <= eps * Math.max(1, Math.abs(b))
const ladderOf = (kbps: number[], segments = 20) => syntheticLadder({ bitrates: kbps.map((k) => k * 1000), segmentDuration: 4, segments })
const state = (bufferLevel: number, lastRung: number, segmentIndex = 1): AbrState => ({ now: 0, bufferLevel, segmentIndex, lastRung, playing: true })
const sample = (bytes: number, duration: number, ttfb = 0, segmentIndex = 0) => ({
  segmentIndex,
  rung: 0,
  bytes,
  requestTime: 0,
  ttfb,
  duration,
  bufferLevel: 0,
})

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

t.test('dash.js 5.2.1 abandonment rule, by hand', async (t) => {
  const bitrates = Float64Array.from([1e6, 2e6, 4e6])
  const params = { abandonMultiplier: 1.8, abandonGrace: 0.5, safetyFactor: 0.9, minLengthToAverage: 6, stableBufferTime: 18 }
  // A 4 s segment at 4 Mbit/s (2 MB), latency 0.3 s; progress events every 0.1 s from the first byte.
  const at = (k: number, bytes: number, o: Partial<DownloadProgress> = {}): DownloadProgress => ({
    segmentIndex: 7,
    rung: 2,
    elapsed: 0.3 + 0.1 * k,
    ttfb: 0.3,
    loadedBytes: bytes,
    totalBytes: 2_000_000,
    segmentDuration: 4,
    bufferLevel: 6,
    ...o,
  })
  // The first event carries a burst (what the latency hid); later ones 25 kB each, 2 Mbit/s. A mean of per-event
  // rates since the first byte (4.7's way) would count the burst; 5.2.1 measures from the first event on.
  const rule = new DashAbandonRule(bitrates, params)
  t.equal(rule.check(at(1, 200_000)), -1, 'first event')
  for (let k = 2; k <= 5; k++) t.equal(rule.check(at(k, 200_000 + 25_000 * (k - 1))), -1, `event ${k}: under 6 events`)
  // Event 6: 0.6 s since the first byte (> 0.5), 125 kB in 0.5 s since the first event = 2000 kbit/s. The whole
  // segment takes 16M/2000k = 8 s ≥ 1.8 × 4 = 7.2 s; rung 1 (2 Mbit/s ≤ 2000 kbit/s) needs 1 MB < 1.675 MB left.
  t.equal(rule.check(at(6, 325_000)), 1, 'abandon to the highest rung at or below the aggregate rate, no safety factor')
  t.equal(rule.check(at(7, 350_000)), -1, 'once per segment')

  const fast = new DashAbandonRule(bitrates, params)
  // 40 kB per event = 3.2 Mbit/s: 16M/3200k = 5 s < 7.2 s, carry on.
  for (let k = 1; k <= 8; k++) t.equal(fast.check(at(k, 40_000 * k)), -1, `fast enough, event ${k}`)

  const full = new DashAbandonRule(bitrates, params)
  for (let k = 1; k <= 8; k++) t.equal(full.check(at(k, 200_000 + 25_000 * (k - 1), { bufferLevel: 19 })), -1, 'not above bufferTimeDefault')
  const low = new DashAbandonRule(bitrates, params)
  for (let k = 1; k <= 8; k++) t.equal(low.check(at(k, 200_000 + 25_000 * (k - 1), { rung: 0 })), -1, 'never from the lowest rung')
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

t.test('BOLA sized from the buffer (Sabre Bola; BOLA-BASIC, BOLA-U, BOLA-O), by hand', async (t) => {
  const ladder = ladderOf([1000, 2000, 4000])
  // v = [0, ln 2, ln 4], γp = 5, target = the 25 s buffer: V = (25 − 4) / (ln 4 + 5).
  const p = bolaParameters(ladder.bitrates, 5, 25, 4)
  const V = 21 / (Math.log(4) + 5)
  t.ok(close(p.V, V))
  const basic = createAbr('bola', ladder, { variant: 'basic' }, { bufferCap: 25 }) as Bola
  t.ok(close(basic.V, V), 'V from --buffer, not from the rung count')
  // Middle beats lowest above V(γp − v_2) = V(5 − ln 2); top beats middle above V(2(v_2 + γp) − (v_3 + γp)) = 5V.
  t.equal(basic.chooseRung(state(V * (5 - Math.log(2)) - 0.01, 0)), 0)
  t.equal(basic.chooseRung(state(V * (5 - Math.log(2)) + 0.01, 0)), 1)
  t.equal(basic.chooseRung(state(5 * V - 0.01, 0)), 1)
  t.equal(basic.chooseRung(state(5 * V + 0.01, 0)), 2, 'the top rung is reachable below the 25 s cap')
  // Non-basic: at segment 10 of 20 the target shrinks to max(min(10, 10)/2, 3) × 4 = 20 s; a 2 Mbit/s download caps at rung 1.
  const Vmid = 16 / (Math.log(4) + 5)
  const u = createAbr('bola', ladder, { variant: 'u' }, { bufferCap: 25 }) as Bola
  u.onDownload(sample(1.05e6, 4)) // 2.1 Mbit/s
  t.equal(u.chooseRung(state(14, 0, 10)), 2, 'BOLA-U: buffer says top, throughput sustains rung 1: one above it')
  t.ok(close(u.V, Vmid))
  const o = createAbr('bola', ladder, { variant: 'o' }, { bufferCap: 25 }) as Bola
  o.onDownload(sample(1.05e6, 4))
  t.equal(o.chooseRung(state(15, 0, 10)), 1, 'BOLA-O: at the sustainable rung')
  t.ok(close(o.requestDelay(), 15 - Vmid * (5 + Math.log(2))), 'BOLA-O pauses down to the level where rung 1 still wins')
  t.equal(createAbr('bola', ladder, {}, { bufferCap: 25 }).chooseRung(state(0, -1, 0)), 0, 'first segment: the lowest rung (Sabre get_first_quality)')
})

t.test('BOLA-E (Sabre BolaEnh / dash.js BolaRule) parameters and placeholder, by hand', async (t) => {
  const ladder = ladderOf([1000, 2000, 4000])
  const e = createAbr('bolae', ladder, {}, { bufferCap: 25 }) as BolaE
  // Sabre: target max(10 + 2 × 3, 25) = 25; utilities ln(S/S1) + 1; γp = ln 4 / (25/10 − 1), V = 10/γp.
  t.ok(close(e.gp, Math.log(4) / 1.5) && close(e.Vp, 10 / (Math.log(4) / 1.5)))
  const d = createAbr('bolae', ladder, {}, { profile: 'dashjs', bufferCap: 25 }) as BolaE
  t.ok(close(d.target, 18), 'dash.js 5.2.1: max(bufferTimeDefault 18, 10 + 2 × 3)')
  e.onDownload({ ...sample(1.05e6, 4), bufferLevel: 4 }) // 2.1 Mbit/s, first segment (Sabre reports none)
  // Startup: the rung the raw throughput sustains (1); the placeholder brings the buffer to where BOLA picks it.
  t.equal(e.chooseRung({ ...state(4, 0, 1), now: 4 }), 1)
  const minFor1 = e.Vp * (e.gp + (2 * 1 - 1 * (1 + Math.log(2))) / (2 - 1))
  t.ok(close(e.minBufferFor(1), minFor1))
  t.ok(close(e.placeholder, minFor1 - 4))
  // After a download the placeholder may not lift the buffer at the request above where BOLA would still pick that rung.
  const before = e.placeholder
  e.onDownload({ ...sample(1.05e6, 4, 0, 1), requestTime: 4, bufferLevel: 8 })
  t.ok(close(e.placeholder, Math.min(before, Math.max(0, e.maxBufferFor(0) - 12))), 'trimmed against the level at the request (8 + 4 s)')
  // A wait for room grows it by the time waited (Sabre report_delay): the download landed at 8 s, the next decision is at 11 s.
  const trimmed = e.placeholder
  const q = e.chooseRung({ ...state(8, 0, 2), now: 11 })
  t.ok(8 + trimmed + 3 < e.maxBufferFor(q), 'no pause due at this level')
  t.ok(close(e.placeholder, trimmed + 3), 'the 3 s wait went into the placeholder')
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

t.test("MPC pruned search returns the exhaustive search's choice", async (t) => {
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
    const want = mpcExhaustive(
      q,
      dts,
      Array.from({ length: steps }, () => 4),
      buffer,
      last,
      MPC_DEFAULTS,
    )
    if (got !== want) t.fail(`case ${k}: pruned ${got}, exhaustive ${want}`)
  }
  t.pass('300 random states agree')
})

t.test('DYNAMIC: dash.js (BOLA-E above hybridSwitchBufferTime, hysteresis at half) and Sabre (10 s, rungs compared)', async (t) => {
  const ladder = ladderOf([1000, 2000, 4000])
  const d = createAbr('dynamic', ladder, {}, { profile: 'dashjs' }) as Dynamic
  t.equal(d.chooseRung(state(2, -1, 0)), 0, 'dash.js DEFAULT_VIDEO_BITRATE 1000 kbit/s: rung 0')
  d.onDownload(sample(1e6, 4)) // 2 Mbit/s; × 0.9 = 1.8M → rung 0
  t.equal(d.chooseRung(state(10, 0, 1)), 0)
  t.notOk(d.usingBola)
  // dash.js 5 EWMA, weight 1.5 per second (6 per sample): fast (3) 6.8 Mbit/s, slow (8) 5.76; min × 0.9 = 5.19M → top
  d.onDownload(sample(4e6, 4, 0, 1))
  t.equal(d.chooseRung(state(11, 0, 2)), 2)
  t.notOk(d.usingBola)
  d.chooseRung(state(13, 2, 3))
  t.ok(d.usingBola, 'above 12 s')
  d.chooseRung(state(7, 2, 4))
  t.ok(d.usingBola, 'still BOLA above 6 s')
  d.chooseRung(state(5.9, 2, 5))
  t.notOk(d.usingBola, 'back to throughput under 6 s')

  const s = createAbr('dynamic', ladder, {}, { profile: 'sabre', bufferCap: 25 }) as Dynamic
  s.chooseRung(state(0, -1, 0))
  s.onDownload(sample(5e5, 4)) // 1 Mbit/s: throughput says rung 0 (0.9 M < 1 M ... lowest anyway)
  s.chooseRung(state(9, 0, 5))
  t.notOk(s.usingBola, 'below 10 s: throughput')
  s.chooseRung(state(11, 0, 6))
  t.ok(s.usingBola, "above 10 s and BOLA's rung ≥ throughput's")
  s.chooseRung(state(20, 0, 7))
  t.ok(s.usingBola)
})
