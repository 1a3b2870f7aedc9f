import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { encodeTitle } from '../../encoder/encode-title.js'
import { generateSource, planShots } from '../../encoder/synthetic-source.js'
import { lintManifest } from '../../sim/lint/index.js'
import { hasVmafModel, tempDir, VMAF_MODEL } from '../helpers/package.js'

// A multishot source with known cuts, encoded shot-based with 1 s segments:
// every shot starts a segment, shots over 1 s are split in equal parts, and
// every rendition has the very same segment boundaries.
t.test('shot-based: shot-aligned segments identical across renditions, real durations in HLS and DASH, lint clean, resumable', async (t) => {
  const dir = await tempDir(t)
  const source = join(dir, 'multishot.mp4')
  await generateSource({ kind: 'multishot', out: source, duration: 7, width: 320, height: 180, seed: 2 })
  const plan = planShots(7, 25, 2)
  const store = join(dir, 'store')
  const encode = () =>
    encodeTitle({
      source,
      store,
      titleId: 'shots',
      ladder: 'shot-based',
      segmentDuration: 1,
      keepWork: true,
      vmafModel: hasVmafModel ? VMAF_MODEL : null,
      probe: { heights: [90, 180], crfs: [24, 32, 40] },
    })
  const { title, titleDir } = await encode()
  t.equal(title.ladder.kind, 'shot-based')
  t.same(
    title.source.shots!.map((s) => s.startFrame),
    plan.map((s) => s.startFrame),
    'the known cuts were found',
  )
  t.equal(title.encode.chunks, plan.length, 'one chunk per shot')
  t.equal(title.ladder.allocation!.length, title.video.length, 'an allocation per rung')
  for (const a of title.ladder.allocation!) t.equal(a.shots.length, plan.length, `${a.rung}: a CRF per shot`)

  const bounds = (v: (typeof title.video)[number]) => v.segments.map((s) => `${s.start.toFixed(3)}+${s.duration.toFixed(3)}`)
  const first = title.video[0]!
  for (const v of title.video.slice(1)) t.same(bounds(v), bounds(first), `${v.id}: the same segment boundaries as ${first.id}`)
  const starts = new Set(first.segments.map((s) => s.start.toFixed(3)))
  for (const s of plan) t.ok(starts.has((s.startFrame / 25).toFixed(3)), `a segment starts at the cut at ${(s.startFrame / 25).toFixed(2)} s`)
  t.ok(
    first.segments.every((s) => s.duration <= 1 + 1e-6),
    'no segment longer than the 1 s target',
  )
  t.ok(new Set(first.segments.map((s) => s.duration.toFixed(3))).size > 1, 'segment durations vary')
  const expectedSegments = plan.reduce((n, s) => n + Math.ceil(s.frames / 25), 0)
  t.equal(first.segments.length, expectedSegments, 'each shot split into the fewest segments of at most 1 s')

  const media = await readFile(join(titleDir, first.playlist), 'utf8')
  const extinf = [...media.matchAll(/#EXTINF:([0-9.]+),/g)].map((m) => Number(m[1]))
  t.same(
    extinf,
    first.segments.map((s) => s.duration),
    'EXTINF carries each real duration',
  )
  t.match(media, /#EXT-X-TARGETDURATION:1\n/)
  const mpd = await readFile(join(titleDir, 'manifest.mpd'), 'utf8')
  const timescale = first.timescale!
  for (const d of new Set(first.segments.map((s) => Math.round(s.duration * timescale))))
    t.match(mpd, new RegExp(`d="${d}"`), `SegmentTimeline has a ${d}-tick segment`)
  for (const name of ['master.m3u8', 'manifest.mpd']) {
    const r = await lintManifest(join(titleDir, name), { deep: true })
    t.same(r.findings, [], `${name} --deep: no findings`)
  }

  // probe once, choose two ladders: per-title from the shot probes (the whole title's points), no probe encodes of its own
  const firstRun = await encode()
  t.equal(firstRun.shotProbes?.length, plan.length, 'the per-shot probe curves come back for reuse')
  const events: string[] = []
  const perTitle = await encodeTitle({
    source,
    store,
    titleId: 'per-title-from-shots',
    ladder: 'per-title',
    segmentDuration: 1,
    vmafModel: hasVmafModel ? VMAF_MODEL : null,
    shotProbes: firstRun.shotProbes!,
    onEvent: (e) => events.push(e.type),
  })
  t.notOk(events.includes('probing'), 'per-title probed nothing itself')
  t.match(perTitle.title.ladder.notes[0], /points of the whole title \(from \d+ shots' probes\)/)
  t.equal(perTitle.title.ladder.probes.length, firstRun.shotProbes![0]?.points.length, 'one title-level point per height × CRF')
  await t.rejects(
    encodeTitle({ source, store, titleId: 'mismatch', ladder: 'per-title', vmafModel: null, shotProbes: firstRun.shotProbes!.slice(1) }),
    { code: 'OCLAB_ERR_USAGE', message: /do not match this source's/ },
    'curves of other shots are refused',
  )

  // a rerun finds every shot job finished and verified: the same package, nothing encoded again
  const again = await encode()
  t.equal(again.title.encode.resumedJobs, again.title.encode.jobs, 'every shot job resumed')
  t.same(
    again.title.video.map((v) => v.segments.map((s) => s.sha256)),
    title.video.map((v) => v.segments.map((s) => s.sha256)),
    'byte-identical segments',
  )
})
