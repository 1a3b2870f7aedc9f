import type { Browser } from 'playwright-core'
import type { Test } from 'tap'

/**
 * Play a title's master.m3u8 in hls.js and its manifest.mpd in dash.js (the
 * page of servePlayerPage) until playback passes `seconds`, and check that
 * neither the player nor the page reported an error and frames were decoded.
 */
export async function assertPlaysInBoth(t: Test, browser: Browser, url: string, titleId: string, seconds: number): Promise<void> {
  for (const [kind, manifest] of [
    ['hls', 'master.m3u8'],
    ['dash', 'manifest.mpd'],
  ] as const) {
    const page = await browser.newPage()
    const consoleErrors: string[] = []
    page.on('pageerror', (e) => consoleErrors.push(e.message))
    await page.goto(`${url}/player.html?kind=${kind}&src=${encodeURIComponent(`${url}/titles/${titleId}/${manifest}`)}`)
    await page.waitForFunction(
      (s) => (document.getElementById('v') as HTMLVideoElement).currentTime > s || (window as unknown as { playerErrors: string[] }).playerErrors.length > 0,
      seconds,
      { timeout: 30_000 },
    )
    const state = await page.evaluate(() => {
      const v = document.getElementById('v') as HTMLVideoElement
      const w = window as unknown as { playerErrors: string[]; playerVersion: string }
      return { time: v.currentTime, error: v.error?.message ?? null, errors: w.playerErrors, width: v.videoWidth, version: w.playerVersion }
    })
    // the players the project tests against: hls.js 1.x and dash.js 5.x (4.x never acts on DASH Content Steering)
    t.match(state.version, kind === 'hls' ? /^hls\.js 1\./ : /^dash\.js 5\./, `${kind}: ${state.version}`)
    t.same(state.errors, [], `${kind}: the player reports no error`)
    t.equal(state.error, null, `${kind}: the video element has no media error`)
    t.ok(state.time > seconds, `${kind}: playback advanced past ${seconds} s (currentTime ${state.time.toFixed(2)})`)
    t.ok(state.width > 0, `${kind}: frames were decoded (${state.width} px wide)`)
    t.same(consoleErrors, [], `${kind}: no page errors`)
    await page.close()
  }
}
