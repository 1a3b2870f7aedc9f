import { randomUUID } from 'node:crypto'
import { Agent, request, type Dispatcher } from 'undici'
import { ErrorCodes, OclabError } from '../../lib/errors.js'
import { validateTitle, type Title } from '../../lib/title-package.js'
import { ladderFromTitle } from '../manifest/read-title.js'
import type { Ladder } from '../manifest/ladder.js'
import type { Trace } from '../trace/trace.js'
import type { AbrPolicy, DownloadSample } from '../abr/types.js'
import { SESSION_DEFAULTS, type SessionOptions, type SessionResult } from '../engine/engine.js'
import { PlaybackAccount } from '../engine/playback.js'
import { cmcdHeaders } from './cmcd.js'
import { pacedRead, sleep } from './pacer.js'

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

export interface HttpSessionOptions extends Partial<SessionOptions> {
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
  /**
   * Fetch the title's first audio rendition beside the video, segment for
   * segment, on the same network (as a player does); default true. Virtual
   * time models video only, so a comparison with it turns this off.
   */
  audio?: boolean
}

export interface RequestRecord {
  url: string
  base: string
  kind: 'manifest' | 'init' | 'segment'
  media?: 'video' | 'audio'
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
  /** audio bytes among them (0 when the title has no audio or `audio` was off) */
  audioBytes: number
  /** false when every candidate failed for one segment */
  completed: boolean
  /** why a session that did not complete stopped (the error's code and message) */
  lostReason?: string
  wallSeconds: number
}

interface Fetched {
  body: Buffer | null
  bytes: number
  ttfbWall: number
}

export async function runHttpSession(o: HttpSessionOptions): Promise<HttpSessionResult> {
  const sessionId = o.sessionId ?? randomUUID()
  const timeScale = o.timeScale ?? 1
  // the player's clock runs timeScale times faster than the wall's
  const ttfbLimitMs = (o.maxTimeToFirstByteMs ?? LOAD_POLICY_DEFAULTS.maxTimeToFirstByteMs) / timeScale
  const loadLimitMs = (o.maxLoadTimeMs ?? LOAD_POLICY_DEFAULTS.maxLoadTimeMs) / timeScale
  const retryDelayMs = o.retryDelayMs ?? LOAD_POLICY_DEFAULTS.retryDelayMs
  const maxRetryDelayMs = o.maxRetryDelayMs ?? LOAD_POLICY_DEFAULTS.maxRetryDelayMs
  const penaltyMs = o.penaltyMs ?? 10_000
  const maxAttempts = o.maxAttemptsPerSegment ?? 8
  const dispatcher = o.dispatcher ?? clientAgent(o.localAddress)
  const ownDispatcher = !o.dispatcher
  const penalised = new Map<string, number>()
  const errors: Record<string, number> = {}
  const servedBy: Record<string, number> = {}
  let failovers = 0
  let requests = 0
  const wallStart = performance.now()
  const sessionNow = () => ((performance.now() - wallStart) / 1000) * timeScale

  const ranked = (): string[] => {
    const now = performance.now()
    const ok = o.candidates.filter((c) => (penalised.get(c) ?? 0) <= now)
    // then the penalised, the one whose penalty ends first (it failed longest ago) first
    return [...ok, ...o.candidates.filter((c) => !ok.includes(c)).sort((a, b) => penalised.get(a)! - penalised.get(b)!)]
  }

  /** GET path on the best candidate, failing over; `pace` reads the body at the trace's rate. */
  const get = async (path: string, kind: RequestRecord['kind'], headers: Record<string, string>, pace: boolean, media?: RequestRecord['media']): Promise<Fetched> => {
    let waits = 0
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const base = ranked()[0]!
      // every candidate failed lately: back off before going round again, as hls.js does,
      // instead of spending every attempt at once on a node that is restarting
      if ((penalised.get(base) ?? 0) > performance.now()) await sleep(Math.min(maxRetryDelayMs, retryDelayMs * 2 ** waits++) / timeScale, o.signal)
      const url = new URL(path, base).href
      const sent = performance.now()
      let status: number | null = null
      const ac = new AbortController()
      const ttfbTimer = setTimeout(() => ac.abort(new Error('timeout')), ttfbLimitMs)
      // bodyTimeout 0 below: a paced read pauses the socket on purpose, so the
      // bound on the body is this one, on the whole load, as hls.js's is
      const loadTimer = setTimeout(() => ac.abort(new Error('timeout')), loadLimitMs)
      const onAbort = () => ac.abort(o.signal!.reason)
      o.signal?.addEventListener('abort', onAbort, { once: true })
      try {
        requests++
        if (pace) {
          const latency = o.trace.latencyAt((o.traceOffset ?? 0) + sessionNow()) ?? o.rtt ?? SESSION_DEFAULTS.rtt
          await sleep((latency * 1000) / timeScale, ac.signal)
        }
        const res = await request(url, { dispatcher, headers, signal: ac.signal, bodyTimeout: 0 })
        clearTimeout(ttfbTimer)
        status = res.statusCode
        const ttfbWall = performance.now()
        if (status !== 200) {
          await res.body.dump()
          throw new Error(`HTTP ${status}`)
        }
        let body: Buffer | null = null
        let bytes: number
        if (pace) {
          bytes = await pacedRead(res.body, { trace: o.trace, traceStart: (o.traceOffset ?? 0) + sessionNow(), wallStart: ttfbWall, timeScale, signal: ac.signal })
        } else {
          body = Buffer.from(await res.body.arrayBuffer())
          bytes = body.length
        }
        const expected = Number(res.headers['content-length'])
        if (Number.isFinite(expected) && expected !== bytes) throw new Error(`short body: ${bytes} of ${expected} bytes`)
        servedBy[base] = (servedBy[base] ?? 0) + bytes
        o.onRequest?.({ url, base, kind, ...(media ? { media } : {}), status, bytes, wallMs: performance.now() - sent, ttfbMs: ttfbWall - sent })
        return { body, bytes, ttfbWall }
      } catch (err) {
        if (o.signal?.aborted) throw err
        const reason = (err as Error).message === 'timeout' || ac.signal.reason?.message === 'timeout' ? 'timeout' : status ? `http-${status}` : 'connection'
        errors[reason] = (errors[reason] ?? 0) + 1
        o.onRequest?.({ url, base, kind, ...(media ? { media } : {}), status, bytes: 0, wallMs: performance.now() - sent, ttfbMs: -1, error: reason })
        penalised.set(base, performance.now() + penaltyMs)
        if (o.candidates.length > 1) failovers++
      } finally {
        clearTimeout(ttfbTimer)
        clearTimeout(loadTimer)
        o.signal?.removeEventListener('abort', onAbort)
      }
    }
    throw new OclabError(ErrorCodes.NOT_FOUND, `${path}: every candidate failed ${maxAttempts} times`)
  }

  let title: Title
  let completed = true
  let lostReason: string | undefined
  let n = 0
  let landed = 0
  let play: PlaybackAccount | null = null
  let policyName = ''
  let ladder: Ladder | null = null
  let audioBytes = 0
  try {
    const meta = await get('title.json', 'manifest', cmcdHeaders({ sessionId, contentId: o.titleId, objectType: 'm', format: 'h', startup: true }), false)
    title = validateTitle(JSON.parse(meta.body!.toString('utf8')), `title.json of ${o.titleId}`)
    ladder = ladderFromTitle(title)
    const byId = new Map(title.video.map((v) => [v.id, v]))
    const renditions = ladder.rungs.map((r) => byId.get(r.id)!)
    const policy = o.policy(ladder)
    policyName = policy.name
    const opts: SessionOptions = { ...SESSION_DEFAULTS, ...o }
    n = ladder.segmentDurations.length
    if (opts.maxDuration !== undefined) {
      let acc = 0
      let k = 0
      while (k < n && acc < opts.maxDuration - 1e-9) acc += ladder.segmentDurations[k++]!
      n = Math.max(1, k)
    }
    play = new PlaybackAccount(ladder, {
      bufferCap: opts.bufferCap,
      startupThreshold: opts.startupThreshold ?? ladder.segmentDuration,
      rebufferThreshold: opts.rebufferThreshold ?? ladder.segmentDuration,
      record: opts.record,
      qoe: opts.qoe,
    })
    const audio = o.audio === false ? undefined : title.audio[0]
    if (audio) {
      await get(audio.init.path, 'init', cmcdHeaders({ sessionId, contentId: o.titleId, objectType: 'i', format: 'h', bitrate: audio.bandwidth }), false, 'audio')
      play.advance(sessionNow() - play.t)
    }
    const inits = new Set<number>()
    let nextAudio = 0
    const sample: DownloadSample = { segmentIndex: 0, rung: 0, bytes: 0, requestTime: 0, ttfb: 0, duration: 0, bufferLevel: 0 }
    let lastThroughput: number | undefined
    const top = ladder.bitrates[ladder.bitrates.length - 1]!
    for (let i = 0; i < n; i++) {
      const segDur = ladder.segmentDurations[i]!
      play.advance(sessionNow() - play.t)
      const wait = play.waitForRoom(segDur)
      if (wait > 0) {
        await sleep((wait * 1000) / timeScale, o.signal)
        play.advance(sessionNow() - play.t)
      }
      const rung = policy.chooseRung(play.abrState(i))
      // BOLA-O / BOLA-E may ask to pause before the request rather than overfill the buffer.
      const pause = policy.requestDelay ? policy.requestDelay() : 0
      if (pause > 0) {
        await sleep((pause * 1000) / timeScale, o.signal)
        play.advance(sessionNow() - play.t)
      }
      const rendition = renditions[rung]!
      if (!inits.has(rung)) {
        await get(rendition.init.path, 'init', cmcdHeaders({ sessionId, contentId: o.titleId, objectType: 'i', format: 'h', bitrate: rendition.bandwidth }), false)
        inits.add(rung)
        play.advance(sessionNow() - play.t)
      }
      const reqStart = play.t
      const got = await get(
        rendition.segments[i]!.uri,
        'segment',
        cmcdHeaders({
          sessionId, contentId: o.titleId, objectType: 'v', format: 'h', bitrate: ladder.bitrates[rung]!, duration: segDur,
          bufferLength: play.buffer, measuredThroughput: lastThroughput, topBitrate: top, startup: !play.playing,
        }),
        true,
        'video',
      )
      // The segment plays once the audio up to its end is in too; the estimate counts both, as hls.js's does.
      // Audio is fetched by time, not index: shot-based titles cut video segments at shots, audio at the target duration.
      let bytes = got.bytes
      if (audio) {
        const videoEnd = i === n - 1 && n === ladder.segmentDurations.length ? Infinity : rendition.segments[i]!.start + segDur
        while (nextAudio < audio.segments.length && audio.segments[nextAudio]!.start < videoEnd - 1e-6) {
          const seg = audio.segments[nextAudio++]!
          const a = await get(
            seg.uri,
            'segment',
            cmcdHeaders({ sessionId, contentId: o.titleId, objectType: 'a', format: 'h', bitrate: audio.bandwidth, duration: seg.duration, bufferLength: play.buffer, measuredThroughput: lastThroughput, startup: !play.playing }),
            true,
            'audio',
          )
          bytes += a.bytes
          audioBytes += a.bytes
        }
      }
      play.advance(sessionNow() - play.t)
      play.land(i, rung, bytes, 0, reqStart, i === n - 1)
      landed++
      sample.segmentIndex = i
      sample.rung = rung
      sample.bytes = bytes
      sample.requestTime = reqStart
      sample.ttfb = ((got.ttfbWall - wallStart) / 1000) * timeScale - reqStart
      sample.duration = play.t - reqStart
      sample.bufferLevel = play.buffer
      lastThroughput = sample.duration > 0 ? (bytes * 8) / sample.duration : undefined
      policy.onDownload(sample)
    }
  } catch (err) {
    if (o.signal?.aborted || !(err instanceof OclabError)) throw err
    completed = false
    lostReason = `${err.code}: ${err.message}`
  } finally {
    if (ownDispatcher) await (dispatcher as Agent).close()
  }
  const wallSeconds = (performance.now() - wallStart) / 1000
  const base = { sessionId, failovers, requests, errors, servedBy, audioBytes, completed, ...(lostReason ? { lostReason } : {}), wallSeconds, algorithm: policyName, trace: o.trace.name, ladder: ladder?.name ?? o.titleId }
  // a lost session reports what it played before every candidate failed
  if (!play || landed === 0) return { ...base, completed: false, metrics: emptyMetrics() }
  const { metrics, timeline } = play.finish(landed)
  return timeline ? { ...base, metrics, timeline } : { ...base, metrics }
}

function emptyMetrics(): SessionResult['metrics'] {
  return {
    segments: 0, startupDelay: NaN, rebufferCount: 0, rebufferTime: 0, averageBitrate: NaN, averageQuality: null, qualityMetric: null,
    switches: 0, switchesUp: 0, switchesDown: 0, averageSwitchSize: 0, bytesDownloaded: 0, bytesPlayed: 0, wasteRatio: 0, abandonments: 0,
    timeAtRung: [], boundaryCrossings: [], qoe: NaN, qoePerSegment: NaN, sessionTime: 0,
  }
}
