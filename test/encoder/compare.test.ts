import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import type { Title } from '../../lib/title-package.js'
import { oclab } from '../helpers/cli.js'
import { tempDir, testPackage } from '../helpers/package.js'

// `oclab compare` reads two packages' measured renditions. B is A with every
// rendition's average bitrate halved, so B needs exactly half the bits at every
// quality: BD-rate −50 % on PSNR, whatever the curve's shape.
t.test('oclab compare: BD-rate between two packages, by directory or manifest, with an HTML report', async (t) => {
  const dir = await tempDir(t)
  const { titleDir, title } = await testPackage(dir, { width: 640, height: 360, duration: 2, audio: false })
  t.ok(title.video.length >= 3, `the fixed ladder has ${title.video.length} rungs`)
  const halved: Title = { ...title, id: 'halved', video: title.video.map((v) => ({ ...v, averageBandwidth: Math.round(v.averageBandwidth / 2) })) }
  const bDir = join(dir, 'b')
  await mkdir(bDir)
  await writeFile(join(bDir, 'title.json'), JSON.stringify(halved))
  const html = join(dir, 'report.html')
  const r = await oclab(['compare', join(titleDir, 'master.m3u8'), bDir, '--html', html, '--json'])
  t.equal(r.code, 0, r.err)
  const c = JSON.parse(r.out) as { metrics: Array<{ metric: string; bdRate: number; bdQuality: number }> }
  const psnr = c.metrics.find((m) => m.metric === 'psnr')!
  t.ok(Math.abs(psnr.bdRate - -50) < 0.05, `BD-rate ${psnr.bdRate} ≈ −50 % (rates rounded to whole bit/s)`)
  // and a lift of 1 dB at the same rates is a BD-PSNR of +1
  const lifted: Title = { ...title, id: 'lifted', video: title.video.map((v) => ({ ...v, quality: { ...v.quality, psnr: v.quality.psnr + 1 } })) }
  await writeFile(join(dir, 'lifted.json'), JSON.stringify(lifted))
  const l = JSON.parse((await oclab(['compare', join(titleDir, 'title.json'), join(dir, 'lifted.json'), '--json'])).out) as typeof c
  t.ok(Math.abs(l.metrics.find((m) => m.metric === 'psnr')!.bdQuality - 1) < 1e-9, 'BD-PSNR +1 dB')
  const page = await readFile(html, 'utf8')
  t.match(page, /<svg/, 'the report draws the RD curves')
  t.match(page, /halved vs test-title/)
  const text = await oclab(['compare', titleDir, bDir])
  t.match(text.out, /psnr\s+-50\.0\d %/)
  const bad = await oclab(['compare', titleDir, join(dir, 'missing')])
  t.equal(bad.code, 1)
  t.match(bad.err, /cannot read/)
})
