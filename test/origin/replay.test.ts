import t from 'tap'
import type { FileEntry } from '../../lib/title-package.js'
import { diffPlacement } from '../../origin/fill-plan.js'
import { type PlanInput, planPlacement } from '../../origin/planner.js'
import { holdingsOf, oraclePlan, type RequestLog, replay, sampleRequests, simulateLru } from '../../origin/replay.js'

const input: PlanInput = {
  titles: [
    { id: 'a', baseBytes: 10, renditions: [{ id: 'hi', bytes: 90 }] },
    { id: 'b', baseBytes: 10, renditions: [{ id: 'hi', bytes: 40 }] },
  ],
  sites: [
    { id: 's1', region: 'eu', capacityBytes: 100 },
    { id: 's2', region: 'eu', capacityBytes: 50 },
    { id: 's3', region: 'us', capacityBytes: 100 },
  ],
  views: [
    [10, 1],
    [0, 5],
    [1, 0],
  ],
  share: () => [1],
}
const logOf = (rows: [number, number][]): RequestLog => ({
  site: Uint16Array.from(rows.map((r) => r[0])),
  title: Uint32Array.from(rows.map((r) => r[1])),
  rendition: new Uint16Array(rows.length),
  length: rows.length,
})

t.test('replay splits requested bytes into own site, region and origin', async (t) => {
  const plan = planPlacement(input)
  t.same(
    plan.sites.map((s) => s.titles.map((x) => x.titleId)),
    [['a'], ['b'], ['a']],
  )
  // s1 asks a (own 100) and b (region: s2 holds it, 50); s3 asks b (nobody in us: origin 50).
  const r = replay(
    input,
    logOf([
      [0, 0],
      [0, 1],
      [2, 1],
    ]),
    holdingsOf(input, plan),
  )
  t.same(r, { bytes: 200, own: 0.5, region: 0.25, origin: 0.25 })
})

t.test('the oracle plans on the exact requests; LRU fills on miss', async (t) => {
  const log = logOf([
    [2, 1],
    [2, 1],
    [2, 1],
  ])
  const oracle = oraclePlan(input, log)
  t.same(
    oracle.sites[2]?.titles.map((x) => x.titleId),
    ['b'],
    'the oracle knows s3 asks only for b',
  )
  t.equal(replay(input, log, holdingsOf(input, oracle)).own, 1)
  const empty = logOf([])
  // Cold LRU: the first request misses, the next two hit.
  const lru = simulateLru(input, empty, log)
  t.equal(lru.own, 2 / 3)
  // Warmed on a day that asked for a: s3's 100 B hold a; b (50 B) evicts it and then hits twice.
  t.equal(simulateLru(input, logOf([[2, 0]]), log).own, 2 / 3)
  const sampled = sampleRequests(input, 2000, 9)
  t.equal(sampled.length, 2000)
  t.notOk(
    [...sampled.site.keys()].some((i) => sampled.site[i] === 1 && sampled.title[i] === 0),
    'never a title with no forecast plays',
  )
  t.same(sampleRequests(input, 50, 9).title, sampleRequests(input, 50, 9).title, 'seeded')
})

const f = (path: string, bytes = 10, sha = 'a'): FileEntry => ({ path, bytes, sha256: sha.repeat(64) })

t.test('fill plan: only missing files, peer before origin, the first fill of a region seeds the others, evictions and pins', async (t) => {
  const full = [f('title.json'), f('master.m3u8'), f('v1/seg-1.m4s', 100), f('v2/seg-1.m4s', 50)]
  const low = [f('title.json'), f('master.m3u8'), f('v2/seg-1.m4s', 50)]
  const wanted = new Map([
    ['a1', new Map([['T', full]])],
    ['a2', new Map([['T', low]])],
    [
      'b1',
      new Map([
        ['T', low],
        ['U', [f('x')]],
      ]),
    ],
    ['c1', new Map([['T', full]])],
    ['down', new Map([['T', full]])],
  ])
  const held = (files: FileEntry[], pinned = true) => ({ id: 'T', bytes: 1, pinned, files })
  const { work, tasks } = diffPlacement(wanted, [
    { id: 'a1', region: 'eu', titles: [held([f('title.json')]), { id: 'OLD', bytes: 77, pinned: false, files: [f('y')] }] },
    { id: 'a2', region: 'eu', titles: [] },
    { id: 'b1', region: 'us', titles: [held(low, false), { id: 'U', bytes: 10, pinned: true, files: [f('x')] }] },
    { id: 'c1', region: 'us', titles: [] },
    { id: 'down', region: 'eu' },
  ])
  const byOca = new Map(work.map((w) => [w.oca, w]))
  const a1 = byOca.get('a1')!.fills[0]!
  t.same(
    a1.files.map((x) => x.path),
    ['master.m3u8', 'v1/seg-1.m4s', 'v2/seg-1.m4s'],
    'title.json is already there',
  )
  t.same(a1.source, { kind: 'origin' })
  t.same(byOca.get('a2')!.fills[0]?.source, { kind: 'peer', oca: 'a1', afterFill: a1.n }, 'a2 waits for a1 and copies from it')
  t.same(byOca.get('c1')!.fills[0]?.source, { kind: 'origin' }, 'b1 holds only the low rung: c1 needs the top one from the origin')
  t.same(byOca.get('b1')!.fills, [])
  t.same(byOca.get('b1')!.inPlace, ['T', 'U'])
  t.same(byOca.get('b1')!.pin, ['T'])
  t.same(byOca.get('a1')!.evict, [{ titleId: 'OLD', bytes: 77 }])
  t.equal(byOca.get('down')!.up, false)
  t.equal(tasks.length, 3)

  // Everything in place: nothing to send.
  const again = diffPlacement(new Map([['a1', new Map([['T', low]])]]), [{ id: 'a1', region: 'eu', titles: [held(low)] }])
  t.same(again.tasks, [])
  // A held file with another hash is not in place.
  const changed = diffPlacement(new Map([['a1', new Map([['T', low]])]]), [
    { id: 'a1', region: 'eu', titles: [held([f('title.json'), f('master.m3u8'), f('v2/seg-1.m4s', 50, 'b')])] },
  ])
  t.same(
    changed.tasks[0]?.files.map((x) => x.path),
    ['v2/seg-1.m4s'],
  )
  // A peer that already holds it is used directly.
  const peer = diffPlacement(new Map([['a2', new Map([['T', low]])]]), [
    { id: 'a1', region: 'eu', titles: [held(full)] },
    { id: 'a2', region: 'eu', titles: [] },
  ])
  t.same(peer.tasks[0]?.source, { kind: 'peer', oca: 'a1' })
})
