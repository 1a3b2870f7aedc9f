import t from 'tap'
import { demandInput } from '../../origin/demand.js'
import { wrongForecast } from '../../origin/index.js'
import { DEFAULT_REACTIVE_SHARE, type PlanInput, planPlacement } from '../../origin/planner.js'
import { zipfPopularity } from '../../origin/popularity.js'
import { holdingsOf, type RequestLog, replayWithFill, sampleRequests, simulateLru } from '../../origin/replay.js'
import { syntheticCatalog } from '../../origin/synthetic-catalog.js'

const logOf = (rows: [number, number][]): RequestLog => ({
  site: Uint16Array.from(rows.map((r) => r[0])),
  title: Uint32Array.from(rows.map((r) => r[1])),
  rendition: new Uint16Array(rows.length),
  length: rows.length,
})

t.test('replay with fill: planned items are pinned, misses fill the space the plan left free', async (t) => {
  // One site of 100 B; a (50 B) planned, b and c (40 B each) not: 50 B left for the LRU region.
  const input: PlanInput = {
    titles: ['a', 'b', 'c'].map((id) => ({ id, baseBytes: 0, renditions: [{ id: 'r', bytes: id === 'a' ? 50 : 40 }] })),
    sites: [{ id: 's1', region: 'eu', capacityBytes: 100 }],
    views: [[10, 0, 0]],
    share: () => [1],
  }
  const plan = planPlacement(input)
  t.same(
    plan.sites[0]!.titles.map((p) => p.titleId),
    ['a'],
  )
  t.equal(plan.sites[0]!.reactiveBytes, 50)
  const h = holdingsOf(input, plan)
  // b misses then hits; c misses and evicts b (only 50 B free), b misses again; a always hits, never evicted.
  const r = replayWithFill(
    input,
    logOf([]),
    logOf([
      [0, 1],
      [0, 1],
      [0, 2],
      [0, 0],
      [0, 1],
      [0, 0],
    ]),
    h,
  )
  t.equal(r.bytes, 40 * 4 + 50 * 2)
  t.equal(r.own, (40 + 50 * 2) / r.bytes, 'a twice from the plan, b once from the LRU region')
  // Without pins it is plain LRU over the whole 100 B: b and c both fit.
  t.same(
    replayWithFill(
      input,
      logOf([]),
      logOf([
        [0, 1],
        [0, 2],
        [0, 1],
      ]),
    ),
    simulateLru(
      input,
      logOf([]),
      logOf([
        [0, 1],
        [0, 2],
        [0, 1],
      ]),
    ),
  )
  t.throws(() => planPlacement(input, { reactiveShare: 1 }), RangeError)
})

t.test('with a wrong forecast, leaving part of each disk to fill on miss serves more than planning it all', async (t) => {
  const titles = syntheticCatalog(400, 3)
  const catalogBytes = titles.reduce((a, x) => a + x.baseBytes + x.renditions.reduce((b, r) => b + r.bytes, 0), 0)
  const regions = ['r1', 'r2']
  const sites = [0, 1, 2, 3].map((i) => ({ id: `s${i}`, region: regions[i % 2]!, capacityBytes: Math.floor(0.1 * catalogBytes) }))
  const truth = zipfPopularity({ titleIds: titles.map((x) => x.id), regions, exponent: 1, seed: 3, viewsPerRegion: 1e5 })
  const input = demandInput(titles, sites, truth)
  const told = demandInput(titles, sites, wrongForecast(truth, { noise: 0.3, unknownShare: 0.1, seed: 4 }).model)
  const warm = sampleRequests(input, 100_000, 5)
  const log = sampleRequests(input, 100_000, 6)
  const hedged = planPlacement(told, { reactiveShare: DEFAULT_REACTIVE_SHARE })
  const unhedged = planPlacement(told)
  for (const p of hedged.sites) {
    t.ok(p.usedBytes <= p.capacityBytes * (1 - DEFAULT_REACTIVE_SHARE), `${p.site}: the plan stays out of the reserve`)
    t.equal(p.reactiveBytes, p.capacityBytes - p.usedBytes)
  }
  for (const p of unhedged.sites) t.ok(p.usedBytes <= p.capacityBytes, `${p.site}: never over capacity`)
  const withHedge = replayWithFill(input, warm, log, holdingsOf(input, hedged)).own
  const without = replayWithFill(input, warm, log, holdingsOf(input, unhedged)).own
  t.ok(withHedge > without, `hedged ${withHedge.toFixed(3)} > unhedged ${without.toFixed(3)}`)
  t.ok(withHedge > simulateLru(input, warm, log).own, 'and above plain LRU')
})
