import { join } from 'node:path'
import t from 'tap'
import { encodeTitle } from '../../encoder/encode-title.js'
import { generateSource } from '../../encoder/synthetic-source.js'
import { chromiumMissing, launchBrowser, servePlayerPage } from '../helpers/browser.js'
import { tempDir, testPackage } from '../helpers/package.js'
import { assertPlaysInBoth } from '../helpers/play.js'

// A real player must play what the encoder writes: hls.js from master.m3u8 and
// dash.js from manifest.mpd, in Chromium over HTTP.
t.test('the package plays in hls.js and dash.js', { skip: chromiumMissing }, async (t) => {
  const dir = await tempDir(t)
  // 640x360 gives a 3-rung fixed ladder; 1 s segments give 5 segments to play through
  const { store } = await testPackage(dir, { width: 640, height: 360, duration: 5 })
  const { app, url } = await servePlayerPage(store)
  t.teardown(() => app.close())
  const browser = await launchBrowser()
  t.teardown(() => browser.close())
  // two segments are 2 s of media: playback must get past them
  await assertPlaysInBoth(t, browser, url, 'test-title', 2.2)
})

// Shot-based: segments of varying length (shots, split at 1 s), a CRF per shot.
t.test('a shot-based package plays in hls.js and dash.js', { skip: chromiumMissing }, async (t) => {
  const dir = await tempDir(t)
  const source = join(dir, 'multishot.mp4')
  await generateSource({ kind: 'multishot', out: source, duration: 8, width: 320, height: 180, seed: 4 })
  const store = join(dir, 'store')
  const { title } = await encodeTitle({
    source,
    store,
    titleId: 'shots',
    ladder: 'shot-based',
    segmentDuration: 1,
    vmafModel: null,
    probe: { heights: [90, 180], crfs: [24, 32, 40] },
  })
  t.ok(new Set(title.video[0]?.segments.map((s) => s.duration.toFixed(3))).size > 1, 'segment durations vary')
  const { app, url } = await servePlayerPage(store)
  t.teardown(() => app.close())
  const browser = await launchBrowser()
  t.teardown(() => browser.close())
  // past the third shot's first segment: several segments of different lengths played through
  await assertPlaysInBoth(t, browser, url, 'shots', 3.2)
})
