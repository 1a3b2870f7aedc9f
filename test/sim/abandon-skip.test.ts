/**
 * The engine skips abandonment checks a rule proves it would answer -1 to
 * (its grace time, abandonQuietUntil with the link's lowest rate until the
 * download ends). That must never change a session: over random ladders,
 * traces (coarse and packet-fine, with outages, looping) and session settings,
 * every algorithm and profile plays exactly as with `abandonSkips: false`,
 * the plain loop that asks the rule at every check.
 */

import fc from 'fast-check'
import t from 'tap'
import { seededRandom } from '../../lib/random.js'
import { PROFILES, type ProfileName } from '../../sim/abr/params.js'
import { createAbr } from '../../sim/abr/registry.js'
import { runSession, type SessionOptions } from '../../sim/engine/engine.js'
import { syntheticLadder } from '../../sim/manifest/ladder.js'
import { traceFromPeriods } from '../../sim/trace/trace.js'

const ALGORITHMS = ['throughput', 'bba', 'bola', 'bolae', 'dynamic']

const caseArb = fc.record({
  // Ascending bitrates: a base and multiplicative steps.
  base: fc.integer({ min: 100_000, max: 800_000 }),
  steps: fc.array(fc.double({ min: 1.2, max: 2.5, noNaN: true }), { minLength: 1, maxLength: 6 }),
  segmentDuration: fc.constantFrom(1, 2, 3, 4, 6),
  segments: fc.integer({ min: 8, max: 40 }),
  variation: fc.double({ min: 0, max: 0.5, noNaN: true }),
  seed: fc.integer({ min: 1, max: 1 << 30 }),
  // Periods: durations from packet-fine to several seconds; rates from outage to well above the ladder.
  periods: fc.array(fc.record({ d: fc.constantFrom(0.004, 0.02, 0.3, 1, 1, 2.5), kbps: fc.oneof(fc.constant(0), fc.integer({ min: 50, max: 8000 })) }), {
    minLength: 1,
    maxLength: 80,
  }),
  latency: fc.option(fc.double({ min: 0, max: 0.3, noNaN: true }), { nil: undefined }),
  algorithm: fc.constantFrom(...ALGORITHMS),
  profile: fc.constantFrom(...PROFILES),
  bufferExtra: fc.double({ min: 0, max: 30, noNaN: true }),
  interval: fc.constantFrom(0.05, 0.1, 0.037),
  checkBytes: fc.constantFrom(0, 0, 1500),
  afterAbandon: fc.constantFrom('abandon-rung' as const, 'rechoose' as const),
  rtt: fc.double({ min: 0, max: 0.2, noNaN: true }),
  traceOffset: fc.double({ min: 0, max: 50, noNaN: true }),
})

t.test('skipped abandonment checks change no session (random ladders, traces, settings)', async (t) => {
  let sessions = 0
  let abandoned = 0
  fc.assert(
    fc.property(caseArb, (c) => {
      const bitrates = [c.base]
      for (const s of c.steps) bitrates.push(Math.round(bitrates[bitrates.length - 1]! * s))
      const ladder = syntheticLadder({
        bitrates,
        segmentDuration: c.segmentDuration,
        segments: c.segments,
        variation: c.variation,
        random: seededRandom(c.seed),
      })
      // At least one period delivers, or the trace is refused.
      const periods = c.periods.some((p) => p.kbps > 0) ? c.periods : [...c.periods, { d: 1, kbps: 500 }]
      const trace = traceFromPeriods(
        'random',
        periods.map((p) => p.d),
        periods.map((p) => p.kbps * 1000),
        c.latency === undefined ? undefined : periods.map(() => c.latency!),
      )
      const bufferCap = c.segmentDuration + c.bufferExtra
      const session: Partial<SessionOptions> = {
        abandonment: true,
        bufferCap,
        abandonCheckInterval: c.interval,
        abandonCheckBytes: c.checkBytes,
        afterAbandon: c.afterAbandon,
        rtt: c.rtt,
        traceOffset: c.traceOffset,
      }
      const make = () => createAbr(c.algorithm, ladder, {}, { profile: c.profile as ProfileName, bufferCap })
      const fast = runSession(ladder, trace, make(), session).metrics
      const plain = runSession(ladder, trace, make(), { ...session, abandonSkips: false }).metrics
      sessions++
      if (plain.abandonments > 0) abandoned++
      // Played bitrate, rebuffering, switches and abandonments first (the figures a verdict reads), then all the rest.
      const key = (m: typeof fast) => [m.averageBitrate, m.rebufferTime, m.switches, m.abandonments]
      if (JSON.stringify(key(fast)) !== JSON.stringify(key(plain))) return false
      return JSON.stringify(fast) === JSON.stringify(plain)
    }),
    { numRuns: 1500, seed: 16 },
  )
  t.ok(sessions >= 1500, `${sessions} random sessions compared`)
  // The comparison means something only if the rules did abandon in a fair share of them.
  t.ok(abandoned >= sessions / 10, `${abandoned} of ${sessions} sessions abandoned a download`)
})

t.test('skips find the same answers on a trace whose period ends exactly at a check', async (t) => {
  // A 1 s/4 s step at 0.1 s-aligned boundaries, checks every 0.1 s: bounds that end at a period's edge.
  const ladder = syntheticLadder({ bitrates: [300e3, 1e6, 3e6], segmentDuration: 2, segments: 30 })
  const trace = traceFromPeriods('edges', [0.5, 1.5, 0.5, 2], [4e6, 0, 2e5, 1e6])
  for (const algorithm of ALGORITHMS) {
    for (const profile of PROFILES) {
      const make = () => createAbr(algorithm, ladder, {}, { profile, bufferCap: 12 })
      const a = runSession(ladder, trace, make(), { abandonment: true, bufferCap: 12, rtt: 0.1 }).metrics
      const b = runSession(ladder, trace, make(), { abandonment: true, bufferCap: 12, rtt: 0.1, abandonSkips: false }).metrics
      t.same(a, b, `${algorithm} --profile ${profile}`)
    }
  }
})
