import t from 'tap'
import { testPackage, tempDir } from '../helpers/package.js'
import { chromiumMissing, launchBrowser, servePlayerPage } from '../helpers/browser.js'

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

  for (const [kind, manifest] of [['hls', 'master.m3u8'], ['dash', 'manifest.mpd']] as const) {
    const page = await browser.newPage()
    const consoleErrors: string[] = []
    page.on('pageerror', (e) => consoleErrors.push(e.message))
    await page.goto(`${url}/player.html?kind=${kind}&src=${encodeURIComponent(`${url}/titles/test-title/${manifest}`)}`)
    // two segments are 2 s of media: wait until playback is past them
    await page.waitForFunction(() => (document.getElementById('v') as HTMLVideoElement).currentTime > 2.2 || (window as unknown as { playerErrors: string[] }).playerErrors.length > 0, undefined, { timeout: 30_000 })
    const state = await page.evaluate(() => {
      const v = document.getElementById('v') as HTMLVideoElement
      return { time: v.currentTime, error: v.error?.message ?? null, errors: (window as unknown as { playerErrors: string[] }).playerErrors, width: v.videoWidth }
    })
    t.same(state.errors, [], `${kind}: the player reports no error`)
    t.equal(state.error, null, `${kind}: the video element has no media error`)
    t.ok(state.time > 2.2, `${kind}: playback advanced past two segments (currentTime ${state.time.toFixed(2)})`)
    t.ok(state.width > 0, `${kind}: frames were decoded (${state.width} px wide)`)
    t.same(consoleErrors, [], `${kind}: no page errors`)
    await page.close()
  }
})
