import { join } from 'node:path'
import t from 'tap'
import { encodeTitle } from '../../encoder/encode-title.js'
import { bullmqQueue } from '../../encoder/fleet/queue-bullmq.js'
import { parseQueueUrl } from '../../encoder/fleet/redis-connection.js'
import { sharedDirStorage } from '../../encoder/fleet/storage.js'
import { ladderSummary } from '../../encoder/packager/summary.js'
import { tempDir, testSource } from '../helpers/package.js'
import { killWorker, redisMissing, spawnWorker, startRedis } from './helpers.js'

const ladder = [
  { id: 'a', width: 160, height: 90, bitrate: 100_000 },
  { id: 'b', width: 320, height: 180, bitrate: 200_000 },
]
const settings = { ladder, segmentDuration: 1, segmentsPerChunk: 1, vmafModel: null }

t.test('a worker SIGKILLed mid-job loses nothing: another worker takes its job and the title completes', { skip: redisMissing }, async (t) => {
  const dir = await tempDir(t)
  const source = await testSource(dir, { duration: 4 })
  const local = await encodeTitle({ source, store: join(dir, 'local'), titleId: 'kill', ...settings })

  const url = await startRedis(t)
  const shared = join(dir, 'shared')
  // short locks so a dead worker's job is recovered in a second or two, not the production 30 s
  const fast = ['--lock-ms', '1000', '--stalled-ms', '500']
  const workers = await Promise.all([1, 2].map(() => spawnWorker(t, url, shared, fast)))
  const queue = bullmqQueue({ target: parseQueueUrl(url), storage: sharedDirStorage(shared), retry: { attempts: 3, backoffMs: 50 } })
  const retries: string[] = []
  const encoding = encodeTitle({
    source,
    store: shared,
    titleId: 'kill',
    ...settings,
    queue,
    onEvent: (e) => e.type === 'job' && e.state === 'retry' && retries.push(`${e.key}: ${e.error}`),
  })

  const started = await Promise.race(workers.map((w, i) => w.waitFor(/ start kill chunk-\d+/).then((line) => ({ i, line }))))
  const victim = workers[started.i]!
  killWorker(victim)
  const chunk = /(chunk-\d+)/.exec(started.line)![1]!
  t.comment(`killed worker ${started.i} during ${chunk}`)

  const t0 = Date.now()
  const fleet = await encoding
  t.comment(`worker SIGKILLed: the title completed ${((Date.now() - t0) / 1000).toFixed(1)} s after the kill (lock 1 s, stalled check 0.5 s)`)
  const survivor = workers[1 - started.i]!
  t.match(survivor.output(), new RegExp(`done kill ${chunk} `), `the surviving worker ran ${chunk} again`)
  t.notMatch(victim.output(), new RegExp(`done kill ${chunk} `), 'the killed worker never finished it')
  t.match(
    retries,
    [new RegExp(`^a/${chunk}: .*worker.*re-run on another worker`), new RegExp(`^b/${chunk}: .*re-run on another worker`)],
    'the submitter reported the re-run of each rung of the killed job',
  )
  t.equal(retries.length, 2, 'and nothing else')
  t.equal(fleet.title.encode.retries, 1, 'title.json counts the re-run as a retry')
  t.match(ladderSummary(fleet.title, fleet.titleDir), / 1 retries,/, 'the summary shows it')
  t.same(
    fleet.title.video.map((v) => v.segments.map((s) => s.sha256)),
    local.title.video.map((v) => v.segments.map((s) => s.sha256)),
    'the segments are the bytes the local pool makes',
  )
})
