import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { encodeTitle } from '../../encoder/encode-title.js'
import { type ChunkBatch, type ChunkResult, describeBatch, runChunkJobs } from '../../encoder/jobs/chunk-job.js'
import { localPool } from '../../encoder/jobs/job-queue.js'
import { readTitle } from '../../lib/title-package.js'
import { tempDir, testSource } from '../helpers/package.js'

t.test('local pool: retries with backoff, then lists what failed', async (t) => {
  const tries = new Map<number, number>()
  const pool = localPool<number, number>(
    async (n) => {
      tries.set(n, (tries.get(n) ?? 0) + 1)
      if (n === 2 && tries.get(n)! < 2) throw new Error('flaky once')
      if (n === 3) throw new Error('always broken')
      return n * 10
    },
    { concurrency: 2, retry: { attempts: 3, backoffMs: 1 }, describe: (n) => `job ${n}` },
  )
  await t.rejects(pool.runAll([1, 2, 3, 4]), {
    code: 'OCLAB_ERR_ENCODE_FAILED',
    message: /1 chunk job\(s\) failed:\n {2}job 3 \(after 3 tries\): always broken/,
  })
  t.equal(tries.get(2), 2, 'the flaky job ran twice')
  t.equal(tries.get(3), 3, 'the broken job ran its three tries')
  t.equal(tries.get(4), 1, 'one failure does not stop the other jobs')
  const ok = localPool<number, number>(async (n) => n + 1, { concurrency: 3, describe: String })
  t.same(await ok.runAll([1, 2, 3]), [2, 3, 4], 'results keep job order')
})

t.test('encode: a job that fails once is retried; one that always fails fails the title with its name', async (t) => {
  const dir = await tempDir(t)
  const source = await testSource(dir, { duration: 2 })
  const store = join(dir, 'store')
  const ladder = [
    { id: 'a', width: 160, height: 90, bitrate: 100_000 },
    { id: 'b', width: 320, height: 180, bitrate: 200_000 },
  ]
  let failed = false
  const flaky = localPool<ChunkBatch, ChunkResult[]>(
    async (batch) => {
      if (batch.key === 'chunk-00002' && !failed) {
        failed = true
        throw new Error('worker lost')
      }
      return runChunkJobs(batch.jobs)
    },
    { concurrency: 2, retry: { attempts: 3, backoffMs: 1 }, describe: describeBatch },
  )
  const { title } = await encodeTitle({ source, store, titleId: 'retry', ladder, segmentDuration: 1, segmentsPerChunk: 1, vmafModel: null, queue: flaky })
  t.equal(title.encode.retries, 1, 'the retry is counted in title.json')
  t.equal(title.video.find((v) => v.id === 'b')!.segments.length, 2)

  const poisoned = localPool<ChunkBatch, ChunkResult[]>(
    async (batch) => {
      if (batch.key === 'chunk-00001') throw new Error('poisoned chunk')
      return runChunkJobs(batch.jobs)
    },
    { concurrency: 2, retry: { attempts: 2, backoffMs: 1 }, describe: describeBatch },
  )
  await t.rejects(encodeTitle({ source, store, titleId: 'poison', ladder, segmentDuration: 1, segmentsPerChunk: 1, vmafModel: null, queue: poisoned }), {
    code: 'OCLAB_ERR_ENCODE_FAILED',
    message: /chunk-00001 \(a\/chunk-00001, b\/chunk-00001\) \(after 2 tries\): poisoned chunk/,
  })
  await t.rejects(readTitle(join(store, 'titles', 'poison')), { code: 'OCLAB_ERR_BAD_TITLE' }, 'no package appears for a failed title')
  for (const rung of ['a', 'b']) {
    const finished = await readdir(join(store, '.work', 'poison', 'chunks', rung))
    t.same(
      finished.filter((f) => f.endsWith('.json')),
      ['chunk-00002.json'],
      `${rung}: the chunk that did finish stays for a resume`,
    )
  }
})

t.test('quality gate: a chunk under the target is re-encoded at a higher rate', async (t) => {
  const dir = await tempDir(t)
  const source = await testSource(dir, { kind: 'complex', duration: 2 })
  const store = join(dir, 'store')
  const ladder = [{ id: 'low', width: 320, height: 180, bitrate: 60_000 }]
  const plain = await encodeTitle({ source, store, titleId: 'plain', ladder, segmentDuration: 1, segmentsPerChunk: 2, vmafModel: null })
  t.equal(plain.title.encode.qualityGateReencodes, 0)
  // 60 kbit/s of noise cannot reach SSIM 20 dB (0.99): the gate fires and raises the rate twice
  const gated = await encodeTitle({
    source,
    store,
    titleId: 'gated',
    ladder,
    segmentDuration: 1,
    segmentsPerChunk: 2,
    vmafModel: null,
    gate: 20,
    maxReencodes: 2,
  })
  t.equal(gated.title.encode.qualityGateReencodes, 2, 'the report says how many re-encodes there were')
  const bytes = (r: typeof plain) => r.title.video[0]!.segments.reduce((s, x) => s + x.bytes, 0)
  t.ok(bytes(gated) > bytes(plain) * 1.3, `re-encoded at a higher rate (${bytes(gated)} vs ${bytes(plain)} bytes)`)
  t.ok(gated.title.video[0]!.quality.ssim > plain.title.video[0]!.quality.ssim, 'and a higher measured quality')
})

t.test('one decode for several rungs: the fused encode gives each job exactly its own bytes', async (t) => {
  const dir = await tempDir(t)
  const source = await testSource(dir, { duration: 2 })
  const { planChunks } = await import('../../encoder/jobs/chunks.js')
  const { DEFAULT_H264 } = await import('../../encoder/jobs/h264.js')
  const { encodeChunk, encodeChunkGroup } = await import('../../encoder/jobs/chunk-job.js')
  const { sha256File } = await import('../../lib/hash.js')
  const plan = planChunks(50, 25, 1, 1)
  const chunk = plan.chunks[1]!
  const jobs = [
    { id: 'a', width: 160, height: 90, bitrate: 100_000 },
    { id: 'b', width: 320, height: 180, bitrate: 250_000 },
  ].map((rung) => ({
    key: `${rung.id}/x`,
    source,
    sourceSeek: (chunk.startFrame - 0.5) / 25,
    sourceWidth: 320,
    sourceHeight: 180,
    chunk,
    rung,
    h264: { ...DEFAULT_H264, gop: 25, frameRate: 25 },
    framesPerSegment: 25,
    metric: 'ssim' as const,
    vmafModel: null,
    workDir: dir,
  }))
  const fused = jobs.map((j) => join(dir, `fused-${j.rung.id}.mp4`))
  await encodeChunkGroup(jobs, fused)
  for (const [i, job] of jobs.entries()) {
    const alone = join(dir, `alone-${job.rung.id}.mp4`)
    await encodeChunk(job, job.rung.bitrate, alone)
    t.equal(await sha256File(fused[i]!), await sha256File(alone), `${job.rung.id}: same bytes fused or alone`)
  }
})

t.test('shot jobs: IDRs at the segment starts of the shot; the gate lowers the CRF', async (t) => {
  const dir = await tempDir(t)
  const source = await testSource(dir, { kind: 'complex', duration: 2 })
  const { DEFAULT_H264 } = await import('../../encoder/jobs/h264.js')
  const { runChunkJob } = await import('../../encoder/jobs/chunk-job.js')
  const { ffprobeJson } = await import('../../lib/ffmpeg.js')
  // a 35-frame shot from frame 10, cut into segments of 18 and 17 frames; the title's longest segment is 20
  const chunk = { index: 0, startFrame: 10, frames: 35, start: 0.4, duration: 1.4, segments: [18, 17] }
  const job = {
    key: 'r/shot-00001',
    source,
    sourceSeek: 9.5 / 25,
    sourceWidth: 320,
    sourceHeight: 180,
    chunk,
    rung: { id: 'r', width: 320, height: 180, bitrate: 100_000 },
    h264: { ...DEFAULT_H264, gop: 20, frameRate: 25, keyframes: [0, 18] },
    crf: 40,
    framesPerSegment: 20,
    metric: 'ssim' as const,
    vmafModel: null,
    workDir: dir,
    // noise at CRF 40 cannot reach SSIM 20 dB: the gate re-encodes at CRF 37, then 34
    gate: { target: 20, maxReencodes: 2, rateStep: 1.3, maxBitrate: 50_000_000 },
  }
  const r = await runChunkJob(job)
  const frames = await ffprobeJson<{ frames: Array<{ key_frame: number; pict_type: string }> }>([
    '-select_streams',
    'v:0',
    '-show_entries',
    'frame=key_frame,pict_type',
    r.file,
  ])
  t.same(
    frames.frames.flatMap((f, i) => (f.key_frame ? [i] : [])),
    [0, 18],
    'keyframes exactly at the segment starts',
  )
  t.equal(frames.frames.length, 35)
  t.equal(r.reencodes, 2)
  t.equal(r.crf, 34, 'kept the best try: CRF 40 − 2 × 3')
  t.equal(r.segments.length, 2, 'a quality per segment')
  t.ok(r.bitrate > 0, 'the rate a CRF encode reached')
})
