import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DOMParser } from '@xmldom/xmldom'
import type { Browser, Page } from 'playwright-core'
import t, { type Test } from 'tap'
import { encodeTitle } from '../../encoder/encode-title.js'
import type { VideoCodec } from '../../encoder/jobs/video-codecs.js'
import { parseLadderSpec } from '../../encoder/ladder/ladder.js'
import { DEBIAN_FFMPEG } from '../../lib/ffmpeg-builds.js'
import { isVideoCodec, splitCodecs } from '../../lib/media/codec-strings.js'
import { parseAttributeList } from '../../lib/media/hls-attributes.js'
import { chromiumMissing, launchBrowser, servePlayerPage } from '../helpers/browser.js'
import { type MediaPipeline, watchMediaPipeline } from '../helpers/media-pipeline.js'
import { tempDir, testSource } from '../helpers/package.js'
import { until } from '../helpers/until.js'

/**
 * Issue 20 §5: real players play a multi-codec package. Chromium decodes
 * H.264 and AV1 but not HEVC (no software HEVC decoder; with the GPU off there
 * is no hardware one either), so hls.js and dash.js must play either of the
 * first two when asked, and leave HEVC variants alone while still playing.
 * What was played is read three ways: the player's own state (hls.js's
 * current level, dash.js's current Representation), frames decoded
 * (getVideoPlaybackQuality) growing meanwhile, and Chromium's media pipeline
 * (the codec its demuxer found and the decoder it chose).
 * AV1 and HEVC need Debian's ffmpeg; .ci/run installs it, so without it these
 * tests fail and say so rather than skip (as codecs.test.ts does).
 */
const debian = existsSync(DEBIAN_FFMPEG)

type Family = 'avc1' | 'hvc1' | 'av01'
/** Chromium's name for each sample entry's codec (media::GetCodecName), as its pipeline reports it. */
const PIPELINE_CODEC: Record<Family, string> = { avc1: 'h264', hvc1: 'hevc', av01: 'av1' }
const family = (codecs: string) => codecs.split('.')[0] as Family

/** 5 s of 1 s segments: playback passes three of them and frames keep coming after. */
const PLAY_PAST_S = 3.2

/** Two rungs per codec (several levels, so hls.js and dash.js have a ladder to adapt on), fastest presets. */
async function encodePackage(t: Test, titleId: string, codecs: VideoCodec[]) {
  const dir = await tempDir(t)
  const source = await testSource(dir, { duration: 5 })
  const store = join(dir, 'store')
  const { title, titleDir } = await encodeTitle({
    source,
    store,
    titleId,
    segmentDuration: 1,
    vmafModel: null,
    ladder: parseLadderSpec('192x108@120k,320x180@300k')!,
    codecs,
    h264: { preset: 'ultrafast' },
    presets: { hevc: 'ultrafast', av1: '12' },
  })
  const master = await readFile(join(titleDir, 'master.m3u8'), 'utf8')
  const mpd = await readFile(join(titleDir, 'manifest.mpd'), 'utf8')
  return { title, store, variants: masterVariants(master), videoSets: mpdVideoSets(mpd) }
}

interface Variant {
  /** the whole CODECS attribute, audio included, as a player passes it to MediaSource.isTypeSupported */
  codecs: string
  video: string
}

/** The multivariant playlist's variants, read with the project's one attribute-list parser. */
function masterVariants(text: string): Variant[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('#EXT-X-STREAM-INF:'))
    .map((line) => {
      const { attrs, error } = parseAttributeList(line.slice('#EXT-X-STREAM-INF:'.length))
      if (error) throw new Error(`master.m3u8: ${error}`)
      const codecs = attrs.get('CODECS')?.raw ?? ''
      const video = splitCodecs(codecs).find(isVideoCodec)
      if (!video) throw new Error(`master.m3u8: a variant with no video codec in CODECS="${codecs}"`)
      return { codecs, video }
    })
}

interface VideoSet {
  id: string
  /** `mimeType; codecs="…"` of each Representation */
  types: string[]
  codecs: string[]
}

function mpdVideoSets(text: string): VideoSet[] {
  const doc = new DOMParser().parseFromString(text, 'text/xml')
  return Array.from(doc.getElementsByTagName('AdaptationSet'))
    .filter((a) => a.getAttribute('contentType') === 'video')
    .map((a) => {
      const reps = Array.from(a.getElementsByTagName('Representation'))
      const codecs = reps.map((r) => r.getAttribute('codecs') ?? '')
      return { id: a.getAttribute('id') ?? '', codecs, types: codecs.map((c) => `${a.getAttribute('mimeType')}; codecs="${c}"`) }
    })
}

/** MediaSource.isTypeSupported in this Chromium, for each MIME type. */
async function typeSupport(browser: Browser, types: string[]): Promise<Map<string, boolean>> {
  const page = await browser.newPage()
  try {
    const answers = await page.evaluate((ts) => ts.map((type) => MediaSource.isTypeSupported(type)), types)
    return new Map(types.map((type, i) => [type, answers[i]!]))
  } finally {
    await page.close()
  }
}

interface PlayerState {
  time: number
  frames: number
  errors: string[]
  mediaError: string | null
  /** the video codecs of what the player is playing now: hls.js's current level, dash.js's current Representation */
  codec: string | null
  /** what the player kept after its own capability filter: hls.js's levels' video codecs, dash.js's video track (AdaptationSet) ids */
  offered: string[]
}

interface HlsLike {
  levels: Array<{ videoCodec?: string }>
  currentLevel: number
  removeLevel(index: number): void
  startLoad(): void
}
interface DashLike {
  getCurrentRepresentationForType(type: 'video'): { codecs?: string } | null
  getTracksFor(type: 'video'): Array<{ id: string }>
}
interface PlayerWindow {
  player?: HlsLike | DashLike
  playerErrors: string[]
}

/** Read in the page: the player page of test/helpers/browser.ts keeps its player in `window.player`. */
function readPlayerState(kind: 'hls' | 'dash'): PlayerState {
  const w = window as unknown as PlayerWindow
  const v = document.getElementById('v') as HTMLVideoElement
  const base = { time: v.currentTime, frames: v.getVideoPlaybackQuality().totalVideoFrames, errors: w.playerErrors, mediaError: v.error?.message ?? null }
  if (!w.player) return { ...base, codec: null, offered: [] }
  if (kind === 'hls') {
    const hls = w.player as HlsLike
    const level = hls.currentLevel >= 0 ? hls.levels[hls.currentLevel] : undefined
    return { ...base, codec: level?.videoCodec ?? null, offered: hls.levels.map((l) => l.videoCodec ?? '') }
  }
  const dash = w.player as DashLike
  return { ...base, codec: dash.getCurrentRepresentationForType('video')?.codecs ?? null, offered: dash.getTracksFor('video').map((tr) => tr.id) }
}

interface Playback {
  /** the state at every poll until playback passed PLAY_PAST_S, then until more frames had been decoded */
  samples: PlayerState[]
  pipeline: MediaPipeline
  pageErrors: string[]
  /** hls.js with `only`: the video codecs of the levels left after the others were removed */
  levelsKept?: string[]
}

/**
 * Play a title in the player page until it passes PLAY_PAST_S, then until
 * more frames were decoded. `only` keeps only hls.js levels of that codec
 * family (loading starts once the others are removed through hls.js's API);
 * `dashSetId` asks dash.js for that AdaptationSet through
 * setInitialMediaSettingsFor. Polls are bounded and say what they waited for.
 */
async function play(
  browser: Browser,
  url: string,
  kind: 'hls' | 'dash',
  titleId: string,
  choose: { only?: Family; dashSetId?: string } = {},
): Promise<Playback> {
  const page = await browser.newPage()
  try {
    const pageErrors: string[] = []
    page.on('pageerror', (e) => pageErrors.push(e.message))
    const pipeline = await watchMediaPipeline(page)
    const q = new URLSearchParams({ kind, src: `${url}/titles/${titleId}/${kind === 'hls' ? 'master.m3u8' : 'manifest.mpd'}` })
    if (kind === 'hls' && choose.only) q.set('hlsConfig', JSON.stringify({ autoStartLoad: false }))
    if (kind === 'dash' && choose.dashSetId) q.set('dashMediaSettings', JSON.stringify({ video: { id: choose.dashSetId } }))
    await page.goto(`${url}/player.html?${q}`)
    const levelsKept = kind === 'hls' && choose.only ? await keepOnlyLevels(page, choose.only) : undefined
    const samples: PlayerState[] = []
    const sample = async () => {
      const s = await page.evaluate(readPlayerState, kind)
      samples.push(s)
      return s
    }
    const past = await until(
      async () => {
        const s = await sample()
        return s.time > PLAY_PAST_S || s.errors.length > 0 || s.mediaError ? s : undefined
      },
      `${kind} to play past ${PLAY_PAST_S} s of ${titleId}`,
      400,
      100,
      45_000,
    )
    if (past.time > PLAY_PAST_S)
      await until(async () => ((await sample()).frames > past.frames ? true : undefined), `${kind}: more frames after ${past.frames}`, 100, 100, 15_000)
    return { samples, pipeline, pageErrors, levelsKept }
  } finally {
    await page.close()
  }
}

async function keepOnlyLevels(page: Page, only: Family): Promise<string[]> {
  await until(
    async () => ((await page.evaluate(() => ((window as unknown as PlayerWindow).player as HlsLike | undefined)?.levels?.length ?? 0)) > 0 ? true : undefined),
    'hls.js to parse master.m3u8 into levels',
    300,
    100,
    30_000,
  )
  return page.evaluate((prefix) => {
    const hls = (window as unknown as PlayerWindow).player as HlsLike
    for (let i = hls.levels.length - 1; i >= 0; i--) if (!hls.levels[i]!.videoCodec?.startsWith(`${prefix}.`)) hls.removeLevel(i)
    hls.startLoad()
    return hls.levels.map((l) => l.videoCodec ?? '')
  }, only)
}

/** What every playback must show: no error, past the mark, frames growing; returns the codecs the player reported while frames grew. */
function assertPlayed(t: Test, label: string, p: Playback): string[] {
  const last = p.samples.at(-1)!
  t.same(last.errors, [], `${label}: the player reports no error`)
  t.equal(last.mediaError, null, `${label}: the video element has no media error`)
  t.same(p.pageErrors, [], `${label}: no page errors`)
  const past = p.samples.findIndex((s) => s.time > PLAY_PAST_S)
  t.ok(past >= 0, `${label}: playback passed ${PLAY_PAST_S} s (last currentTime ${last.time.toFixed(2)})`)
  t.ok(last.frames > (p.samples[past]?.frames ?? Number.POSITIVE_INFINITY), `${label}: frames kept being decoded (${p.samples[past]?.frames} → ${last.frames})`)
  // a sample before loading starts has no current level or Representation yet
  return [...new Set(p.samples.map((s) => s.codec).filter((c): c is string => c !== null))]
}

/** Codec names as Chromium's pipeline gives them, of what the player said it played and of what the pipeline decoded. */
const playedSet = (played: string[]) => [...new Set(played.map((c) => PIPELINE_CODEC[family(c)]))].sort()
const decodedSet = (p: Playback) => [...new Set(p.pipeline.videoCodecs)].sort()

t.test('H.264 + AV1: hls.js and dash.js play the AV1 variants and the H.264 ones, which Chromium decodes', { skip: chromiumMissing }, async (t) => {
  if (!debian) {
    t.fail(`Debian's ffmpeg is not at ${DEBIAN_FFMPEG} (apt-get install ffmpeg; .ci/run installs it): AV1 cannot be encoded`)
    return
  }
  const pkg = await encodePackage(t, 'two', ['h264', 'av1'])
  t.same(
    pkg.variants.map((v) => family(v.video)),
    ['avc1', 'avc1', 'av01', 'av01'],
    'master.m3u8 lists two variants of each codec',
  )
  const { app, url } = await servePlayerPage(pkg.store)
  t.teardown(() => app.close())
  const browser = await launchBrowser()
  t.teardown(() => browser.close())

  const support = await typeSupport(browser, [...pkg.variants.map((v) => `video/mp4; codecs="${v.codecs}"`), ...pkg.videoSets.flatMap((s) => s.types)])
  for (const [type, ok] of support) t.ok(ok, `MediaSource.isTypeSupported('${type}')`)

  for (const want of ['av01', 'avc1'] as const) {
    const hls = await play(browser, url, 'hls', 'two', { only: want })
    t.same(hls.levelsKept?.map(family), [want, want], `hls.js: only the two ${want} levels are left`)
    const hlsPlayed = assertPlayed(t, `hls.js ${want}`, hls)
    t.ok(hlsPlayed.length > 0 && hlsPlayed.every((c) => family(c) === want), `hls.js: every current level was ${want} (${hlsPlayed.join(', ')})`)
    t.same(
      hls.pipeline.videoCodecs,
      [PIPELINE_CODEC[want]],
      `hls.js ${want}: Chromium decoded ${PIPELINE_CODEC[want]} (decoder ${hls.pipeline.videoDecoders.join(', ')})`,
    )

    const set = pkg.videoSets.find((s) => s.codecs.every((c) => family(c) === want))!
    const dash = await play(browser, url, 'dash', 'two', { dashSetId: set.id })
    const dashPlayed = assertPlayed(t, `dash.js ${want}`, dash)
    t.ok(dashPlayed.length > 0 && dashPlayed.every((c) => family(c) === want), `dash.js: every current Representation was ${want} (${dashPlayed.join(', ')})`)
    t.same(
      dash.pipeline.videoCodecs,
      [PIPELINE_CODEC[want]],
      `dash.js ${want}: Chromium decoded ${PIPELINE_CODEC[want]} (decoder ${dash.pipeline.videoDecoders.join(', ')})`,
    )
  }
})

t.test('H.264 + HEVC + AV1: HEVC is listed, Chromium cannot decode it, neither player picks it and both play', { skip: chromiumMissing }, async (t) => {
  if (!debian) {
    t.fail(`Debian's ffmpeg is not at ${DEBIAN_FFMPEG} (apt-get install ffmpeg; .ci/run installs it): HEVC and AV1 cannot be encoded`)
    return
  }
  const pkg = await encodePackage(t, 'three', ['h264', 'hevc', 'av1'])
  t.same(
    pkg.variants.map((v) => family(v.video)),
    ['avc1', 'avc1', 'hvc1', 'hvc1', 'av01', 'av01'],
    'master.m3u8 lists the HEVC variants',
  )
  t.same(
    pkg.videoSets.map((s) => family(s.codecs[0]!)),
    ['avc1', 'hvc1', 'av01'],
    'manifest.mpd has an HEVC AdaptationSet',
  )
  const { app, url } = await servePlayerPage(pkg.store)
  t.teardown(() => app.close())
  const browser = await launchBrowser()
  t.teardown(() => browser.close())

  const hlsType = (v: Variant) => `video/mp4; codecs="${v.codecs}"`
  const support = await typeSupport(browser, [...pkg.variants.map(hlsType), ...pkg.videoSets.flatMap((s) => s.types)])
  for (const [type, ok] of support) t.equal(ok, !/codecs="hvc1\./.test(type), `MediaSource.isTypeSupported('${type}') is ${ok}`)

  const hls = await play(browser, url, 'hls', 'three')
  const hlsPlayed = assertPlayed(t, 'hls.js', hls)
  t.same(
    [...hls.samples.at(-1)!.offered].sort(),
    pkg.variants
      .filter((v) => support.get(hlsType(v)))
      .map((v) => v.video)
      .sort(),
    'hls.js kept exactly the variants MediaSource supports (no HEVC level; hls.js orders its levels by bandwidth)',
  )
  t.ok(hlsPlayed.length > 0, `hls.js reported its current level (${hlsPlayed.join(', ')})`)
  for (const c of hlsPlayed) t.ok(support.get(hlsType(pkg.variants.find((v) => v.video === c)!)), `hls.js played ${c}, which MediaSource supports`)
  t.notOk(hls.pipeline.videoCodecs.includes('hevc'), `Chromium decoded no HEVC under hls.js (${hls.pipeline.videoCodecs.join(', ')})`)
  t.same(decodedSet(hls), playedSet(hlsPlayed), "Chromium decoded the codecs of hls.js's levels")

  const dash = await play(browser, url, 'dash', 'three')
  const dashPlayed = assertPlayed(t, 'dash.js', dash)
  t.same(
    [...dash.samples.at(-1)!.offered].sort(),
    pkg.videoSets
      .filter((s) => s.types.every((type) => support.get(type)))
      .map((s) => s.id)
      .sort(),
    'dash.js kept exactly the AdaptationSets MediaSource supports (not the HEVC one)',
  )
  t.ok(dashPlayed.length > 0, `dash.js reported its current Representation (${dashPlayed.join(', ')})`)
  for (const c of dashPlayed) t.not(family(c), 'hvc1', `dash.js played ${c}, not HEVC`)
  t.notOk(dash.pipeline.videoCodecs.includes('hevc'), `Chromium decoded no HEVC under dash.js (${dash.pipeline.videoCodecs.join(', ')})`)
  t.same(decodedSet(dash), playedSet(dashPlayed), "Chromium decoded the codecs of dash.js's Representations")
})
