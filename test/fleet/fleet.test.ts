import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Queue } from 'bullmq'
import t from 'tap'
import { encodeTitle } from '../../encoder/encode-title.js'
import { bullmqQueue } from '../../encoder/fleet/queue-bullmq.js'
import { clientConnection, parseQueueUrl } from '../../encoder/fleet/redis-connection.js'
import { sharedDirStorage } from '../../encoder/fleet/storage.js'
import { generateSource } from '../../encoder/synthetic-source.js'
import { sha256File } from '../../lib/hash.js'
import { tempDir, testSource } from '../helpers/package.js'
import { redisMissing, spawnWorker, startRedis } from './helpers.js'

// two rungs and a quality gate that fires on some chunks, so the gate's re-encodes are part of what must match
const ladder = [
  { id: 'a', width: 160, height: 90, bitrate: 60_000 },
  { id: 'b', width: 320, height: 180, bitrate: 150_000 },
]
const settings = { ladder, segmentDuration: 1, segmentsPerChunk: 1, vmafModel: null, gate: 24, maxReencodes: 1 }

t.test('the same source on the local pool and on 3 worker processes over Redis: same title.json, same bytes', { skip: redisMissing }, async (t) => {
  const dir = await tempDir(t)
  const source = await testSource(dir, { duration: 4 })
  const local = await encodeTitle({ source, store: join(dir, 'local'), titleId: 'same', ...settings })

  const url = await startRedis(t)
  const shared = join(dir, 'shared')
  await Promise.all([1, 2, 3].map(() => spawnWorker(t, url, shared)))
  const target = parseQueueUrl(url)
  const workers = new Set<string>()
  const queue = bullmqQueue({
    target,
    storage: sharedDirStorage(shared),
    retry: { attempts: 3, backoffMs: 50 },
    requireWorkers: true,
    onChunkReturn: (_b, ret) => workers.add(ret.worker),
  })
  const fleet = await encodeTitle({ source, store: shared, titleId: 'same', ...settings, queue })

  t.ok(local.title.encode.qualityGateReencodes > 0, `the quality gate fired (${local.title.encode.qualityGateReencodes} re-encodes)`)
  // createdAt is the only field that may differ here; retries and resumedJobs are equal in this run but legitimately differ when a fleet job is retried
  const strip = (json: string) => ({ ...JSON.parse(json), createdAt: null })
  const [a, b] = await Promise.all([readFile(join(local.titleDir, 'title.json'), 'utf8'), readFile(join(fleet.titleDir, 'title.json'), 'utf8')])
  t.same(strip(b), strip(a), 'title.json is identical apart from createdAt')
  for (const f of local.title.files) {
    t.equal(await sha256File(join(fleet.titleDir, f.path)), await sha256File(join(local.titleDir, f.path)), `${f.path}: same sha256`)
  }
  t.ok(workers.size >= 2, `the chunk jobs were spread over ${workers.size} worker processes`)

  const q = new Queue('oclab-encode', { connection: clientConnection(target) })
  t.teardown(() => q.close())
  const jobs = (await q.getJobs(['completed'], 0, -1)).filter((j) => j.name === 'chunk')
  t.equal(jobs.length, 4, 'one queue job per chunk (all its rungs together)')
  const data = JSON.stringify(jobs.map((j) => j.data))
  t.notOk(data.includes(dir), 'job data names no path of the submitting machine')
  t.match(
    jobs[0]?.data,
    { titleId: 'same', batch: { jobs: [{ source: /^sources\/[0-9a-f]{64}\.mp4$/, workDir: '.work/same/chunks' }] } },
    'inputs and outputs are storage keys',
  )
})

t.test(
  "a shot-based title on 2 worker processes over Redis: per-shot CRF jobs give the local encode's title.json and bytes",
  { skip: redisMissing },
  async (t) => {
    const dir = await tempDir(t)
    const source = join(dir, 'multishot.mp4')
    await generateSource({ kind: 'multishot', out: source, duration: 5, width: 320, height: 180, seed: 2 })
    const shotSettings = { ladder: 'shot-based' as const, segmentDuration: 1, vmafModel: null, probe: { heights: [90, 180], crfs: [24, 32, 40] } }
    const local = await encodeTitle({ source, store: join(dir, 'local'), titleId: 'shots', ...shotSettings })
    t.equal(local.title.ladder.kind, 'shot-based')

    const url = await startRedis(t)
    const shared = join(dir, 'shared')
    await Promise.all([1, 2].map(() => spawnWorker(t, url, shared)))
    const queue = bullmqQueue({ target: parseQueueUrl(url), storage: sharedDirStorage(shared), retry: { attempts: 3, backoffMs: 50 }, requireWorkers: true })
    const fleet = await encodeTitle({ source, store: shared, titleId: 'shots', ...shotSettings, queue })

    const strip = (json: string) => ({ ...JSON.parse(json), createdAt: null })
    const [a, b] = await Promise.all([readFile(join(local.titleDir, 'title.json'), 'utf8'), readFile(join(fleet.titleDir, 'title.json'), 'utf8')])
    t.same(strip(b), strip(a), 'title.json (shots, allocation, CRFs, segments) is identical apart from createdAt')
    for (const f of local.title.files) {
      t.equal(await sha256File(join(fleet.titleDir, f.path)), await sha256File(join(local.titleDir, f.path)), `${f.path}: same sha256`)
    }
  },
)
