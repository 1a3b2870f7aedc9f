import { join } from 'node:path'
import t from 'tap'
import { encodeTitle } from '../../encoder/encode-title.js'
import { hasVmafModel, tempDir, testSource, VMAF_MODEL } from '../helpers/package.js'

// Peer tools have shipped a target-quality option that silently did nothing:
// here a higher target must give more bytes and a higher measured quality.
t.test('per-title: the quality target changes the output', async (t) => {
  const dir = await tempDir(t)
  // detailed, noisy content: its hull climbs over a wide range of rates
  const source = await testSource(dir, { kind: 'complex', duration: 2 })
  const store = join(dir, 'store')
  const vmafModel = hasVmafModel ? VMAF_MODEL : null
  const [low, high] = hasVmafModel ? [75, 95] : [12, 20]
  const probe = { heights: [90, 180], crfs: [20, 28, 36, 44] }
  const encode = (targetQuality: number, titleId: string) =>
    encodeTitle({ source, store, titleId, ladder: 'per-title', targetQuality, segmentDuration: 1, vmafModel, probe })
  const a = await encode(low, 'low')
  const b = await encode(high, 'high')
  for (const r of [a, b]) {
    t.equal(r.title.ladder.kind, 'per-title')
    t.equal(r.title.ladder.probes.length, 8, 'every probe encode is recorded')
    t.ok(
      r.title.ladder.probes.some((p) => p.onHull),
      'hull points are marked',
    )
    const rates = r.title.video.map((v) => v.targetBitrate)
    t.same(
      [...rates].sort((x, y) => x - y),
      rates,
      'rungs rise in bitrate',
    )
    t.ok(
      r.title.video.every((v) => v.height <= 180),
      'no rung above the source',
    )
  }
  const top = (r: typeof a) => r.title.video.at(-1)!
  const bytes = (r: typeof a) => top(r).segments.reduce((s, x) => s + x.bytes, 0)
  const q = (r: typeof a) => (hasVmafModel ? top(r).quality.vmaf! : top(r).quality.ssim)
  t.ok(bytes(b) > bytes(a), `higher target, more bytes at the top (${bytes(b)} > ${bytes(a)})`)
  t.ok(q(b) > q(a), `higher target, higher measured top quality (${q(b)} > ${q(a)})`)
  t.ok(b.title.video.length >= a.title.video.length, 'and at least as many rungs')
})
