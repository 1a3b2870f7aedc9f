/**
 * Speed work on the engine and the rules must not change a single decision.
 * Every session below is reduced to a SHA-256 of its per-segment records
 * (rung, bytes, request and finish time, buffer after, wasted bytes, as raw
 * float64) and its metrics, one digest per algorithm × setting over real
 * traces (cooked, norway-3g, a packet-fine mahimahi trace) and a synthetic
 * on/off trace with outages. The expected digests were produced by this file's
 * own digest() on commit fbd01ee (before the sim-speed changes), printed with
 * `OCLAB_PRINT_DIGESTS=1 npx tap test/sim/results-digest.test.ts`, and pasted
 * here: a changed rung, a time one ulp apart or one more abandonment fails it.
 * A deliberate change of results updates them, and says so in its commit.
 */

import { createHash } from 'node:crypto'
import { join } from 'node:path'
import t from 'tap'
import { seededRandom } from '../../lib/random.js'
import type { ProfileName } from '../../sim/abr/params.js'
import { createAbr } from '../../sim/abr/registry.js'
import type { AbrParams } from '../../sim/abr/types.js'
import { runSession, type SessionOptions } from '../../sim/engine/engine.js'
import { type Ladder, syntheticLadder } from '../../sim/manifest/ladder.js'
import { markovOnOffTrace } from '../../sim/trace/generators.js'
import { readTraceFile } from '../../sim/trace/read.js'
import type { Trace } from '../../sim/trace/trace.js'
import { TRACES } from './helpers.js'

const FILES = [
  'cooked/norway_2010-09-13_1046CEST.txt',
  'cooked/norway_2010-09-21_1622CEST.txt',
  'norway-3g/report.2010-09-21_1001CEST.json',
  'norway-3g/report.2010-11-10_1424CET.json',
  'norway-3g/report.2011-01-29_1800CET.json',
  'norway-3g/report.2011-02-14_2032CET.json',
  'mahimahi/Verizon-LTE-short.down',
]

/** The engine's check schedule (every 100 ms, refetch at the rule's rung) and Sabre's (50 ms and 12000 bits, re-decide). */
const SCHEDULES: Record<string, Partial<SessionOptions>> = {
  off: {},
  on: { abandonment: true },
  sabre: { abandonment: true, abandonCheckInterval: 0.05, abandonCheckBytes: 12000, afterAbandon: 'rechoose' },
}

interface Case {
  algorithm: string
  profile: ProfileName
  schedule: keyof typeof SCHEDULES
  params?: AbrParams
  /** Seconds played (MPC searches 6^5 plans a decision: shorter sessions keep the test fast). */
  maxDuration?: number
}

function cases(): Case[] {
  const out: Case[] = []
  for (const algorithm of ['throughput', 'bba', 'bola', 'bolae', 'dynamic'])
    for (const profile of ['sabre', 'dashjs', 'hlsjs'] as const) for (const schedule of Object.keys(SCHEDULES)) out.push({ algorithm, profile, schedule })
  for (const schedule of Object.keys(SCHEDULES)) {
    out.push({ algorithm: 'bola', profile: 'sabre', schedule, params: { variant: 'o' } })
    out.push({ algorithm: 'bola', profile: 'sabre', schedule, params: { variant: 'basic' } })
    out.push({ algorithm: 'bola', profile: 'sabre', schedule, params: { estimator: 'sliding' } })
    out.push({ algorithm: 'bola', profile: 'sabre', schedule, params: { estimator: 'hlsjs' } })
  }
  for (const algorithm of ['mpc', 'robustmpc']) for (const schedule of ['off', 'on']) out.push({ algorithm, profile: 'sabre', schedule, maxDuration: 120 })
  return out
}

const label = (c: Case): string => `${c.algorithm} ${c.profile} ${c.schedule}${c.params ? ` ${JSON.stringify(c.params)}` : ''}`

function digest(c: Case, ladder: Ladder, traces: Trace[]): { digest: string; abandonments: number } {
  const h = createHash('sha256')
  let abandonments = 0
  for (const trace of traces) {
    const policy = createAbr(c.algorithm, ladder, c.params, { profile: c.profile })
    const r = runSession(ladder, trace, policy, { ...SCHEDULES[c.schedule], record: true, maxDuration: c.maxDuration })
    const segs = r.timeline!.segments
    const f = new Float64Array(segs.length * 7 + 8)
    let k = 0
    for (const s of segs) {
      f[k++] = s.index
      f[k++] = s.rung
      f[k++] = s.bytes
      f[k++] = s.requestTime
      f[k++] = s.finishTime
      f[k++] = s.bufferAfter
      f[k++] = s.wastedBytes
    }
    const m = r.metrics
    for (const v of [m.startupDelay, m.rebufferCount, m.rebufferTime, m.abandonments, m.bytesDownloaded, m.switches, m.qoe, m.sessionTime]) f[k++] = v
    h.update(new Uint8Array(f.buffer))
    abandonments += m.abandonments
  }
  return { digest: h.digest('hex').slice(0, 16), abandonments }
}

/** Computed on fbd01ee, before the speed changes (see the header). */
const EXPECTED: Record<string, string> = {
  'throughput sabre off': 'a86c1e5f477affc4',
  'throughput sabre on': 'f2db4850f7ca86f9',
  'throughput sabre sabre': 'f49d1cc4706d19fe',
  'throughput dashjs off': '4b16931a2f2a086a',
  'throughput dashjs on': '6b73a2cd3c27f406',
  'throughput dashjs sabre': '826321ef535b67ba',
  'throughput hlsjs off': 'b5f82a0c30e8a4cd',
  'throughput hlsjs on': 'd47414804f36055c',
  'throughput hlsjs sabre': 'd50f5d9338977c9f',
  'bba sabre off': '3e9609bbf46cf45f',
  'bba sabre on': '53910f1bf711d895',
  'bba sabre sabre': 'f9b6db4950114552',
  'bba dashjs off': '3e9609bbf46cf45f',
  'bba dashjs on': '53910f1bf711d895',
  'bba dashjs sabre': 'f9b6db4950114552',
  'bba hlsjs off': '3e9609bbf46cf45f',
  'bba hlsjs on': '53910f1bf711d895',
  'bba hlsjs sabre': 'f9b6db4950114552',
  'bola sabre off': '645cdfb22186b218',
  'bola sabre on': '1d2218c7d5b9b0ed',
  'bola sabre sabre': '22d6338ca548c692',
  'bola dashjs off': '2b0ee1ebc1948b6c',
  'bola dashjs on': 'cac93b5d090eb7c0',
  'bola dashjs sabre': 'aeae8a228cf77331',
  'bola hlsjs off': '347dd8765a7fd9aa',
  'bola hlsjs on': 'f877f657a2167582',
  'bola hlsjs sabre': '69f4bf95a4db62f1',
  'bolae sabre off': '4cb675720e8d1ac8',
  'bolae sabre on': '7d3bdb8903e75065',
  'bolae sabre sabre': '3173eb0e2d214257',
  'bolae dashjs off': 'a05f011efe0ea743',
  'bolae dashjs on': '70f0e233c03a0392',
  'bolae dashjs sabre': 'a27035094f10d34d',
  'bolae hlsjs off': '2d1ca32d5c6d7046',
  'bolae hlsjs on': '0182d3e2fca4b7f2',
  'bolae hlsjs sabre': '1597836c852e3c75',
  'dynamic sabre off': '073e88c5efb43c10',
  'dynamic sabre on': 'aec3f40a2d4fbaf5',
  'dynamic sabre sabre': 'e9872e366e4a861b',
  'dynamic dashjs off': '50fb211549fae9e1',
  'dynamic dashjs on': '0445de830928523b',
  'dynamic dashjs sabre': '9444def679b6e660',
  'dynamic hlsjs off': '9e20dd67e5724d7a',
  'dynamic hlsjs on': 'ee89c395d9740539',
  'dynamic hlsjs sabre': '593fa9c6ecfd9397',
  'bola sabre off {"variant":"o"}': '3ff8e0b4e0624d30',
  'bola sabre off {"variant":"basic"}': '0dbf069b8268df40',
  'bola sabre off {"estimator":"sliding"}': '98efc698e5615b35',
  'bola sabre off {"estimator":"hlsjs"}': '347dd8765a7fd9aa',
  'bola sabre on {"variant":"o"}': '80bcd830b6e2122a',
  'bola sabre on {"variant":"basic"}': '0dbf069b8268df40',
  'bola sabre on {"estimator":"sliding"}': '661bc59990cb7a06',
  'bola sabre on {"estimator":"hlsjs"}': 'f877f657a2167582',
  'bola sabre sabre {"variant":"o"}': '3ba4d270a3dfe1c7',
  'bola sabre sabre {"variant":"basic"}': '0dbf069b8268df40',
  'bola sabre sabre {"estimator":"sliding"}': 'f5475d1b7dc6541d',
  'bola sabre sabre {"estimator":"hlsjs"}': '69f4bf95a4db62f1',
  'mpc sabre off': 'caa668729bde0393',
  'mpc sabre on': '187392e5ee364bc7',
  'robustmpc sabre off': '265c236c94bab0f3',
  'robustmpc sabre on': '51e11d37ee14672f',
}

t.test('every decision of every algorithm is as it was before the speed work', async (t) => {
  const traces = await Promise.all(FILES.map((f) => readTraceFile(join(TRACES, f))))
  traces.push(markovOnOffTrace({ seed: 7, durationS: 300, onKbps: 3000, offKbps: 0, meanOnS: 8, meanOffS: 2 }))
  const ladder = syntheticLadder({
    bitrates: [300e3, 750e3, 1200e3, 1850e3, 2850e3, 4300e3],
    segmentDuration: 4,
    segments: 75,
    variation: 0.3,
    random: seededRandom(1),
    name: 'digest ladder',
  })
  const got: Record<string, string> = {}
  let abandonments = 0
  for (const c of cases()) {
    const d = digest(c, ladder, traces)
    got[label(c)] = d.digest
    abandonments += d.abandonments
  }
  // The traces and ladder were picked so that the abandonment paths (checks, skips, refetches) run, not just the loop.
  t.ok(abandonments > 100, `${abandonments} abandonments over the cases`)
  if (process.env.OCLAB_PRINT_DIGESTS) console.log(JSON.stringify(got, null, 2))
  t.equal(Object.keys(EXPECTED).length, Object.keys(got).length, 'one expected digest per case')
  for (const [k, v] of Object.entries(got)) t.equal(v, EXPECTED[k], k)
})
