import { ErrorCodes, OclabError } from '../../lib/errors.js'
import type { Ladder } from '../manifest/ladder.js'
import { ESTIMATOR_NAMES } from './estimators.js'
import type { AbrParams, AbrParamValue } from './types.js'

/**
 * Every tunable of every ABR rule, with each reference's default and where it
 * comes from. A profile (`--profile hlsjs|dashjs|sabre`) is a column of this
 * table; `--set alg.name=value` overrides one cell; `oclab sim params` prints it.
 */
export const PROFILES = ['sabre', 'dashjs', 'hlsjs'] as const
export type ProfileName = (typeof PROFILES)[number]
/** Sabre sizes BOLA from the buffer it is given, so it is sane on any buffer cap. */
export const DEFAULT_PROFILE: ProfileName = 'sabre'

type Computed = { text: string; compute: (ladder: Ladder) => number }
type Default = AbrParamValue | Computed

export interface ParamSpec {
  name: string
  help: string
  choices?: readonly string[]
  defaults: Record<ProfileName, Default>
}

const all = (v: Default): Record<ProfileName, Default> => ({ sabre: v, dashjs: v, hlsjs: v })
const per = (sabre: Default, dashjs: Default, hlsjs: Default): Record<ProfileName, Default> => ({ sabre, dashjs, hlsjs })
const segmentsOf = (halfLife: number): Computed => ({ text: `${halfLife} s ÷ segment duration`, compute: (l) => halfLife / l.segmentDuration })

const ESTIMATOR: ParamSpec[] = [
  // dash.js 5.2.1 defaults streaming.abr.throughput.averageCalculationMode to EWMA (v4.7's movingAverageMethod was slidingWindow).
  {
    name: 'estimator',
    choices: ESTIMATOR_NAMES,
    defaults: per('ewma', 'ewma', 'hlsjs'),
    help: 'throughput estimator: ewma (dash.js 5 default averageCalculationMode EWMA; Sabre dual EWMA; latency excluded), sliding (mean of the last downloads: dash.js THROUGHPUT_CALCULATION_MODES.SLIDING_WINDOW, Sabre -ma sliding), hlsjs (hls.js EwmaBandwidthEstimator)',
  },
  { name: 'ewmaFast', defaults: all(3), help: 'ewma: fast half-life, seconds of transfer (dash.js EWMA_THROUGHPUT_FAST_HALF_LIFE_SECONDS; Sabre -hl)' },
  { name: 'ewmaSlow', defaults: all(8), help: 'ewma: slow half-life, seconds of transfer (dash.js EWMA_THROUGHPUT_SLOW_HALF_LIFE_SECONDS; Sabre -hl)' },
  // dash.js 5.2.1 weighs an EWMA sample by weightDownloadTimeMultiplicationFactor (0.0015) × download ms, i.e. 1.5 per
  // second of transfer, so its 3 s / 8 s half-lives pass in 2 s / 5.3 s of transfer; Sabre weighs by seconds (1).
  {
    name: 'ewmaWeight',
    defaults: per(1, 1.5, 1),
    help: 'ewma: sample weight per second of transfer (dash.js 5 streaming.abr.throughput.ewma.weightDownloadTimeMultiplicationFactor 0.0015 per ms = 1.5; Sabre 1)',
  },
  {
    name: 'latencyFast',
    defaults: per(segmentsOf(3), 1, 1),
    help: 'ewma: latency fast half-life in downloads (dash.js EWMA_LATENCY_FAST_HALF_LIFE_COUNT 1; Sabre: 3 s ÷ segment duration)',
  },
  {
    name: 'latencySlow',
    defaults: per(segmentsOf(8), 2, 2),
    help: 'ewma: latency slow half-life in downloads (dash.js EWMA_LATENCY_SLOW_HALF_LIFE_COUNT 2; Sabre: 8 s ÷ segment duration)',
  },
  { name: 'window', defaults: per(3, 4, 4), help: 'sliding: downloads averaged (dash.js 5 streaming.abr.throughput.sampleSettings.vod 4; Sabre -ws 3)' },
  {
    name: 'windowExpand',
    defaults: per(0, 1, 1),
    help: 'sliding: 1 widens the window for each ×1.3 jump between neighbours (dash.js getSampleSize), 0 not (Sabre)',
  },
  { name: 'hlsFast', defaults: all(3), help: 'hlsjs: abrEwmaFastVoD half-life, seconds (hls.js src/config.ts)' },
  { name: 'hlsSlow', defaults: all(9), help: 'hlsjs: abrEwmaSlowVoD half-life, seconds (hls.js src/config.ts)' },
  { name: 'hlsDefaultEstimate', defaults: all(5e5), help: 'hlsjs: abrEwmaDefaultEstimate, bit/s before the first download (hls.js src/config.ts)' },
]

const START: ParamSpec = {
  name: 'startBitrate',
  defaults: per(0, 1e6, -1),
  help: "first segment: the highest rung at most this many bit/s (Sabre get_first_quality: lowest, 0; dash.js DEFAULT_VIDEO_BITRATE 1000 kbit/s); -1: hls.js's throughput rule chooses from abrEwmaDefaultEstimate (other rules: lowest)",
}

const SAFE: ParamSpec[] = [
  {
    name: 'safetyFactor',
    defaults: all(0.9),
    help: 'share of the estimate a rung may use (dash.js bandwidthSafetyFactor; Sabre ThroughputRule.safety_factor)',
  },
  {
    name: 'ibr',
    choices: ['sabre', 'dashjs', 'off'],
    defaults: per('sabre', 'dashjs', 'off'),
    help: "insufficient-buffer rule: sabre (inside Sabre's ThroughputRule/BolaEnh), dashjs (InsufficientBufferRule), off",
  },
  { name: 'ibrSafetyInit', defaults: all(0.9), help: 'sabre ibr: initial safety, also its per-decision decay (Sabre low_buffer_safety_factor_init)' },
  { name: 'ibrSafetyMin', defaults: all(0.5), help: 'sabre ibr: safety floor (Sabre low_buffer_safety_factor)' },
  {
    name: 'ibrDashSafety',
    defaults: per(0.5, 0.7, 0.5),
    help: 'dashjs ibr: share of throughput × buffer/segment (dash.js 5.2.1 rules.insufficientBufferRule.parameters.throughputSafetyFactor 0.7; v4.7 INSUFFICIENT_BUFFER_SAFETY_FACTOR 0.5)',
  },
  START,
  {
    name: 'abandon',
    choices: ['sabre', 'dashjs', 'hlsjs'],
    defaults: per('sabre', 'dashjs', 'hlsjs'),
    help: 'abandonment rule used with --abandon: sabre (ThroughputRule.check_abandon), dashjs (AbandonRequestsRule), hlsjs (abr-controller _abandonRulesCheck)',
  },
  {
    name: 'abandonMultiplier',
    defaults: all(1.8),
    help: 'abandon when the download would take longer than this × the segment (dash.js abandonMultiplier; Sabre abandon_multiplier)',
  },
  {
    name: 'abandonGrace',
    defaults: all(0.5),
    help: 'seconds before abandoning (dash.js graceTimeThreshold, after the first byte; Sabre abandon_grace_time, after the request)',
  },
  {
    name: 'abandonMinSamples',
    defaults: per(5, 6, 5),
    help: 'dashjs abandonment: progress samples before deciding (dash.js 5.2.1 rules.abandonRequestsRule.parameters.minThroughputSamplesThreshold 6; v4.7 minLengthToAverage 5)',
  },
  // dash.js 5.2.1 reads streaming.buffer.bufferTimeDefault (18 s) where v4.7 read stableBufferTime (12 s): in
  // AbandonRequestsRule and as BolaRule's buffer-target floor. DYNAMIC's switch point is its own setting now (below).
  {
    name: 'stableBufferTime',
    defaults: per(12, 18, 12),
    help: 'no dashjs abandonment above this buffer; dash.js BOLA-E target floor (dash.js 5.2.1 streaming.buffer.bufferTimeDefault 18; v4.7 stableBufferTime 12)',
  },
  {
    name: 'hybridSwitchBufferTime',
    defaults: all(12),
    help: 'dashjs DYNAMIC: BOLA-E above this buffer, throughput below half of it (dash.js 5.2.1 streaming.abr.hybridSwitchBufferTime 12; v4.7 stableBufferTime 12)',
  },
  ...ESTIMATOR,
]

const HLS_THROUGHPUT: ParamSpec[] = [
  { name: 'abrEwmaFastVoD', defaults: all(3), help: 'hlsjs variant: fast EWMA half-life, seconds (hls.js src/config.ts)' },
  { name: 'abrEwmaSlowVoD', defaults: all(9), help: 'hlsjs variant: slow EWMA half-life, seconds (hls.js src/config.ts)' },
  { name: 'abrEwmaDefaultEstimate', defaults: all(5e5), help: 'hlsjs variant: estimate before the first download, bit/s (hls.js src/config.ts)' },
  { name: 'abrBandWidthFactor', defaults: all(0.95), help: 'hlsjs variant: share of the estimate usable to stay or switch down (hls.js src/config.ts)' },
  { name: 'abrBandWidthUpFactor', defaults: all(0.7), help: 'hlsjs variant: share usable to switch up (hls.js src/config.ts)' },
  { name: 'maxStarvationDelay', defaults: all(4), help: 'hlsjs variant: seconds of rebuffering tolerated when no rung avoids it (hls.js src/config.ts)' },
]

const BOLA: ParamSpec[] = [
  { name: 'gammaP', defaults: all(5), help: 'BOLA γp added to the utilities (Sabre -gp 5)' },
  {
    name: 'bufferTarget',
    defaults: all(-1),
    help: 'BOLA: buffer at which the top rung wins; -1: the buffer cap (Sabre Bola). BOLA-E: -1 is the reference formula, Sabre max(10 + 2 × rungs, buffer cap), dash.js max(stableBufferTime, 10 + 2 × rungs)',
  },
]

const BOLAE: ParamSpec[] = [
  { name: 'minimumBuffer', defaults: all(10), help: 'BOLA-E Q_min, seconds (dash.js MINIMUM_BUFFER_S; Sabre BolaEnh.minimum_buffer)' },
  {
    name: 'minimumBufferPerLevel',
    defaults: all(2),
    help: 'BOLA-E target seconds per rung (dash.js MINIMUM_BUFFER_PER_BITRATE_LEVEL_S; Sabre minimum_buffer_per_level)',
  },
  {
    name: 'upSwitch',
    choices: ['u', 'o'],
    defaults: per('u', 'o', 'u'),
    help: 'BOLA-E up-switch capped by throughput: u one rung above the sustainable one (Sabre default), o at it (dash.js)',
  },
  {
    name: 'capSafety',
    defaults: per(1, 0.9, 1),
    help: 'BOLA-E share of throughput for the cap and startup (Sabre raw throughput 1; dash.js getSafeAverageThroughput 0.9)',
  },
  { name: 'placeholderDecay', defaults: per(1, 0.99, 1), help: 'BOLA-E placeholder kept per segment (dash.js PLACEHOLDER_BUFFER_DECAY 0.99; Sabre none, 1)' },
]

const BOLA_VARIANT: ParamSpec = {
  name: 'variant',
  choices: ['u', 'o', 'basic'],
  defaults: all('u'),
  help: 'BOLA-U (Sabre default), BOLA-O (Sabre -ao: stop at the sustainable rung and pause) or BOLA-BASIC (INFOCOM 2016: buffer only)',
}
const BOLAE_VARIANT: ParamSpec = {
  name: 'variant',
  choices: ['sabre', 'dashjs'],
  defaults: per('sabre', 'dashjs', 'sabre'),
  help: 'whose BOLA-E: sabre (BolaEnh) or dashjs (BolaRule)',
}

/** The parameter table, per algorithm. BBA and MPC have one set of defaults (their papers'); profiles leave them alone. */
export const PARAM_SPECS: Record<string, ParamSpec[]> = {
  throughput: [
    {
      name: 'variant',
      choices: ['sabre', 'dashjs', 'hlsjs'],
      defaults: per('sabre', 'dashjs', 'hlsjs'),
      help: 'whose throughput rule: sabre (ThroughputRule), dashjs (ThroughputRule + InsufficientBufferRule) or hlsjs (abr-controller findBestLevel)',
    },
    ...HLS_THROUGHPUT,
    ...SAFE,
  ],
  bola: [BOLA_VARIANT, ...BOLA, ...SAFE],
  bolae: [BOLAE_VARIANT, ...BOLA.slice(1), ...BOLAE, ...SAFE],
  dynamic: [
    {
      name: 'variant',
      choices: ['sabre', 'dashjs'],
      defaults: per('sabre', 'dashjs', 'sabre'),
      help: 'whose DYNAMIC: sabre (Dynamic: BOLA-U and ThroughputRule, 10 s) or dashjs (BOLA-E above hybridSwitchBufferTime, throughput below half of it)',
    },
    {
      name: 'switchThreshold',
      defaults: all(10),
      help: 'sabre variant: buffer level switching between throughput and BOLA (Sabre Dynamic.low_buffer_threshold 10 s)',
    },
    { name: 'bolaVariant', choices: ['u', 'o', 'basic'], defaults: all('u'), help: "sabre variant: its BOLA's form (Sabre -ao gives o)" },
    ...BOLA,
    ...BOLAE,
    ...SAFE,
  ],
  bba: [
    { name: 'reservoir', defaults: all(5), help: 'BBA-0 reservoir, seconds (Pensieve bb.py RESEVOIR)' },
    { name: 'cushion', defaults: all(10), help: 'BBA-0 cushion, seconds (Pensieve bb.py CUSHION)' },
  ],
  mpc: [
    { name: 'horizon', defaults: all(5), help: 'segments looked ahead (Yin et al. 2015; Pensieve mpc.py)' },
    { name: 'window', defaults: all(5), help: 'past downloads in the harmonic mean (Pensieve mpc.py)' },
    { name: 'rebufferPenalty', defaults: all(4.3), help: 'QoE weight per second of rebuffering (Pensieve mpc.py REBUF_PENALTY)' },
    { name: 'switchPenalty', defaults: all(1), help: 'QoE weight per Mbit/s of switch (Pensieve mpc.py SMOOTH_PENALTY)' },
  ],
}
PARAM_SPECS.robustmpc = PARAM_SPECS.mpc!

export function defaultText(d: Default): string {
  return typeof d === 'object' ? d.text : String(d)
}

/**
 * The full parameter set of one algorithm: the profile's column, then the
 * overrides, each checked against the table (unknown names, non-numbers
 * where a number is due and unknown variants are BAD_CONFIG errors).
 */
export function resolveParams(algorithm: string, ladder: Ladder, profile: ProfileName = DEFAULT_PROFILE, overrides: AbrParams = {}): AbrParams {
  const specs = PARAM_SPECS[algorithm]
  if (!specs) throw new OclabError(ErrorCodes.BAD_CONFIG, `unknown ABR algorithm "${algorithm}"`)
  // Built in one piece (Object.fromEntries), not key by key: V8 turns an object that gains this many properties by
  // keyed stores into a hash-table dictionary, and every `params.x` a rule reads per decision becomes a slow lookup.
  const out: AbrParams = Object.fromEntries(
    specs.map((s) => {
      const d = s.defaults[profile]
      return [s.name, typeof d === 'object' ? d.compute(ladder) : d]
    }),
  )
  for (const [k, v] of Object.entries(overrides)) {
    const spec = specs.find((s) => s.name === k)
    if (!spec) throw new OclabError(ErrorCodes.BAD_CONFIG, `${algorithm} has no parameter "${k}" (see oclab sim params ${algorithm})`)
    if (spec.choices) {
      if (!spec.choices.includes(String(v)))
        throw new OclabError(ErrorCodes.BAD_CONFIG, `${algorithm}.${k} must be one of ${spec.choices.join(', ')}, got "${v}"`)
      out[k] = String(v)
    } else {
      const n = Number(v)
      if (typeof v === 'string' && v.trim() === '') throw new OclabError(ErrorCodes.BAD_CONFIG, `${algorithm}.${k} must be a number`)
      if (!Number.isFinite(n)) throw new OclabError(ErrorCodes.BAD_CONFIG, `${algorithm}.${k} must be a number, got "${v}"`)
      out[k] = n
    }
  }
  return out
}

/** `throughput.safetyFactor=0.8` → ['throughput', 'safetyFactor', '0.8']. */
export function parseSetting(spec: string): { algorithm: string; name: string; value: string } {
  const m = /^([a-z]+)\.([A-Za-z]+)=(.+)$/.exec(spec.trim())
  if (!m) throw new OclabError(ErrorCodes.USAGE, `--set expects alg.name=value (e.g. bola.gammaP=4), got "${spec}"`)
  return { algorithm: m[1]!, name: m[2]!, value: m[3]! }
}
