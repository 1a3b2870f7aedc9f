import t from 'tap'
import type { ClientLocation } from '../../steering/client-location.js'
import { type OcaView, rankOcas } from '../../steering/policy.js'
import { rendezvousOrder } from '../../steering/rendezvous.js'

const AMS = { lat: 52.37, lon: 4.9 }
const FRA = { lat: 50.11, lon: 8.68 }
const NYC = { lat: 40.71, lon: -74.0 }

function oca(id: string, site: string, at: { lat: number; lon: number }, o: Partial<OcaView> & { titles?: string[] } = {}): OcaView {
  const titles = new Set(o.titles ?? ['t1'])
  return {
    id,
    site,
    url: `http://${id}.example`,
    ...at,
    state: 'up',
    stateReason: 'healthy',
    holds: (x) => titles.has(x),
    canFill: false,
    loadBps: 0,
    capacityBps: 1e9,
    ...o,
  }
}

const inAms: ClientLocation = { site: 'ams', point: AMS, how: 'coverage' }
const ids = (r: Array<{ id: string }>): string[] => r.map((x) => x.id)

t.test('own site first, then by distance; reasons say why', async (t) => {
  const fleet = [oca('nyc1', 'nyc', NYC), oca('fra1', 'fra', FRA), oca('ams1', 'ams', AMS)]
  const r = rankOcas({ title: 't1', client: inAms, ocas: fleet })
  t.same(ids(r), ['ams1', 'fra1', 'nyc1'])
  t.match(r[0]?.reason, /own site ams \(coverage\)/)
  t.match(r[1]?.reason, /site fra at 36\d km/)
  t.equal(r[0]?.distanceKm, 0)
  // A client placed in NYC's coverage but standing in Amsterdam still gets its own site first.
  const r2 = rankOcas({ title: 't1', client: { site: 'nyc', point: AMS, how: 'coverage' }, ocas: fleet })
  t.same(ids(r2), ['nyc1', 'ams1', 'fra1'])
  t.same(ids(rankOcas({ title: 't1', client: { how: 'unknown' }, ocas: fleet })), ['ams1', 'fra1', 'nyc1'], 'no location: by site id, still deterministic')
})

t.test('down OCAs are skipped, suspect ones go last, draining/overloaded are down', async (t) => {
  const fleet = [
    oca('ams1', 'ams', AMS, { state: 'down', stateReason: 'reports draining' }),
    oca('ams2', 'ams', AMS, { state: 'suspect', stateReason: 'health poll failed: ECONNREFUSED (1/2 bad polls)' }),
    oca('fra1', 'fra', FRA),
    oca('nyc1', 'nyc', NYC, { state: 'down', stateReason: 'reports overloaded' }),
  ]
  const r = rankOcas({ title: 't1', client: inAms, ocas: fleet })
  t.same(ids(r), ['fra1', 'ams2'])
  t.match(r[1]?.reason, /^suspect \(health poll failed: ECONNREFUSED/)
})

t.test('only holders, unless too few: then OCAs that may fill', async (t) => {
  const fleet = [oca('ams1', 'ams', AMS, { titles: [], canFill: true }), oca('fra1', 'fra', FRA), oca('nyc1', 'nyc', NYC, { titles: [] })]
  const r = rankOcas({ title: 't1', client: inAms, ocas: fleet })
  t.same(ids(r), ['fra1', 'ams1'], 'holder first, then a filler; a node that cannot fill is not a candidate')
  t.equal(r[1]?.holds, false)
  t.match(r[1]?.reason, /may fill the title on a miss/)
  const many = [oca('a', 'ams', AMS), oca('b', 'fra', FRA), oca('c', 'nyc', NYC), oca('d', 'ams', AMS, { titles: [], canFill: true })]
  t.same(ids(rankOcas({ title: 't1', client: inAms, ocas: many })).sort(), ['a', 'b', 'c'], 'enough holders: no fillers')
  t.same(rankOcas({ title: 'nope', client: inAms, ocas: [oca('x', 'ams', AMS)] }), [], 'nobody holds or fills it')
})

t.test('load spill-over: an OCA above its threshold goes behind those with room', async (t) => {
  const fleet = [oca('ams1', 'ams', AMS, { loadBps: 0.85e9 }), oca('fra1', 'fra', FRA, { loadBps: 0.5e9 }), oca('nyc1', 'nyc', NYC)]
  const r = rankOcas({ title: 't1', client: inAms, ocas: fleet })
  t.same(ids(r), ['fra1', 'nyc1', 'ams1'])
  t.match(r[2]?.reason, /^spilled: load 85% of capacity is above 80%/)
  t.same(
    ids(rankOcas({ title: 't1', client: inAms, ocas: fleet, clientBps: 0.35e9 })),
    ['nyc1', 'ams1', 'fra1'],
    "the player's own throughput counts toward the load",
  )
  t.same(ids(rankOcas({ title: 't1', client: inAms, ocas: fleet }, { minCandidates: 3, spillAt: 0.9 })), ['ams1', 'fra1', 'nyc1'], 'threshold is an option')
  t.same(
    ids(rankOcas({ title: 't1', client: inAms, ocas: [oca('x', 'ams', AMS, { capacityBps: undefined, loadBps: 1e12 })] })),
    ['x'],
    'no capacity known: no spill',
  )
})

t.test('inside a site: rendezvous hashing of the title, deterministic', async (t) => {
  const site = ['a1', 'a2', 'a3', 'a4'].map((id) => oca(id, 'ams', AMS, { titles: Array.from({ length: 2000 }, (_, i) => `title-${i}`) }))
  const firsts = new Map<string, number>()
  let orderDependent = 0
  for (let i = 0; i < 2000; i++) {
    const r = rankOcas({ title: `title-${i}`, client: inAms, ocas: site })
    if (ids(rankOcas({ title: `title-${i}`, client: inAms, ocas: [...site].reverse() })).join() !== ids(r).join()) orderDependent++
    firsts.set(r[0]!.id, (firsts.get(r[0]!.id) ?? 0) + 1)
  }
  t.equal(orderDependent, 0, 'the order of the input does not matter')
  t.equal(firsts.size, 4)
  for (const [id, n] of firsts) t.ok(n > 400 && n < 600, `${id} first for ${n}/2000 titles (expect ≈500)`)
  t.match(rankOcas({ title: 'title-1', client: inAms, ocas: site })[0]?.reason, /rendezvous #1 of 4/)
})

t.test('rendezvous: adding a node moves only the keys it wins', async (t) => {
  const four = ['n1', 'n2', 'n3', 'n4'].map((id) => ({ id }))
  const five = [...four, { id: 'n5' }]
  let moved = 0
  let movedElsewhere = 0
  const N = 5000
  for (let i = 0; i < N; i++) {
    const before = rendezvousOrder(`k${i}`, four)[0]!.id
    const after = rendezvousOrder(`k${i}`, five)[0]!.id
    if (before !== after) {
      moved++
      if (after !== 'n5') movedElsewhere++
    }
  }
  t.equal(movedElsewhere, 0, 'every key that moved went to the new node')
  t.ok(moved > N * 0.15 && moved < N * 0.25, `about 1/5 of keys moved: ${moved}/${N}`)
  const removed = four.slice(1)
  let changed = 0
  for (let i = 0; i < N; i++)
    if (rendezvousOrder(`k${i}`, four)[0]!.id !== 'n1' && rendezvousOrder(`k${i}`, removed)[0]!.id !== rendezvousOrder(`k${i}`, four)[0]!.id) changed++
  t.equal(changed, 0, "removing a node moves only that node's keys")
})

t.test("the player's current pathway stays first when it is as good as the best", async (t) => {
  const fleet = [oca('a1', 'ams', AMS), oca('a2', 'ams', AMS), oca('fra1', 'fra', FRA)]
  const plain = ids(rankOcas({ title: 't1', client: inAms, ocas: fleet }))
  const other = plain[0] === 'a1' ? 'a2' : 'a1'
  const kept = rankOcas({ title: 't1', client: inAms, ocas: fleet, current: other })
  t.equal(kept[0]?.id, other, 'same site: kept')
  t.match(kept[0]?.reason, /^kept: the player's current pathway/)
  t.same(ids(rankOcas({ title: 't1', client: inAms, ocas: fleet, current: 'fra1' })), plain, 'a farther site is not kept: the player comes back home')
  t.same(ids(rankOcas({ title: 't1', client: inAms, ocas: fleet, current: 'zzz' })), plain, 'unknown pathway ignored')
})

t.test('a limit stops the walk early and still keeps the current pathway', async (t) => {
  const site = ['a1', 'a2', 'a3', 'a4'].map((id) => oca(id, 'ams', AMS))
  const fleet = [...site, oca('fra1', 'fra', FRA), oca('nyc1', 'nyc', NYC)]
  const full = ids(rankOcas({ title: 't1', client: inAms, ocas: fleet }))
  t.same(ids(rankOcas({ title: 't1', client: inAms, ocas: fleet }, undefined, 3)), full.slice(0, 3), 'the first three of the full ranking')
  const last = full[3]!
  const kept = rankOcas({ title: 't1', client: inAms, ocas: fleet, current: last }, undefined, 3)
  t.equal(kept[0]?.id, last, 'a same-site current pathway cut off by the limit is still kept first')
  t.equal(kept.length, 3)
  const busy = fleet.map((o) => (o.id === last ? { ...o, loadBps: 0.95e9 } : o))
  t.not(rankOcas({ title: 't1', client: inAms, ocas: busy, current: last }, undefined, 3)[0]!.id, last, 'unless it has no room')
  const spilled = [oca('a1', 'ams', AMS, { loadBps: 0.9e9 }), oca('fra1', 'fra', FRA, { state: 'suspect', stateReason: 'slow' })]
  t.same(ids(rankOcas({ title: 't1', client: inAms, ocas: spilled }, undefined, 1)), ['a1'], 'with nothing better, spilled before suspect')
})

t.test('a suspect OCA that lacks the title comes after every other candidate, suspect holders included', async (t) => {
  const fleet = [
    oca('ams1', 'ams', AMS, { titles: [], canFill: true, state: 'suspect', stateReason: 'health poll failed: timeout (1/2 bad polls)' }),
    oca('ams2', 'ams', AMS, { titles: [], canFill: true }),
    oca('fra1', 'fra', FRA),
    oca('nyc1', 'nyc', NYC, { state: 'suspect', stateReason: 'slow' }),
  ]
  t.same(ids(rankOcas({ title: 't1', client: inAms, ocas: fleet })), ['fra1', 'ams2', 'nyc1'], 'one filler needed: the healthy one')
  const four = rankOcas({ title: 't1', client: inAms, ocas: fleet }, { minCandidates: 4, spillAt: 0.8 })
  t.same(ids(four), ['fra1', 'ams2', 'nyc1', 'ams1'], 'two needed: the suspect filler last, though it is in the own site')
  t.match(four[3]?.reason, /^suspect \(health poll failed: timeout \(1\/2 bad polls\)\), moved last; own site ams .*may fill the title on a miss$/)
})

// Content Steering: the player reports its current pathway (_HLS_pathway, DASH _DASH_pathway)
t.test("a suspect OCA is not kept first because it is the player's current pathway", async (t) => {
  const fleet = ['a1', 'a2', 'a3', 'a4'].map((id) => oca(id, 'ams', AMS))
  const plain = ids(rankOcas({ title: 't1', client: inAms, ocas: fleet }))
  for (const current of [plain[1]!, plain[3]!]) {
    const sick = fleet.map((o) => (o.id === current ? { ...o, state: 'suspect' as const, stateReason: 'health poll failed' } : o))
    const all = rankOcas({ title: 't1', client: inAms, ocas: sick, current })
    t.not(all[0]!.id, current, `${current}: not first`)
    t.equal(all.at(-1)!.id, current, `${current}: last, as every suspect OCA`)
    t.match(all.at(-1)!.reason, /^suspect/)
    const cut = rankOcas({ title: 't1', client: inAms, ocas: sick, current }, undefined, 2)
    t.notOk(
      cut.some((r) => r.id === current),
      `${current}: with a limit, not brought back in front of the cut`,
    )
  }
})
