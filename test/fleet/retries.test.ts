import { join } from 'node:path'
import t from 'tap'
import { encodeTitle } from '../../encoder/encode-title.js'
import { bullmqQueue } from '../../encoder/fleet/queue-bullmq.js'
import { parseQueueUrl } from '../../encoder/fleet/redis-connection.js'
import { sharedDirStorage } from '../../encoder/fleet/storage.js'
import { startFleetWorker } from '../../encoder/fleet/worker.js'
import { type ChunkBatch, type ChunkResult, runChunkJobs } from '../../encoder/jobs/chunk-job.js'
import { readTitle } from '../../lib/title-package.js'
import { tempDir, testSource } from '../helpers/package.js'
import { redisMissing, startRedis } from './helpers.js'

const ladder = [
  { id: 'a', width: 160, height: 90, bitrate: 100_000 },
  { id: 'b', width: 320, height: 180, bitrate: 200_000 },
]
const settings = { ladder, segmentDuration: 1, segmentsPerChunk: 1, vmafModel: null }

/** Workers in this process whose chunk handler is wrapped by `wrap`: how the tests inject failures without a shipped flag. */
async function fleet(
  t: { teardown(fn: () => unknown): void },
  url: string,
  shared: string,
  wrap: (b: ChunkBatch, run: () => Promise<ChunkResult[]>) => Promise<ChunkResult[]>,
) {
  for (let i = 0; i < 2; i++) {
    const w = await startFleetWorker({
      target: parseQueueUrl(url),
      storage: sharedDirStorage(shared),
      processBatch: (b, signal) => wrap(b, () => runChunkJobs(b.jobs, signal)),
    })
    t.teardown(() => w.close())
  }
}

t.test(
  'fleet: a job that fails twice then succeeds is retried with backoff; a poisoned chunk fails the title with the list',
  { skip: redisMissing },
  async (t) => {
    const dir = await tempDir(t)
    const source = await testSource(dir, { duration: 2 })
    const url = await startRedis(t)
    const shared = join(dir, 'shared')
    const storage = sharedDirStorage(shared)
    const target = parseQueueUrl(url)

    let flaky = 0
    const calls = new Map<string, number>()
    await fleet(t, url, shared, async (b, run) => {
      calls.set(b.key, (calls.get(b.key) ?? 0) + 1)
      if (b.jobs[0]!.workDir.includes('/.work/poison/') && b.key === 'chunk-00001') throw new Error('poisoned chunk')
      if (b.jobs[0]!.workDir.includes('/.work/flaky/') && b.key === 'chunk-00002' && flaky < 2) {
        flaky++
        throw new Error(`worker lost (${flaky})`)
      }
      return run()
    })

    const retries: string[] = []
    const { title } = await encodeTitle({
      source,
      store: shared,
      titleId: 'flaky',
      ...settings,
      queue: bullmqQueue({ target, storage, retry: { attempts: 3, backoffMs: 20 } }),
      onEvent: (e) => e.type === 'job' && e.state === 'retry' && retries.push(`${e.key}: ${e.error}`),
    })
    t.equal(title.encode.retries, 2, 'title.json counts both retries')
    t.equal(calls.get('chunk-00002'), 3, 'the flaky chunk ran three times')
    t.match(
      retries,
      [/chunk-00002: worker lost \(1\)/, /chunk-00002: worker lost \(1\)/, /chunk-00002: worker lost \(2\)/, /chunk-00002: worker lost \(2\)/],
      'each retry is reported for each rung of the chunk, with its error',
    )
    t.equal(title.video[1]?.segments.length, 2)

    calls.clear()
    await t.rejects(
      encodeTitle({ source, store: shared, titleId: 'poison', ...settings, queue: bullmqQueue({ target, storage, retry: { attempts: 2, backoffMs: 20 } }) }),
      {
        code: 'OCLAB_ERR_ENCODE_FAILED',
        message: /1 chunk job\(s\) failed:\n {2}chunk-00001 \(a\/chunk-00001, b\/chunk-00001\) \(after 2 tries\): poisoned chunk/,
      },
    )
    t.equal(calls.get('chunk-00001'), 2, 'the poisoned chunk ran its two tries')
    t.equal(calls.get('chunk-00002'), 1, 'the other chunk still ran')
    await t.rejects(readTitle(join(shared, 'titles', 'poison')), { code: 'OCLAB_ERR_BAD_TITLE' }, 'no package appears for a failed title')
  },
)
