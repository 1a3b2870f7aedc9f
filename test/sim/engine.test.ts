import { join } from 'node:path'
import t from 'tap'
import { seededRandom } from '../../lib/random.js'
import type { ProfileName } from '../../sim/abr/params.js'
import { ABR_NAMES, createAbr } from '../../sim/abr/registry.js'
import type { AbrParams, AbrPolicy } from '../../sim/abr/types.js'
import { runSession } from '../../sim/engine/engine.js'
import { makeLadder, syntheticLadder } from '../../sim/manifest/ladder.js'
import { constantTrace, generateTraceSet, stepTrace } from '../../sim/trace/generators.js'
import { loadTraceSet } from '../../sim/trace/read.js'
import { fixedPolicy, TRACES } from './helpers.js'

const twoRungs = (segments: number) =>
  makeLadder({
    name: 'two',
    source: 'synthetic',
    segmentDurations: new Array(segments).fill(4),
    sizesExact: true,
    rungs: [
      { id: 'lo', bitrate: 1e6, bytes: new Array(segments).fill(500_000) },
      { id: 'hi', bitrate: 2e6, bytes: new Array(segments).fill(1_000_000) },
    ],
  })

t.test('download times over a step trace, computed by hand', async (t) => {
  // 1 Mbit/s (125 kB/s) for 10 s, then 4 Mbit/s (500 kB/s); 100 ms RTT; 1 MB segments of 4 s.
  const r = runSession(twoRungs(3), stepTrace([1000, 4000], 10), fixedPolicy(1), { rtt: 0.1, record: true })
  const segs = r.timeline!.segments
  // seg 0: bytes flow from 0.1 s, 1 MB / 125 kB/s = 8 s → 8.1 s. Playback starts (one segment buffered).
  t.equal(segs[0]?.finishTime, 8.1)
  // seg 1: request 8.1, first byte 8.2, 1.8 s × 125 kB = 225 kB by 10 s, 775 kB / 500 kB/s = 1.55 s → 11.55 s.
  t.ok(Math.abs(segs[1]!.finishTime - 11.55) < 1e-9, `seg 1 at ${segs[1]!.finishTime}`)
  t.ok(Math.abs(segs[1]!.bufferAfter - (4 - 3.45 + 4)) < 1e-9)
  // seg 2: request 11.55, first byte 11.65, 2 s → 13.65 s; buffer 4.55 − 2.1 + 4 = 6.45.
  t.ok(Math.abs(segs[2]!.finishTime - 13.65) < 1e-9)
  t.ok(Math.abs(r.metrics.sessionTime - (13.65 + 6.45)) < 1e-9)
  t.equal(r.metrics.startupDelay, 8.1)
  t.equal(r.metrics.rebufferCount, 0)
  // QoE: 3 segments × 2 Mbit/s − 4.3 × 8.1 s startup.
  t.ok(Math.abs(r.metrics.qoe - (6 - 4.3 * 8.1)) < 1e-9)
  t.same(r.metrics.timeAtRung, [0, 12])
})

t.test('a trace below the lowest rung stalls for exactly the arithmetic, for every algorithm', async (t) => {
  // 500 kbit/s vs a 1 Mbit/s lowest rung: each 4 s segment takes 8 s; after the first,
  // each of the other 4 segments stalls 8 − 4 = 4 s.
  for (const name of ABR_NAMES) {
    const ladder = twoRungs(5)
    const r = runSession(ladder, constantTrace(500), createAbr(name, ladder), { rtt: 0 })
    t.same(r.metrics.timeAtRung, [20, 0], `${name} stays on the lowest rung`)
    t.equal(r.metrics.startupDelay, 8, name)
    t.equal(r.metrics.rebufferCount, 4, name)
    t.ok(Math.abs(r.metrics.rebufferTime - 16) < 1e-9, `${name}: ${r.metrics.rebufferTime} s stalled`)
    t.ok(Math.abs(r.metrics.sessionTime - 44) < 1e-9)
  }
})

t.test('a constant trace above the top rung ends on the top rung without stalls, for every algorithm', async (t) => {
  const ladder = syntheticLadder({ bitrates: [300e3, 750e3, 1200e3, 1850e3, 2850e3, 4300e3], segmentDuration: 4, segments: 150 })
  for (const name of ABR_NAMES) {
    const r = runSession(ladder, constantTrace(20_000), createAbr(name, ladder), { record: true })
    const segs = r.timeline!.segments
    t.equal(segs[segs.length - 1]?.rung, 5, `${name} ends on the top rung`)
    t.equal(r.metrics.rebufferCount, 0, `${name} never stalls`)
    t.ok(r.metrics.timeAtRung[5]! > 300, `${name} spends most of the session on top`)
  }
})

t.test('the buffer cap holds downloads back and playback drains it', async (t) => {
  const ladder = twoRungs(20)
  const r = runSession(ladder, constantTrace(80_000), fixedPolicy(1), { rtt: 0, bufferCap: 12, record: true })
  const max = Math.max(...r.timeline!.buffer.map(([, b]) => b))
  t.ok(max <= 12 + 1e-9, `buffer peaked at ${max}`)
  // Once the buffer is full, a request goes out every 4 s.
  const segs = r.timeline!.segments
  t.ok(Math.abs(segs[15]!.requestTime - segs[14]!.requestTime - 4) < 1e-9)
})

t.test('startup and rebuffer thresholds', async (t) => {
  const ladder = twoRungs(6)
  const r = runSession(ladder, constantTrace(1000), fixedPolicy(0), { rtt: 0, startupThreshold: 8 })
  t.equal(r.metrics.startupDelay, 8, 'two 4 s segments at 4 s each')
  const slow = runSession(ladder, constantTrace(500), fixedPolicy(0), { rtt: 0, rebufferThreshold: 8, record: true })
  // After the first stall, playback waits for two segments (16 s) each time.
  t.ok(slow.timeline!.stalls.every(([a, b]) => b > a))
  t.ok(slow.metrics.rebufferCount < 4)
})

t.test('abandoning a download that would stall reduces stalling and counts waste', async (t) => {
  const ladder = syntheticLadder({ bitrates: [500e3, 1000e3, 4000e3], segmentDuration: 4, segments: 40 })
  // 8 Mbit/s for 40 s, then a long 600 kbit/s tunnel.
  const trace = stepTrace([8000, 600], 40)
  // A 12 s buffer: a 4 Mbit/s segment caught by the tunnel takes 53 s, so it would stall.
  const runs: Array<[string, ProfileName, AbrParams]> = [
    ['throughput', 'sabre', {}],
    ['throughput', 'hlsjs', {}],
    ['throughput', 'dashjs', {}],
    ['bola', 'sabre', {}],
    ['bolae', 'sabre', {}],
    ['dynamic', 'sabre', { switchThreshold: 6 }],
    ['dynamic', 'dashjs', { hybridSwitchBufferTime: 6 }],
  ]
  for (const [name, profile, p] of runs) {
    const plain = runSession(ladder, trace, createAbr(name, ladder, p, { profile, bufferCap: 12 }), { bufferCap: 12 })
    const ab = runSession(ladder, trace, createAbr(name, ladder, p, { profile, bufferCap: 12 }), { bufferCap: 12, abandonment: true })
    t.ok(ab.metrics.abandonments > 0, `${name} (${profile}) abandoned ${ab.metrics.abandonments} downloads`)
    t.ok(ab.metrics.wasteRatio > 0 && ab.metrics.bytesDownloaded > ab.metrics.bytesPlayed)
    t.ok(ab.metrics.rebufferTime <= plain.metrics.rebufferTime, `${name}: ${ab.metrics.rebufferTime} ≤ ${plain.metrics.rebufferTime}`)
  }
})

t.test('same inputs and seed, same session', async (t) => {
  const ladder = syntheticLadder({ bitrates: [300e3, 1200e3, 4300e3], segmentDuration: 4, segments: 60 })
  const a = generateTraceSet('markov:count=3', 42).traces
  const b = generateTraceSet('markov:count=3', 42).traces
  for (const name of ABR_NAMES) {
    for (let i = 0; i < 3; i++) {
      t.same(
        runSession(ladder, a[i]!, createAbr(name, ladder), { abandonment: true, record: true }),
        runSession(ladder, b[i]!, createAbr(name, ladder), { abandonment: true, record: true }),
      )
    }
  }
})

t.test('bad session options and bad policies are rejected', async (t) => {
  const ladder = twoRungs(3)
  const tr = constantTrace(1000)
  t.throws(() => runSession(ladder, tr, fixedPolicy(0), { bufferCap: 2 }), { code: 'OCLAB_ERR_BAD_CONFIG', message: /buffer cap/ })
  t.throws(() => runSession(ladder, tr, fixedPolicy(0), { startupThreshold: 60 }), { message: /startup threshold/ })
  t.throws(() => runSession(ladder, tr, fixedPolicy(0), { rtt: -1 }), { message: /rtt/ })
  t.throws(() => runSession(ladder, tr, fixedPolicy(2)), { message: /returned rung 2/ })
  t.throws(() => createAbr('nope', ladder), { code: 'OCLAB_ERR_BAD_CONFIG', message: /unknown ABR/ })
  t.equal(runSession(ladder, tr, fixedPolicy(0), { maxDuration: 5 }).metrics.segments, 2)
})

t.test('skipping abandonment checks a rule cannot act on changes no session', async (t) => {
  // Policies declare a grace time (abandonAfter) and a lower bound on their next answer (abandonQuietUntil, BOLA);
  // the same policies with both hooks hidden must play every session identically.
  const ladder = syntheticLadder({
    bitrates: [300e3, 750e3, 1200e3, 1850e3, 2850e3, 4300e3],
    segmentDuration: 4,
    segments: 75,
    variation: 0.3,
    random: seededRandom(3),
  })
  const traces = (await loadTraceSet(join(TRACES, 'cooked'))).traces
  for (const name of ['throughput', 'bola', 'bolae', 'dynamic']) {
    for (const tr of traces) {
      const p = createAbr(name, ladder)
      const hidden = createAbr(name, ladder)
      const plain: AbrPolicy = {
        name: hidden.name,
        chooseRung: (s) => hidden.chooseRung(s),
        onDownload: (d) => hidden.onDownload(d),
        abandon: (x) => hidden.abandon!(x),
        requestDelay: () => (hidden.requestDelay ? hidden.requestDelay() : 0),
      }
      const a = runSession(ladder, tr, p, { abandonment: true }).metrics
      const b = runSession(ladder, tr, plain, { abandonment: true }).metrics
      if (a.abandonments !== b.abandonments || a.rebufferTime !== b.rebufferTime || a.averageBitrate !== b.averageBitrate)
        t.fail(`${name} on ${tr.name}: ${a.abandonments}/${b.abandonments} abandonments, ${a.rebufferTime}/${b.rebufferTime} s`)
    }
  }
  t.pass('identical')
})
