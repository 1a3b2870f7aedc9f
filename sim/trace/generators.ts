import { ErrorCodes, OclabError } from '../../lib/errors.js'
import { normalSample, seededRandom } from '../../lib/random.js'
import { type Trace, type TraceSet, traceFromPeriods } from './trace.js'

/** Generated traces last this long unless told otherwise; sessions loop them anyway. */
export const DEFAULT_GENERATED_DURATION_S = 600

export function constantTrace(kbps: number, durationS = DEFAULT_GENERATED_DURATION_S): Trace {
  return traceFromPeriods(`constant ${kbps} kbps`, [durationS], [kbps * 1000])
}

/** Rates in turn, each for `periodS` seconds, repeating. */
export function stepTrace(kbps: number[], periodS: number): Trace {
  return traceFromPeriods(
    `step ${kbps.join('/')} kbps every ${periodS} s`,
    kbps.map(() => periodS),
    kbps.map((k) => k * 1000),
  )
}

export interface RandomWalkOptions {
  /** Starting rate, kbit/s. */
  kbps: number
  /** Standard deviation of each step's change in ln(rate). */
  sigma: number
  /** Seconds between changes. */
  step: number
  minKbps: number
  maxKbps: number
  durationS: number
  seed: number
}

/** A geometric random walk (multiplicative, so it never goes negative), clamped to [min, max]. */
export function randomWalkTrace(o: RandomWalkOptions): Trace {
  const rand = seededRandom(o.seed)
  const n = Math.max(1, Math.round(o.durationS / o.step))
  const rates: number[] = []
  let rate = o.kbps
  for (let i = 0; i < n; i++) {
    rates.push(rate * 1000)
    rate = Math.min(o.maxKbps, Math.max(o.minKbps, rate * Math.exp(o.sigma * normalSample(rand))))
  }
  return traceFromPeriods(
    `walk ${o.kbps} kbps σ=${o.sigma} seed=${o.seed}`,
    rates.map(() => o.step),
    rates,
  )
}

export interface MarkovOnOffOptions {
  onKbps: number
  offKbps: number
  /** Mean sojourn in each state, seconds (exponentially distributed). */
  meanOnS: number
  meanOffS: number
  durationS: number
  seed: number
}

/** Two-state Markov on/off channel (Gilbert-Elliott style): good and bad periods of exponential length. */
export function markovOnOffTrace(o: MarkovOnOffOptions): Trace {
  const rand = seededRandom(o.seed)
  const durations: number[] = []
  const rates: number[] = []
  let on = true
  let t = 0
  while (t < o.durationS) {
    const d = Math.min(o.durationS - t, -Math.log(1 - rand()) * (on ? o.meanOnS : o.meanOffS))
    if (d > 0) {
      durations.push(d)
      rates.push((on ? o.onKbps : o.offKbps) * 1000)
      t += d
    }
    on = !on
  }
  return traceFromPeriods(`markov ${o.onKbps}/${o.offKbps} kbps seed=${o.seed}`, durations, rates)
}

export const GENERATOR_NAMES = ['constant', 'step', 'walk', 'markov'] as const

/**
 * A generator spec: `name:key=value,…`, e.g. `constant:kbps=3000`,
 * `step:kbps=5000/800,period=20`, `walk:kbps=3000,sigma=0.3,count=20`,
 * `markov:on=6000,off=300,meanOn=20,meanOff=4,count=20`. `count` makes that
 * many traces with seeds seed, seed+1, …; `seed` defaults to the session seed.
 */
export function isGeneratorSpec(spec: string): boolean {
  return (GENERATOR_NAMES as readonly string[]).includes(spec.split(':')[0]!)
}

export function generateTraceSet(spec: string, defaultSeed = 1): TraceSet {
  const [kind, rest = ''] = spec.split(/:(.*)/s) as [string, string?]
  const params = new Map<string, string>()
  for (const kv of rest.split(',').filter(Boolean)) {
    const [k, v] = kv.split('=')
    if (!k || v === undefined) throw bad(spec, `"${kv}" is not key=value`)
    params.set(k.trim(), v.trim())
  }
  const used = new Set<string>()
  const num = (key: string, def?: number): number => {
    used.add(key)
    const raw = params.get(key)
    if (raw === undefined) {
      if (def === undefined) throw bad(spec, `${key}= is required`)
      return def
    }
    const v = Number(raw)
    if (raw === '' || !Number.isFinite(v) || v < 0) throw bad(spec, `${key}=${raw} is not a non-negative number`)
    return v
  }
  const seed = num('seed', defaultSeed)
  const count = num('count', 1)
  const durationS = num('duration', DEFAULT_GENERATED_DURATION_S)
  if (!Number.isInteger(count) || count < 1) throw bad(spec, 'count= must be a positive whole number')
  if (!(durationS > 0)) throw bad(spec, 'duration= must be positive')
  const make = (s: number): Trace => {
    switch (kind) {
      case 'constant': {
        const kbps = num('kbps')
        if (!(kbps > 0)) throw bad(spec, 'kbps= must be positive')
        return constantTrace(kbps, durationS)
      }
      case 'step': {
        used.add('kbps')
        const list = (params.get('kbps') ?? '').split('/').map(Number)
        if (list.length < 1 || list.some((k) => !Number.isFinite(k) || k < 0) || !list.some((k) => k > 0))
          throw bad(spec, 'kbps= must be rates separated by "/", e.g. 5000/800')
        const period = num('period', 10)
        if (!(period > 0)) throw bad(spec, 'period= must be positive')
        return stepTrace(list, period)
      }
      case 'walk':
        return randomWalkTrace({
          kbps: num('kbps', 3000),
          sigma: num('sigma', 0.25),
          step: num('step', 1) || 1,
          minKbps: num('min', 50),
          maxKbps: num('max', 50000),
          durationS,
          seed: s,
        })
      case 'markov':
        return markovOnOffTrace({
          onKbps: num('on', 5000),
          offKbps: num('off', 200),
          meanOnS: num('meanOn', 20) || 1,
          meanOffS: num('meanOff', 4) || 1,
          durationS,
          seed: s,
        })
      default:
        throw bad(spec, `unknown generator "${kind}" (one of ${GENERATOR_NAMES.join(', ')})`)
    }
  }
  const traces = Array.from({ length: count }, (_, i) => make(seed + i))
  const unknown = [...params.keys()].filter((k) => !used.has(k))
  if (unknown.length) throw bad(spec, `unknown parameter(s) ${unknown.join(', ')}`)
  return { name: spec, traces }
}

const bad = (spec: string, msg: string) => new OclabError(ErrorCodes.BAD_TRACE, `trace generator "${spec}": ${msg}`)
