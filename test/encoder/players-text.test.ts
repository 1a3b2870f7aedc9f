import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import t from 'tap'
import { parseWebVtt } from '../../lib/media/webvtt.js'
import { chromiumMissing, launchBrowser, servePlayerPage } from '../helpers/browser.js'
import { tempDir, testPackage } from '../helpers/package.js'
import { until } from '../helpers/until.js'

/** What the page reports: playback time, the selected audio language and the subtitle cue showing now. */
interface PageState {
  time: number
  audioLang: string | null
  cue: { text: string; start: number; end: number } | null
  errors: string[]
}

/**
 * Read the player's state in one evaluation, so currentTime and the active
 * cue are seen together. hls.js: `audioTracks[audioTrack]`; dash.js 5:
 * `getCurrentTrackFor('audio')`. The cue is read from the video element's
 * own text tracks (what the browser shows), whichever player filled them.
 */
const readState = (page: Page): Promise<PageState> =>
  page.evaluate(() => {
    const v = document.getElementById('v') as HTMLVideoElement
    const w = window as unknown as { player: Record<string, unknown> & { [k: string]: unknown }; playerErrors: string[] }
    const p = w.player as unknown as {
      audioTracks?: Array<{ lang?: string }>
      audioTrack?: number
      getCurrentTrackFor?: (type: string) => { lang?: string } | null
    }
    const audioLang = p.getCurrentTrackFor ? (p.getCurrentTrackFor('audio')?.lang ?? null) : (p.audioTracks?.[p.audioTrack ?? -1]?.lang ?? null)
    let cue: PageState['cue'] = null
    for (const track of Array.from(v.textTracks)) {
      if (track.mode === 'disabled' || !track.activeCues?.length) continue
      const c = track.activeCues[0] as VTTCue
      cue = { text: c.text, start: c.startTime, end: c.endTime }
    }
    return { time: v.currentTime, audioLang, cue, errors: [...w.playerErrors] }
  })

/** Switch to the French audio and turn the English subtitles on, in the player's own API. */
const chooseFrenchAndSubtitles = (page: Page, kind: 'hls' | 'dash'): Promise<string> =>
  page.evaluate((k) => {
    const w = window as unknown as { player: unknown }
    if (k === 'hls') {
      const hls = w.player as {
        audioTracks: Array<{ lang?: string }>
        audioTrack: number
        subtitleTracks: Array<{ lang?: string }>
        subtitleTrack: number
        subtitleDisplay: boolean
      }
      const fr = hls.audioTracks.findIndex((a) => a.lang === 'fr')
      const en = hls.subtitleTracks.findIndex((s) => s.lang === 'en')
      hls.audioTrack = fr
      hls.subtitleDisplay = true
      hls.subtitleTrack = en
      return `audio ${fr} of ${hls.audioTracks.length}, subtitles ${en} of ${hls.subtitleTracks.length}`
    }
    const dash = w.player as {
      getTracksFor(type: string): Array<{ lang?: string }>
      setCurrentTrack(track: unknown): void
      enableText(on: boolean): void
      setTextTrack(index: number): void
    }
    const audio = dash.getTracksFor('audio')
    const text = dash.getTracksFor('text')
    const fr = audio.find((a) => a.lang === 'fr')
    if (fr) dash.setCurrentTrack(fr)
    const en = text.findIndex((s) => s.lang === 'en')
    dash.enableText(true)
    dash.setTextTrack(en)
    return `audio ${fr ? 'fr' : 'none'} of ${audio.length}, subtitles ${en} of ${text.length}`
  }, kind)

// The package's two audio languages and its English subtitles, as a viewer
// meets them: hls.js and dash.js switch to the French audio and keep playing,
// and the English cue the .vtt gives for the current time is the one shown.
t.test('hls.js and dash.js switch audio language and show the subtitle cue at its time', { skip: chromiumMissing }, async (t) => {
  const dir = await tempDir(t)
  const { store, title } = await testPackage(dir, { duration: 6 })
  t.same(
    title.audio.map((a) => [a.id, a.language, a.name]),
    [
      ['audio-en', 'en', 'English'],
      ['audio-fr', 'fr', 'Français'],
    ],
    'two audio languages, named from the stream tags',
  )
  const text = title.text?.[0]
  t.equal(text?.id, 'text-en', 'an English subtitle rendition')
  const cues = parseWebVtt(await readFile(join(store, 'titles', 'test-title', text!.sidecar.path), 'utf8'), 'full.vtt')
  const { app, url } = await servePlayerPage(store)
  t.teardown(() => app.close())
  const browser = await launchBrowser()
  t.teardown(() => browser.close())

  for (const [kind, manifest] of [
    ['hls', 'master.m3u8'],
    ['dash', 'manifest.mpd'],
  ] as const) {
    const page = await browser.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', (e) => pageErrors.push(e.message))
    await page.goto(`${url}/player.html?kind=${kind}&src=${encodeURIComponent(`${url}/titles/test-title/${manifest}`)}`)
    await until(async () => ((await readState(page)).time > 0.2 ? true : undefined), `${kind}: playback to start`, 300, 100, 30_000)
    const chosen = await chooseFrenchAndSubtitles(page, kind)
    t.comment(`${kind}: ${chosen}`)

    // a cue is showing: it must be the one the .vtt has for this time, with the .vtt's times
    const shown = await until(
      async () => {
        const s = await readState(page)
        return s.cue ? s : undefined
      },
      `${kind}: an English cue to show`,
      300,
      100,
      30_000,
    )
    const expected = cues.find((c) => shown.time >= c.start && shown.time <= c.end)
    t.ok(expected, `${kind}: the .vtt has a cue at ${shown.time.toFixed(3)} s (a cue shown in a gap means an offset)`)
    t.equal(shown.cue!.text, expected?.text, `${kind}: the cue shown at ${shown.time.toFixed(3)} s is the .vtt's`)
    t.ok(Math.abs(shown.cue!.start - expected!.start) < 0.01 && Math.abs(shown.cue!.end - expected!.end) < 0.01, `${kind}: the cue keeps its .vtt times`, {
      shown: shown.cue,
      expected: expected && { start: expected.start, end: expected.end },
    })

    // French is selected and playback goes on past a later time
    const later = await until(
      async () => {
        const s = await readState(page)
        return s.time > 4.5 || s.errors.length ? s : undefined
      },
      `${kind}: playback past 4.5 s`,
      600,
      100,
      60_000,
    )
    t.equal(later.audioLang, 'fr', `${kind}: the player reports the French audio selected`)
    t.ok(later.time > 4.5, `${kind}: playback continued to ${later.time.toFixed(2)} s after the switch`)
    t.same(later.errors, [], `${kind}: no player errors`)
    t.same(pageErrors, [], `${kind}: no page errors`)
    await page.close()
  }
})
