import { randomUUID } from 'node:crypto'
import { Agent, type Dispatcher } from 'undici'
import { OclabError } from '../../lib/errors.js'
import { type Title, validateTitle } from '../../lib/title-package.js'
import type { AbrPolicy, DownloadSample, Ladder, PlayerChoice, Trace } from '../index.js'
import {
  chooseAudio,
  chooseText,
  companionsByPeriod,
  ladderFromTitle,
  PlaybackAccount,
  SESSION_DEFAULTS,
  type SessionOptions,
  type SessionResult,
} from '../index.js'
import { cmcdHeaders } from './cmcd.js'
import { CandidateFetcher } from './fetcher.js'
import { sleep } from './pacer.js'

/**
 * One playback session over real HTTP: the same ABR policy and the same
 * PlaybackAccount as virtual time, but every object is a request to an OCA,
 * the body is read at the trace's rate (in real time, or `timeScale` times
 * faster), and a failed or timed-out request fails over to the next candidate
 * the way hls.js treats a failed pathway: the candidate is penalised for a
 * while and the segment is retried elsewhere.
 */
/** A player's keep-alive connection pool, bound to its source address (its coverage zone) when given. */
export const clientAgent = (localAddress?: string, keepAliveTimeout = 30_000): Agent =>
  new Agent({ ...(localAddress ? { localAddress } : {}), keepAliveTimeout })

/**
 * hls.js's fragment load policy (fragLoadPolicy.default in src/config.ts,
 * v1.7), in player ms: the two time limits, and errorRetry's delay, doubled
 * per retry up to its cap.
 */
export const LOAD_POLICY_DEFAULTS = { maxTimeToFirstByteMs: 10_000, maxLoadTimeMs: 120_000, retryDelayMs: 1000, maxRetryDelayMs: 8000 } as const

/**
 * `PlayerChoice` says what the player decodes (`decodes`: the first codec the title offers is played) and what
 * it fetches beside the video: `audio` (default true, the first rendition; a language range; false none) and
 * `subtitles` (a language; default none).
 */
export interface HttpSessionOptions extends Partial<SessionOptions>, PlayerChoice {
  titleId: string
  /** Ranked title base URLs (…/titles/<id>/, possibly signed), best first: from the steering service. */
  candidates: string[]
  policy: (ladder: Ladder) => AbrPolicy
  trace: Trace
  /** Session seconds per wall second. Default 1 (real time). */
  timeScale?: number
  /** Source address to bind (127.0.x.y picks the client's coverage zone). */
  localAddress?: string
  /**
   * Give up on a request whose response headers have not arrived this long
   * after it was sent, player (session) ms; wall ms = this / timeScale.
   * Default 10 000, hls.js's fragLoadPolicy.default.maxTimeToFirstByteMs.
   * Catches a server that accepts the connection and never answers.
   */
  maxTimeToFirstByteMs?: number
  /**
   * Give up on a request whose last byte has not arrived this long after it
   * was sent, player (session) ms; wall ms = this / timeScale. Default
   * 120 000, hls.js's fragLoadPolicy.default.maxLoadTimeMs. Catches a server
   * that stops sending mid-body and a client network that carries nothing
   * for minutes (the 3G traces have tunnels).
   */
  maxLoadTimeMs?: number
  /**
   * When every candidate failed lately, wait this long before trying the one
   * that failed longest ago, doubling per such retry up to `maxRetryDelayMs`;
   * player ms. Defaults 1000 and 8000, hls.js's fragLoadPolicy errorRetry.
   * A candidate that is not penalised is tried at once.
   */
  retryDelayMs?: number
  maxRetryDelayMs?: number
  /** How long a failed candidate is kept at the end of the list, wall ms. Default 10000 (hls.js pathway penalty is 300 s; shorter suits short tests). */
  penaltyMs?: number
  /** Failovers allowed for one segment before the session is lost. Default 8. */
  maxAttemptsPerSegment?: number
  sessionId?: string
  /** Shared keep-alive pool; default one Agent per session bound to localAddress. */
  dispatcher?: Dispatcher
  signal?: AbortSignal
  /** Called for every finished request (the load harness's latency histogram). */
  onRequest?: (r: RequestRecord) => void
}

export interface RequestRecord {
  url: string
  base: string
  kind: 'manifest' | 'init' | 'segment'
  media?: 'video' | 'audio' | 'text'
  status: number | null
  bytes: number
  /** wall ms from sending to the last byte */
  wallMs: number
  /** wall ms from sending to the response headers */
  ttfbMs: number
  error?: string
}

export interface HttpSessionResult extends SessionResult {
  sessionId: string
  failovers: number
  requests: number
  errors: Record<string, number>
  /** bytes served by each candidate base */
  servedBy: Record<string, number>
  /** The video codec played. */
  codec?: string
  /** audio bytes among them (0 when the title has no audio or `audio` was off) */
  audioBytes: number
  /** subtitle bytes among them (0 unless `subtitles` was asked) */
  textBytes: number
  /** false when every candidate failed for one segment */
  completed: boolean
  /** why a session that did not complete stopped (the error's code and message) */
  lostReason?: string
  wallSeconds: number
}

/** The policy's limits in wall ms (the player's clock runs timeScale times faster than the wall's), with hls.js's defaults. */
function fetcherFor(o: HttpSessionOptions, dispatcher: Dispatcher): CandidateFetcher {
  const timeScale = o.timeScale ?? 1
  return new CandidateFetcher({
    candidates: o.candidates,
    dispatcher,
    trace: o.trace,
    timeScale,
    ...(o.traceOffset !== undefined ? { traceOffset: o.traceOffset } : {}),
    ...(o.rtt !== undefined ? { rtt: o.rtt } : {}),
    ttfbLimitMs: (o.maxTimeToFirstByteMs ?? LOAD_POLICY_DEFAULTS.maxTimeToFirstByteMs) / timeScale,
    loadLimitMs: (o.maxLoadTimeMs ?? LOAD_POLICY_DEFAULTS.maxLoadTimeMs) / timeScale,
    retryDelayMs: o.retryDelayMs ?? LOAD_POLICY_DEFAULTS.retryDelayMs,
    maxRetryDelayMs: o.maxRetryDelayMs ?? LOAD_POLICY_DEFAULTS.maxRetryDelayMs,
    penaltyMs: o.penaltyMs ?? 10_000,
    maxAttempts: o.maxAttemptsPerSegment ?? 8,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onRequest ? { onRequest: o.onRequest } : {}),
  })
}

/** How many segments the session plays: all, or as many as reach `maxDuration` content seconds (at least one). */
function segmentsToPlay(ladder: Ladder, maxDuration: number | undefined): number {
  const n = ladder.segmentDurations.length
  if (maxDuration === undefined) return n
  let acc = 0
  let k = 0
  for (const d of ladder.segmentDurations) {
    if (acc >= maxDuration - 1e-9) break
    acc += d
    k++
  }
  return Math.max(1, k)
}

/** What a playing session holds between its steps. */
interface Playing {
  o: HttpSessionOptions
  sessionId: string
  fetcher: CandidateFetcher
  timeScale: number
  title: Title
  ladder: Ladder
  renditions: Title['video']
  policy: AbrPolicy
  play: PlaybackAccount
  /** segments to play */
  n: number
  audio: Title['audio'][number] | undefined
  text: NonNullable<Title['text']>[number] | undefined
  /** per video segment, the audio and text segments fetched with it (sim/manifest/companions.ts) */
  audioPlan: number[][]
  textPlan: number[][]
  /** what the session got so far, for the result */
  landed: number
  audioBytes: number
  textBytes: number
}

/** Fetch title.json (the player's manifest), build the ladder, the policy and the playback account, and the audio's init. */
async function openTitle(
  o: HttpSessionOptions,
  sessionId: string,
  fetcher: CandidateFetcher,
  timeScale: number,
  started: (p: Playing) => void,
): Promise<Playing> {
  const meta = await fetcher.get('title.json', 'manifest', cmcdHeaders({ sessionId, contentId: o.titleId, objectType: 'm', format: 'h', startup: true }), false)
  const title = validateTitle(JSON.parse((meta.body ?? Buffer.alloc(0)).toString('utf8')), `title.json of ${o.titleId}`)
  const ladder = ladderFromTitle(title, title.id, o)
  const byId = new Map(title.video.map((v) => [v.id, v]))
  const renditions = ladder.rungs.map((r) => byId.get(r.id)!)
  const policy = o.policy(ladder)
  const opts: SessionOptions = { ...SESSION_DEFAULTS, ...o }
  const play = new PlaybackAccount(ladder, {
    bufferCap: opts.bufferCap,
    startupThreshold: opts.startupThreshold ?? ladder.segmentDuration,
    rebufferThreshold: opts.rebufferThreshold ?? ladder.segmentDuration,
    record: opts.record,
    qoe: opts.qoe,
  })
  const audio = chooseAudio(title, o.audio ?? true)
  const text = chooseText(title, o.subtitles)
  const video = renditions[0]!.segments
  const ends = video.map((s) => s.start + s.duration)
  const p: Playing = {
    o,
    sessionId,
    fetcher,
    timeScale,
    title,
    ladder,
    renditions,
    policy,
    play,
    n: segmentsToPlay(ladder, opts.maxDuration),
    audio,
    text,
    audioPlan: audio ? companionsByPeriod(ends, audio.segments) : [],
    textPlan: text ? companionsByPeriod(ends, text.segments) : [],
    landed: 0,
    audioBytes: 0,
    textBytes: 0,
  }
  started(p)
  if (audio) {
    await fetcher.get(
      audio.init.path,
      'init',
      cmcdHeaders({ sessionId, contentId: o.titleId, objectType: 'i', format: 'h', bitrate: audio.bandwidth }),
      false,
      'audio',
    )
    catchUp(p)
  }
  return p
}

/** Bring the playback account to the wall clock (in session time). */
const catchUp = (p: Playing): void => p.play.advance(p.fetcher.sessionNow() - p.play.t)

/** Wait `seconds` of session time, then catch up. */
async function waitSession(p: Playing, seconds: number): Promise<void> {
  await sleep((seconds * 1000) / p.timeScale, p.o.signal)
  catchUp(p)
}

/**
 * The audio and subtitle segments that go with video segment `i` (sim/manifest/companions.ts: by time, since
 * shot-based titles cut video at shots and audio at the target duration), fetched after it on the same link;
 * resolves to their bytes. Counted as they land: a session lost on a later request still reports them.
 */
async function fetchCompanions(p: Playing, i: number, measuredThroughput: number | undefined): Promise<number> {
  let bytes = 0
  const tracks = [
    { rendition: p.audio, plan: p.audioPlan, media: 'audio' as const, objectType: 'a' as const },
    { rendition: p.text, plan: p.textPlan, media: 'text' as const, objectType: 'c' as const },
  ]
  for (const { rendition, plan, media, objectType } of tracks) {
    if (!rendition) continue
    for (const k of plan[i] ?? []) {
      const seg = rendition.segments[k]!
      const got = await p.fetcher.get(
        seg.uri,
        'segment',
        cmcdHeaders({
          sessionId: p.sessionId,
          contentId: p.o.titleId,
          objectType,
          format: 'h',
          bitrate: rendition.bandwidth,
          duration: seg.duration,
          bufferLength: p.play.buffer,
          measuredThroughput,
          startup: !p.play.playing,
        }),
        true,
        media,
      )
      bytes += got.bytes
      if (media === 'audio') p.audioBytes += got.bytes
      else p.textBytes += got.bytes
    }
  }
  return bytes
}

/** The per-segment loop: wait for buffer room, let the policy choose, fetch the init once per rung, the segment and its audio, land it. */
async function playSegments(p: Playing): Promise<void> {
  const { o, sessionId, fetcher, ladder, policy, play, n } = p
  const inits = new Set<number>()
  const sample: DownloadSample = { segmentIndex: 0, rung: 0, bytes: 0, requestTime: 0, ttfb: 0, duration: 0, bufferLevel: 0 }
  let lastThroughput: number | undefined
  const top = ladder.bitrates[ladder.bitrates.length - 1]!
  for (let i = 0; i < n; i++) {
    const segDur = ladder.segmentDurations[i]!
    catchUp(p)
    const wait = play.waitForRoom(segDur)
    if (wait > 0) await waitSession(p, wait)
    const rung = policy.chooseRung(play.abrState(i))
    // BOLA-O / BOLA-E may ask to pause before the request rather than overfill the buffer.
    const pause = policy.requestDelay ? policy.requestDelay() : 0
    if (pause > 0) await waitSession(p, pause)
    const rendition = p.renditions[rung]!
    if (!inits.has(rung)) {
      await fetcher.get(
        rendition.init.path,
        'init',
        cmcdHeaders({ sessionId, contentId: o.titleId, objectType: 'i', format: 'h', bitrate: rendition.bandwidth }),
        false,
      )
      inits.add(rung)
      catchUp(p)
    }
    const reqStart = play.t
    const segment = rendition.segments[i]!
    const got = await fetcher.get(
      segment.uri,
      'segment',
      cmcdHeaders({
        sessionId,
        contentId: o.titleId,
        objectType: 'v',
        format: 'h',
        bitrate: ladder.bitrates[rung]!,
        duration: segDur,
        bufferLength: play.buffer,
        measuredThroughput: lastThroughput,
        topBitrate: top,
        startup: !play.playing,
      }),
      true,
      'video',
    )
    // The segment plays once its audio (and subtitles) are in too. The estimate takes the video's bytes over the
    // whole time, as virtual time's does (sim/engine/engine.ts): hls.js samples main-playlist fragments only.
    const bytes = got.bytes + (await fetchCompanions(p, i, lastThroughput))
    catchUp(p)
    play.land(i, rung, bytes, 0, reqStart, i === n - 1)
    p.landed++
    sample.segmentIndex = i
    sample.rung = rung
    sample.bytes = got.bytes
    sample.requestTime = reqStart
    sample.ttfb = ((got.ttfbWall - fetcher.wallStart) / 1000) * p.timeScale - reqStart
    sample.duration = play.t - reqStart
    sample.bufferLevel = play.buffer
    lastThroughput = sample.duration > 0 ? (got.bytes * 8) / sample.duration : undefined
    policy.onDownload(sample)
  }
}

export async function runHttpSession(o: HttpSessionOptions): Promise<HttpSessionResult> {
  const sessionId = o.sessionId ?? randomUUID()
  const timeScale = o.timeScale ?? 1
  const dispatcher = o.dispatcher ?? clientAgent(o.localAddress)
  const fetcher = fetcherFor(o, dispatcher)
  // set as soon as the title is open: a session lost later still reports what it played
  let playing: Playing | null = null
  let lostReason: string | undefined
  try {
    await playSegments(await openTitle(o, sessionId, fetcher, timeScale, (p) => (playing = p)))
  } catch (err) {
    if (o.signal?.aborted || !(err instanceof OclabError)) throw err
    lostReason = `${err.code}: ${err.message}`
  } finally {
    if (!o.dispatcher) await (dispatcher as Agent).close()
  }
  return sessionResult(o, sessionId, fetcher, playing, lostReason)
}

/** The result: the fetcher's counts, and the playback's metrics when a segment landed (a lost session reports what it played). */
function sessionResult(
  o: HttpSessionOptions,
  sessionId: string,
  fetcher: CandidateFetcher,
  p: Playing | null,
  lostReason: string | undefined,
): HttpSessionResult {
  const wallSeconds = (performance.now() - fetcher.wallStart) / 1000
  const { failovers, requests, errors, servedBy } = fetcher
  const base = {
    sessionId,
    failovers,
    requests,
    errors,
    servedBy,
    ...(p?.ladder.codec ? { codec: p.ladder.codec } : {}),
    audioBytes: p?.audioBytes ?? 0,
    textBytes: p?.textBytes ?? 0,
    completed: lostReason === undefined,
    ...(lostReason ? { lostReason } : {}),
    wallSeconds,
    algorithm: p?.policy.name ?? '',
    trace: o.trace.name,
    ladder: p?.ladder.name ?? o.titleId,
  }
  if (!p || p.landed === 0) return { ...base, completed: false, metrics: emptyMetrics() }
  const { metrics, timeline } = p.play.finish(p.landed)
  if (p.audio || p.text) metrics.companionBytes = p.audioBytes + p.textBytes
  return timeline ? { ...base, metrics, timeline } : { ...base, metrics }
}

function emptyMetrics(): SessionResult['metrics'] {
  return {
    segments: 0,
    startupDelay: NaN,
    rebufferCount: 0,
    rebufferTime: 0,
    averageBitrate: NaN,
    averageQuality: null,
    qualityMetric: null,
    switches: 0,
    switchesUp: 0,
    switchesDown: 0,
    averageSwitchSize: 0,
    bytesDownloaded: 0,
    bytesPlayed: 0,
    wasteRatio: 0,
    abandonments: 0,
    timeAtRung: [],
    boundaryCrossings: [],
    qoe: NaN,
    qoePerSegment: NaN,
    sessionTime: 0,
  }
}
