import t from 'tap'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { localPool } from '../../encoder/job-queue.js'
import { runChunkJob, type ChunkJob, type ChunkResult } from '../../encoder/chunk-job.js'
import { encodeTitle } from '../../encoder/encode-title.js'
import { readTitle } from '../../lib/title-package.js'
import { testSource, tempDir } from '../helpers/package.js'

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
  await t.rejects(pool.runAll([1, 2, 3, 4]), { code: 'OCLAB_ERR_ENCODE_FAILED', message: /1 chunk job\(s\) failed:\n  job 3 \(after 3 tries\): always broken/ })
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
  const ladder = [{ id: 'a', width: 160, height: 90, bitrate: 100_000 }, { id: 'b', width: 320, height: 180, bitrate: 200_000 }]
  let failed = false
  const flaky = localPool<ChunkJob, ChunkResult>(
    async (job) => {
      if (job.key === 'b/chunk-00002' && !failed) {
        failed = true
        throw new Error('worker lost')
      }
      return runChunkJob(job)
    },
    { concurrency: 2, retry: { attempts: 3, backoffMs: 1 }, describe: (j) => j.key },
  )
  const { title } = await encodeTitle({ source, store, titleId: 'retry', ladder, segmentDuration: 1, segmentsPerChunk: 1, vmafModel: null, queue: flaky })
  t.equal(title.encode.retries, 1, 'the retry is counted in title.json')
  t.equal(title.video.find((v) => v.id === 'b')!.segments.length, 2)

  const poisoned = localPool<ChunkJob, ChunkResult>(
    async (job) => {
      if (job.key === 'a/chunk-00001') throw new Error('poisoned chunk')
      return runChunkJob(job)
    },
    { concurrency: 2, retry: { attempts: 2, backoffMs: 1 }, describe: (j) => j.key },
  )
  await t.rejects(encodeTitle({ source, store, titleId: 'poison', ladder, segmentDuration: 1, segmentsPerChunk: 1, vmafModel: null, queue: poisoned }), {
    code: 'OCLAB_ERR_ENCODE_FAILED',
    message: /a\/chunk-00001 \(after 2 tries\): poisoned chunk/,
  })
  await t.rejects(readTitle(join(store, 'titles', 'poison')), { code: 'OCLAB_ERR_BAD_TITLE' }, 'no package appears for a failed title')
  const finished = await readdir(join(store, '.work', 'poison', 'chunks', 'b'))
  t.same(finished.filter((f) => f.endsWith('.json')).sort(), ['chunk-00001.json', 'chunk-00002.json'], 'finished chunks stay for a resume')
})

t.test('quality gate: a chunk under the target is re-encoded at a higher rate', async (t) => {
  const dir = await tempDir(t)
  const source = await testSource(dir, { kind: 'complex', duration: 2 })
  const store = join(dir, 'store')
  const ladder = [{ id: 'low', width: 320, height: 180, bitrate: 60_000 }]
  const plain = await encodeTitle({ source, store, titleId: 'plain', ladder, segmentDuration: 1, segmentsPerChunk: 2, vmafModel: null })
  t.equal(plain.title.encode.qualityGateReencodes, 0)
  // 60 kbit/s of noise cannot reach SSIM 20 dB (0.99): the gate fires and raises the rate twice
  const gated = await encodeTitle({ source, store, titleId: 'gated', ladder, segmentDuration: 1, segmentsPerChunk: 2, vmafModel: null, gate: 20, maxReencodes: 2 })
  t.equal(gated.title.encode.qualityGateReencodes, 2, 'the report says how many re-encodes there were')
  const bytes = (r: typeof plain) => r.title.video[0]!.segments.reduce((s, x) => s + x.bytes, 0)
  t.ok(bytes(gated) > bytes(plain) * 1.3, `re-encoded at a higher rate (${bytes(gated)} vs ${bytes(plain)} bytes)`)
  t.ok(gated.title.video[0]!.quality.ssim > plain.title.video[0]!.quality.ssim, 'and a higher measured quality')
})
