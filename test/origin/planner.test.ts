import t from 'tap'
import { seededRandom } from '../../lib/random.js'
import { demandInput, ownerOf } from '../../origin/demand.js'
import { type PlanInput, type PlanTitle, planPlacement } from '../../origin/planner.js'
import { insideWindow, parseFillWindow, popularityFromFile, rungShares, zipfPopularity } from '../../origin/popularity.js'

const one = (capacityBytes: number) => [{ id: 's1', region: 'eu', capacityBytes }]
const even = () => [1]

t.test('greedy by density reaches the hand-computed optimum and reports the fractional bound', async (t) => {
  // Three single-rung titles: value = views × bytes. Capacity 100.
  // a: 60 B, 10 plays (600), b: 50 B, 9 plays (450), c: 50 B, 8 plays (400).
  // Optimum: b + c = 850 (a alone 600, a does not fit with either). Greedy by density takes a (10/B) and stops at 600,
  // so this is the textbook greedy trap: the planner must report the bound to show the gap.
  const titles: PlanTitle[] = [
    { id: 'a', baseBytes: 0, renditions: [{ id: 'r', bytes: 60 }] },
    { id: 'b', baseBytes: 0, renditions: [{ id: 'r', bytes: 50 }] },
    { id: 'c', baseBytes: 0, renditions: [{ id: 'r', bytes: 50 }] },
  ]
  const trap = planPlacement({ titles, sites: one(100), views: [[10, 9, 8]], share: even })
  t.equal(trap.servedBytes, 600)
  t.equal(trap.boundBytes, 600 + 40 * 9, 'bound: a whole plus 40 B of b')
  t.ok(trap.boundBytes >= 850, 'the bound is above the true optimum')
  t.equal(trap.ratioToBound, 600 / 960)

  // Items that pack: 40+30+30 = 100 exactly. Optimum = everything = 40·5 + 30·4 + 30·3 = 410; a fourth, sparser title is left out.
  const packs: PlanTitle[] = [
    { id: 'a', baseBytes: 0, renditions: [{ id: 'r', bytes: 40 }] },
    { id: 'b', baseBytes: 0, renditions: [{ id: 'r', bytes: 30 }] },
    { id: 'c', baseBytes: 0, renditions: [{ id: 'r', bytes: 30 }] },
    { id: 'd', baseBytes: 0, renditions: [{ id: 'r', bytes: 10 }] },
  ]
  const p = planPlacement({ titles: packs, sites: one(100), views: [[5, 4, 3, 1]], share: even })
  t.same(
    p.sites[0]?.titles.map((x) => x.titleId),
    ['a', 'b', 'c'],
  )
  t.equal(p.servedBytes, 410)
  t.equal(p.boundBytes, 410)
  t.equal(p.sites[0]?.usedBytes, 100)
  t.equal(p.sites[0]?.demandBytes, 420)

  // Capacity 75: a (40) and b (30) fit, c (30) no longer does, d (10) neither: 5 B stay free.
  const q = planPlacement({ titles: packs, sites: one(75), views: [[5, 4, 3, 1]], share: even })
  t.same(
    q.sites[0]?.titles.map((x) => x.titleId),
    ['a', 'b'],
    'c (30) does not fit in the 5 left',
  )
  t.equal(q.servedBytes, 320)
})

t.test('rendition granularity: a site holds only the rungs its clients use, shared part first', async (t) => {
  const titles: PlanTitle[] = [
    {
      id: 'm',
      baseBytes: 10,
      renditions: [
        { id: 'hi', bytes: 100 },
        { id: 'lo', bytes: 20 },
      ],
    },
  ]
  const phones = planPlacement({ titles, sites: one(1000), views: [[3]], share: () => [0, 1] })
  t.same(phones.sites[0]?.titles, [{ titleId: 'm', renditions: ['lo'], bytes: 30 }], 'no plays at the top rung: it is not held')
  t.equal(phones.servedBytes, 3 * 30)
  // Room for the shared part and one rung: the denser rung wins (0.75 × 3 plays per byte vs 0.25 × 3).
  const tv = planPlacement({ titles, sites: one(115), views: [[3]], share: () => [0.75, 0.25] })
  t.same(tv.sites[0]?.titles[0]?.renditions, ['hi'])
  t.equal(tv.servedBytes, 3 * 10 + 0.75 * 3 * 100)
  // No room for the shared part: nothing of the title is held.
  const none = planPlacement({ titles, sites: one(5), views: [[3]], share: () => [0.5, 0.5] })
  t.same(none.sites[0]?.titles, [])
})

/** Exhaustive optimum over item subsets of one site (shared part required by its renditions). */
function bruteForce(input: PlanInput): number {
  const items: { t: number; r: number; bytes: number; value: number }[] = []
  input.titles.forEach((title, ti) => {
    const v = input.views[0]![ti]!
    items.push({ t: ti, r: -1, bytes: title.baseBytes, value: v * title.baseBytes })
    const sh = input.share(0, ti)
    for (const [ri, r] of title.renditions.entries()) items.push({ t: ti, r: ri, bytes: r.bytes, value: v * sh[ri]! * r.bytes })
  })
  let best = 0
  for (let mask = 0; mask < 1 << items.length; mask++) {
    let bytes = 0
    let value = 0
    const bases = new Set<number>()
    const needs = new Set<number>()
    items.forEach((it, i) => {
      if (!(mask & (1 << i))) return
      bytes += it.bytes
      value += it.value
      if (it.r < 0) bases.add(it.t)
      else needs.add(it.t)
    })
    if (bytes <= input.sites[0]!.capacityBytes && [...needs].every((x) => bases.has(x))) best = Math.max(best, value)
  }
  return best
}

t.test('random instances: capacity never exceeded, plan ≤ brute-force optimum ≤ bound', async (t) => {
  const rng = seededRandom(42)
  for (let k = 0; k < 60; k++) {
    const titles: PlanTitle[] = Array.from({ length: 1 + Math.floor(rng() * 4) }, (_, i) => ({
      id: `t${i}`,
      baseBytes: 1 + Math.floor(rng() * 10),
      renditions: Array.from({ length: 1 + Math.floor(rng() * 2) }, (_, j) => ({ id: `r${j}`, bytes: 5 + Math.floor(rng() * 60) })),
    }))
    const shares = titles.map((x) =>
      rungShares(
        x.renditions.map(() => rng()),
        x.renditions.length,
      ),
    )
    const input: PlanInput = {
      titles,
      sites: one(20 + Math.floor(rng() * 120)),
      views: [titles.map(() => Math.floor(rng() * 20))],
      share: (_s, ti) => shares[ti]!,
    }
    const plan = planPlacement(input)
    const opt = bruteForce(input)
    const site = plan.sites[0]!
    t.ok(site.usedBytes <= site.capacityBytes, `instance ${k}: ${site.usedBytes} ≤ ${site.capacityBytes}`)
    t.equal(
      site.usedBytes,
      site.titles.reduce((a, p) => a + p.bytes, 0),
    )
    t.ok(plan.servedBytes <= opt + 1e-9 && opt <= plan.boundBytes + 1e-9, `instance ${k}: ${plan.servedBytes} ≤ ${opt} ≤ ${plan.boundBytes}`)
  }
})

t.test('many sites: every site under its capacity; OCAs sharing a site split titles by hash', async (t) => {
  const titles: PlanTitle[] = Array.from({ length: 200 }, (_, i) => ({
    id: `t${i}`,
    baseBytes: 7,
    renditions: [
      { id: 'a', bytes: 100 + (i % 13) * 17 },
      { id: 'b', bytes: 40 + (i % 7) },
    ],
  }))
  const model = zipfPopularity({ titleIds: titles.map((x) => x.id), regions: ['eu', 'us'], exponent: 1, seed: 3 })
  const sites = [
    { id: 'eu1', region: 'eu', location: 'ams', capacityBytes: 3000 },
    { id: 'eu2', region: 'eu', location: 'ams', capacityBytes: 2000 },
    { id: 'eu3', region: 'eu', location: 'lhr', capacityBytes: 4000 },
    { id: 'us1', region: 'us', capacityBytes: 2500 },
  ]
  const input = demandInput(titles, sites, model)
  const plan = planPlacement(input)
  for (const s of plan.sites) t.ok(s.usedBytes <= s.capacityBytes, `${s.site}: ${s.usedBytes} ≤ ${s.capacityBytes}`)
  const eu1 = new Set(plan.sites[0]!.titles.map((x) => x.titleId))
  t.notOk(
    plan.sites[1]!.titles.some((x) => eu1.has(x.titleId)),
    'the two OCAs of one site hold different titles',
  )
  for (const x of plan.sites[1]!.titles) t.equal(ownerOf(x.titleId, ['eu1', 'eu2']), 'eu2')
  t.ok(plan.ratioToBound > 0.97 && plan.ratioToBound <= 1, `close to the bound: ${plan.ratioToBound}`)
})

t.test('popularity: seeded Zipf with regional shuffles; file form; fill window', async (t) => {
  const ids = Array.from({ length: 500 }, (_, i) => `t${i}`)
  const a = zipfPopularity({ titleIds: ids, regions: ['eu', 'us'], exponent: 1, seed: 7, viewsPerRegion: 1000 })
  const b = zipfPopularity({ titleIds: ids, regions: ['eu', 'us'], exponent: 1, seed: 7, viewsPerRegion: 1000 })
  t.same([...a.regions.get('eu')!.views], [...b.regions.get('eu')!.views], 'same seed, same forecast')
  const eu = a.regions.get('eu')!.views
  const us = a.regions.get('us')!.views
  t.ok(Math.abs(eu.reduce((x, y) => x + y, 0) - 1000) < 1e-6)
  const top = (v: Float64Array): number => v.indexOf(Math.max(...v))
  const sorted = [...eu].sort((x, y) => y - x)
  t.ok(Math.abs(sorted[0]! / sorted[1]! - 2) < 1e-9, 'rank 1 has twice the plays of rank 2 at s = 1')
  t.not(eu.join(), us.join(), 'regions differ')
  const flat = zipfPopularity({ titleIds: ids, regions: ['eu', 'us'], regionalShuffle: 0, seed: 7 })
  t.equal(top(flat.regions.get('eu')!.views), top(flat.regions.get('us')!.views), 'without shuffle one ranking everywhere')
  t.not(a.regions.get('eu')!.rungShare.join(), a.regions.get('us')!.rungShare.join(), 'regions get different client mixes')

  t.same(rungShares([0.5, 0.3, 0.2], 2), [0.5, 0.5], 'lower weights fold into the last rung')
  t.same(rungShares([], 4), [0.25, 0.25, 0.25, 0.25])

  const f = popularityFromFile({ version: 1, fillWindow: { startHour: 22, endHour: 6 }, regions: { eu: { views: { t1: 5, nope: 3 }, rungShare: [0, 1] } } }, [
    't0',
    't1',
  ])
  t.same([...f.regions.get('eu')!.views], [0, 5])
  t.same(f.unknownTitles, ['nope'])
  t.throws(() => popularityFromFile({ version: 1, regions: { eu: { views: { t1: -1 } } } }, ['t1']), { code: 'OCLAB_ERR_BAD_CONFIG' })
  t.ok(insideWindow(f.fillWindow, new Date('2024-01-01T23:30:00Z')))
  t.ok(insideWindow(f.fillWindow, new Date('2024-01-01T05:59:00Z')))
  t.notOk(insideWindow(f.fillWindow, new Date('2024-01-01T12:00:00Z')))
  t.ok(insideWindow(undefined, new Date()))
  t.same(parseFillWindow('02-08'), { startHour: 2, endHour: 8 })
  t.throws(() => parseFillWindow('2am'), { code: 'OCLAB_ERR_USAGE' })
})
