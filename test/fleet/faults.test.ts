import { join } from 'node:path'
import t from 'tap'
import { encodeTitle } from '../../encoder/encode-title.js'
import { bullmqQueue } from '../../encoder/fleet/queue-bullmq.js'
import { parseQueueUrl } from '../../encoder/fleet/redis-connection.js'
import { sharedDirStorage } from '../../encoder/fleet/storage.js'
import { type FleetWorker, startFleetWorker } from '../../encoder/fleet/worker.js'
import { type ChunkBatch, runChunkJobs } from '../../encoder/jobs/chunk-job.js'
import { tempDir, testSource } from '../helpers/package.js'
import { redisMissing, spawnWorker, startRedisServer } from './helpers.js'

const ladder = [
  { id: 'a', width: 160, height: 90, bitrate: 100_000 },
  { id: 'b', width: 320, height: 180, bitrate: 200_000 },
]
const settings = { ladder, segmentDuration: 1, segmentsPerChunk: 1, vmafModel: null }

/**
 * Two workers in this process whose handler holds `hold` (a chunk key) of the
 * title `titleId` until the test releases it: the test then breaks Redis while
 * that chunk is provably mid-encode, so the fault lands mid-title every time.
 */
async function gatedFleet(_t: { teardown(fn: () => unknown): void }, url: string, shared: string, titleId: string, hold: string) {
  let reached = () => {}
  let release = () => {}
  const atHold = new Promise<void>((r) => (reached = r))
  const released = new Promise<void>((r) => (release = r))
  let held = false
  const lines: string[] = []
  const workers: FleetWorker[] = []
  for (let i = 0; i < 2; i++) {
    workers.push(
      await startFleetWorker({
        target: parseQueueUrl(url),
        storage: sharedDirStorage(shared),
        lockMs: 2000,
        stalledMs: 1000,
        log: (l) => lines.push(l),
        processBatch: async (b: ChunkBatch, signal) => {
          if (!held && b.key === hold && b.jobs[0]!.workDir.includes(`/.work/${titleId}/`)) {
            held = true
            reached()
            await released
          }
          return runChunkJobs(b.jobs, signal)
        },
      }),
    )
  }
  return { atHold, release, lines, close: () => Promise.all(workers.map((w) => w.close())) }
}

const segments = (title: { video: { segments: { sha256: string }[] }[] }) => title.video.map((v) => v.segments.map((s) => s.sha256))

t.test(
  'Redis restarted without persistence mid-title: the submitter notices the lost flow, resubmits, and the bytes match a local encode',
  { skip: redisMissing },
  async (t) => {
    const dir = await tempDir(t)
    const source = await testSource(dir, { duration: 4, audio: false })
    const local = await encodeTitle({ source, store: join(dir, 'local'), titleId: 'lost', ...settings })

    const redis = await startRedisServer(t)
    const shared = join(dir, 'shared')
    const fleet = await gatedFleet(t, redis.url, shared, 'lost', 'chunk-00003')
    t.teardown(fleet.close)
    const notices: string[] = []
    const done: string[] = []
    let noticedAt = 0
    const encoding = encodeTitle({
      source,
      store: shared,
      titleId: 'lost',
      ...settings,
      queue: bullmqQueue({
        target: parseQueueUrl(redis.url),
        storage: sharedDirStorage(shared),
        retry: { attempts: 3, backoffMs: 50 },
        watchMs: 250,
        deadlineMs: 30_000,
        onNotice: (m) => {
          notices.push(m)
          // the held chunk finishes only once the submitter has noticed the loss, so there is always something to resubmit
          if (/is gone from the queue's Redis/.test(m)) {
            noticedAt = Date.now()
            fleet.release()
          }
        },
      }),
      onEvent: (e) => e.type === 'job' && e.state === 'done' && done.push(e.key),
    })

    await fleet.atHold
    const t0 = Date.now()
    await redis.restart()
    const { title } = await encoding
    t.comment(
      `restart without persistence: lost flow noticed ${((noticedAt - t0) / 1000).toFixed(1)} s and the title completed ${((Date.now() - t0) / 1000).toFixed(1)} s after the restart began (watch interval 250 ms)`,
    )

    t.match(notices.join('\n'), /title lost \(run lost\.[0-9a-f]+\) is gone from the queue's Redis/, 'the submitter says Redis lost the title')
    t.match(notices.join('\n'), /resubmitting title lost: [1-4] of 4 chunk jobs/, 'and that it resubmits the unfinished chunks')
    t.equal(new Set(done).size, 8, 'every chunk job (4 chunks x 2 rungs) reported done')
    t.equal(done.length, 8, '...once each, reused ones included')
    t.same(segments(title), segments(local.title), 'the segments are the bytes the local pool makes')
    t.match(fleet.lines.join('\n'), /warning: the Redis at redis:\/\/127\.0\.0\.1:\d+ has no persistence/, 'the workers warned at start')
  },
)

t.test('Redis restarted WITH AOF mid-title: the flow survives, nothing is resubmitted', { skip: redisMissing }, async (t) => {
  const dir = await tempDir(t)
  const source = await testSource(dir, { duration: 4, audio: false })
  const local = await encodeTitle({ source, store: join(dir, 'local'), titleId: 'aof', ...settings })

  const redis = await startRedisServer(t, { appendonly: true })
  const shared = join(dir, 'shared')
  const fleet = await gatedFleet(t, redis.url, shared, 'aof', 'chunk-00002')
  t.teardown(fleet.close)
  const notices: string[] = []
  const encoding = encodeTitle({
    source,
    store: shared,
    titleId: 'aof',
    ...settings,
    queue: bullmqQueue({
      target: parseQueueUrl(redis.url),
      storage: sharedDirStorage(shared),
      retry: { attempts: 3, backoffMs: 50 },
      watchMs: 250,
      deadlineMs: 30_000,
      onNotice: (m) => notices.push(m),
    }),
  })
  await fleet.atHold
  const t0 = Date.now()
  await redis.restart()
  fleet.release()
  const { title } = await encoding
  t.comment(`restart with AOF: title completed ${((Date.now() - t0) / 1000).toFixed(1)} s after the restart`)
  t.notMatch(notices.join('\n'), /resubmitting/, 'no resubmission: the queue came back from the AOF')
  t.notMatch(fleet.lines.join('\n'), /no persistence/, 'no persistence warning for an AOF Redis')
  t.same(segments(title), segments(local.title), 'the segments are the bytes the local pool makes')
})

/**
 * A title under way on two worker processes (SIGKILLed at teardown, whatever state an outage
 * left their connections in), its submitter watching every 250 ms with a 3 s deadline.
 */
async function outageCase(t: Parameters<typeof tempDir>[0], titleId: string, queueOpts: Partial<Parameters<typeof bullmqQueue>[0]> = {}) {
  const dir = await tempDir(t)
  const source = await testSource(dir, { duration: 3, audio: false })
  const redis = await startRedisServer(t)
  const shared = join(dir, 'shared')
  const workers = await Promise.all([1, 2].map(() => spawnWorker(t, redis.url, shared)))
  const notices: string[] = []
  const deadlineMs = 3000
  const encoding = encodeTitle({
    source,
    store: shared,
    titleId,
    ...settings,
    queue: bullmqQueue({
      target: parseQueueUrl(redis.url),
      storage: sharedDirStorage(shared),
      watchMs: 250,
      deadlineMs,
      onNotice: (m) => notices.push(m),
      ...queueOpts,
    }),
  })
  return { redis, workers, notices, encoding, deadlineMs }
}

t.test(
  'Redis killed mid-title and not restarted: OCLAB_ERR_QUEUE_UNREACHABLE after the deadline, with progress lines while waiting',
  { skip: redisMissing },
  async (t) => {
    const { redis, workers, notices, encoding, deadlineMs } = await outageCase(t, 'dead')
    // a chunk job has started: the title cannot finish without Redis from here on
    await Promise.race(workers.map((w) => w.waitFor(/ start dead chunk-\d+/)))
    const t0 = Date.now()
    await redis.kill()
    await t.rejects(encoding, {
      code: 'OCLAB_ERR_QUEUE_UNREACHABLE',
      message: /lost the queue's Redis at redis:\/\/127\.0\.0\.1:\d+ for \d+ s \(deadline 3 s, --queue-deadline\): connect ECONNREFUSED/,
    })
    t.comment(`Redis killed: the submitter failed ${((Date.now() - t0) / 1000).toFixed(1)} s after the kill (deadline ${deadlineMs / 1000} s)`)
    t.match(
      notices.join('\n'),
      /Redis at redis:\/\/127\.0\.0\.1:\d+ unreachable for \d+ s \(connect ECONNREFUSED [^)]+\); waiting, giving up in \d+ s/,
      'a progress line while it waits',
    )
    t.notMatch(notices.join('\n'), /\n\s+at /, 'no stack traces')
    // the workers keep retrying: wait until each has said so, then check it said so in prefixed lines, not a stack per retry
    await Promise.all(workers.map((w) => w.waitFor(/ Redis at redis:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/)))
    const outageSeconds = (Date.now() - t0) / 1000
    for (const w of workers) {
      const lines = w
        .output()
        .split('\n')
        .filter((l) => l)
      t.same(
        lines.filter((l) => !/^\d{4}-\d\d-\d\dT\S+ /.test(l)),
        [],
        'every line the worker printed is a timestamped log line (no raw stacks)',
      )
      const redisLines = lines.filter((l) => /^\S+ Redis at redis:/.test(l)).length
      t.ok(redisLines <= 1 + Math.ceil(outageSeconds / 10), `${redisLines} Redis error line(s) in a ${outageSeconds.toFixed(0)} s outage: at most one per 10 s`)
    }
  },
)

t.test(
  'Redis hung mid-title (SIGSTOP: connections accepted, nothing answered): OCLAB_ERR_QUEUE_UNREACHABLE after the deadline, not a hang',
  { skip: redisMissing },
  async (t) => {
    const { redis, workers, notices, encoding, deadlineMs } = await outageCase(t, 'hung', { timeouts: { connectMs: 1000, commandMs: 1000 } })
    await Promise.race(workers.map((w) => w.waitFor(/ start hung chunk-\d+/)))
    const t0 = Date.now()
    redis.freeze()
    await t.rejects(encoding, {
      code: 'OCLAB_ERR_QUEUE_UNREACHABLE',
      message: /lost the queue's Redis at redis:\/\/127\.0\.0\.1:\d+ for \d+ s \(deadline 3 s, --queue-deadline\): (Command timed out|no answer within)/,
    })
    t.comment(
      `Redis hung: the submitter failed ${((Date.now() - t0) / 1000).toFixed(1)} s after SIGSTOP (deadline ${deadlineMs / 1000} s, command timeout 1 s)`,
    )
    t.match(
      notices.join('\n'),
      /unreachable for \d+ s \((Command timed out|no answer within [\d.]+ s)\); waiting, giving up in \d+ s/,
      'a progress line while it waits',
    )
    redis.thaw()
  },
)
