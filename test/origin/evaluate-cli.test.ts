import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { oclab } from '../helpers/cli.js'
import { tempDir } from '../helpers/package.js'
import { ADMIN } from './helpers.js'

type Replayed = { own: number; region: number; origin: number; savedBytes: number; bytes: number }
type Evaluation = { requests: number; reactiveShare: number; plan: Replayed; oracle: Replayed; lru: Replayed }

async function clusterFile(dir: string, capacityBytes: number): Promise<string> {
  const oca = (id: string, region: string) => ({ id, url: 'http://127.0.0.1:9', site: id, region, lat: 0, lon: 0, coverage: [], capacityBytes })
  const file = join(dir, `cluster-${capacityBytes}.json`)
  await writeFile(
    file,
    JSON.stringify({
      version: 1,
      adminToken: ADMIN,
      origin: { url: 'http://127.0.0.1:9' },
      steering: { url: 'http://127.0.0.1:9' },
      ocas: [oca('a1', 'eu'), oca('a2', 'eu'), oca('b1', 'us')],
    }),
  )
  return file
}

t.test('oclab origin evaluate replays the plan as OCAs run it: a title the forecast never heard of fills on miss and then hits', async (t) => {
  const dir = await tempDir(t, 'oclab-evaluate-')
  const config = await clusterFile(dir, 1e12)
  const popularity = join(dir, 'popularity.json')
  await writeFile(popularity, JSON.stringify({ version: 1, regions: { eu: { views: { t00001: 10 } } } }))
  // Four plays at a1 of t00002, which the forecast does not have, so the plan does not hold it: the first misses and fills
  // a1's reserve, the next three hit there. A replay of the plan's holdings alone would give 0.
  const log = join(dir, 'log.jsonl')
  await writeFile(log, `${JSON.stringify({ site: 'a1', title: 't00002', rendition: 'v235k' })}\n`.repeat(4))
  const r = await oclab(['origin', 'evaluate', '--config', config, '--synthetic', '20', '--popularity', popularity, '--log', log, '--json'])
  t.equal(r.code, 0, r.err)
  const e = JSON.parse(r.out) as Evaluation
  t.equal(e.requests, 4)
  t.equal(e.plan.own, 0.75)
  t.equal(e.plan.origin, 0.25)
  t.equal(e.oracle.own, 1, 'the oracle knew')
  t.equal(e.plan.savedBytes, 0.75 * e.plan.bytes, 'one codec: link bytes saved are the bytes served at the edge')
  t.equal(e.reactiveShare, 0.2)

  const text = await oclab(['origin', 'evaluate', '--config', config, '--synthetic', '20', '--popularity', popularity, '--log', log, '--reactive', '0.1'])
  t.equal(text.code, 0, text.err)
  t.match(text.out, /the plan leaves 10% of each OCA to fill on miss/)
  t.match(text.out, /plan\s+75\.0%\s+0\.0%\s+25\.0%/)
})

t.test('oclab origin evaluate with AV1 titles: link bytes saved beside the hit ratios; bad knobs are usage errors', async (t) => {
  const dir = await tempDir(t, 'oclab-evaluate-')
  // 300 synthetic titles are ~2.6 TB: 150 GB an OCA is a tight cache.
  const config = await clusterFile(dir, 1.5e11)
  const args = ['origin', 'evaluate', '--config', config, '--synthetic', '300', '--synthetic-av1', '0.5', '--requests', '20000', '--json']
  const r = await oclab(args)
  t.equal(r.code, 0, r.err)
  const e = JSON.parse(r.out) as Evaluation
  for (const k of ['plan', 'oracle', 'lru'] as const) {
    t.ok(Math.abs(e[k].own + e[k].region + e[k].origin - 1) < 1e-9, `${k}: shares add up`)
    t.ok(e[k].savedBytes > 0 && e[k].savedBytes < 2 * e[k].bytes, `${k}: saved ${e[k].savedBytes}`)
  }
  t.ok(e.plan.savedBytes > e.lru.savedBytes, `plan saves more than LRU: ${e.plan.savedBytes} > ${e.lru.savedBytes}`)
  t.ok(e.plan.savedBytes >= 0.85 * e.oracle.savedBytes, `plan within 15 % of the oracle: ${e.plan.savedBytes} vs ${e.oracle.savedBytes}`)
  const h264Only = JSON.parse((await oclab([...args, '--devices', 'h264=1'])).out) as Evaluation
  t.ok(h264Only.plan.bytes > e.plan.bytes, 'with no AV1 devices every play reads the larger H.264 bytes')

  const badMix = await oclab([...args, '--devices', 'av1=0.5'])
  t.equal(badMix.code, 2)
  t.match(badMix.err, /OCLAB_ERR_USAGE.*shares must add up to 1, got 0\.5/)
  const badReserve = await oclab([...args, '--reactive', '1'])
  t.equal(badReserve.code, 2)
  t.match(badReserve.err, /--reactive must be at most 0\.99/)
})
