/** The ABR player simulator's public API: `oclab sim` is a thin layer over it. */

export { videoCodecFamily } from '../lib/media/codec-strings.js'
export { DashAbandonRule, hlsAbandonRule, sabreAbandonRule } from './abr/abandon.js'
export { BBA_DEFAULTS, Bba } from './abr/bba.js'
export { Bola, bolaParameters } from './abr/bola.js'
export { BolaE } from './abr/bolae.js'
export { Dynamic } from './abr/dynamic.js'
export { DualEwmaEstimator, HlsEstimator, rungForThroughput, SlidingWindowEstimator, type ThroughputEstimator } from './abr/estimators.js'
export { MPC_DEFAULTS, Mpc } from './abr/mpc.js'
export { DEFAULT_PROFILE, defaultText, PARAM_SPECS, type ParamSpec, PROFILES, type ProfileName, parseSetting, resolveParams } from './abr/params.js'
export { ABR_FAMILY, ABR_NAMES, type AbrOptions, createAbr } from './abr/registry.js'
export { THROUGHPUT_DEFAULTS, ThroughputRule } from './abr/throughput.js'
export { SafeThroughputRule } from './abr/throughput-safe.js'
export type { AbrContext, AbrFactory, AbrParams, AbrPolicy, AbrState, DownloadProgress, DownloadSample } from './abr/types.js'
export { runSession, SESSION_DEFAULTS, type SegmentRecord, type SessionOptions, type SessionResult, type SessionTimeline } from './engine/engine.js'
export type { SummaryField } from './engine/metrics.js'
export { type Distribution, distribution, QOE_DEFAULTS, type QoeWeights, type SessionMetrics, summarize } from './engine/metrics.js'
export { PlaybackAccount } from './engine/playback.js'
export { runSweep, type SweepCell, type SweepInput, type SweepProgress, type SweepResult } from './engine/sweep.js'
export { type LadderVerdict, ladderVerdict, VERDICT_DEFAULTS, type VerdictThresholds } from './engine/verdicts.js'
export { companionBytes, companionsByPeriod, type TimedSegment } from './manifest/companions.js'
export {
  chooseCodec,
  DEVICE_NAMES,
  DEVICE_PROFILES,
  type DeviceProfile,
  deviceCodecs,
  type PlayerChoice,
  parseCodecList,
  playedCodec,
  type VideoCodec,
} from './manifest/device.js'
export { type Companions, type Ladder, makeLadder, type QualityMetric, type Rung, type RungInput, syntheticLadder } from './manifest/ladder.js'
export { DEFAULT_MAX_INPUT_BYTES } from './manifest/limits.js'
export { loadDashLadder } from './manifest/read-dash.js'
export { loadHlsLadder } from './manifest/read-hls.js'
export { displayName, fetchBytes, fetchText, toUrl } from './manifest/read-input.js'
export { loadLadder } from './manifest/read-ladder.js'
export { type SabreMovie, sabreMovieFromLadder } from './manifest/read-sabre-movie.js'
export { ladderFromTitle, loadTitleLadder } from './manifest/read-title.js'
export { chooseAudio, chooseText, languageMatches } from './manifest/tracks.js'
export { buildHtmlReport } from './report/html.js'
export { formatComparison, formatSweepTable, textTable } from './report/table.js'
export { parseCookedTrace } from './trace/cooked.js'
export { parseCsvTrace } from './trace/csv.js'
export { constantTrace, generateTraceSet, markovOnOffTrace, randomWalkTrace, stepTrace } from './trace/generators.js'
export { parseJsonTrace } from './trace/json.js'
export { parseMahimahiTrace } from './trace/mahimahi.js'
export type { TraceSetOptions } from './trace/read.js'
export { detectTraceFormat, loadTraceSet, parseTrace, readTraceFile, scaleTrace, type TraceFormat } from './trace/read.js'
export { Trace, type TraceSet, traceFromPeriods } from './trace/trace.js'
