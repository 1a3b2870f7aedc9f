import t from 'tap'
import { codecShares, DEFAULT_DEVICE_MIX, fallbacks, parseDeviceMix } from '../../origin/codec-demand.js'
import { codecRungShares, demandInput } from '../../origin/demand.js'
import { chainedValues, type PlanInput, type PlanTitle, planPlacement } from '../../origin/planner.js'
import { zipfPopularity } from '../../origin/popularity.js'
import { holdingsOf, type RequestLog, replay, replayWithFill } from '../../origin/replay.js'
import { syntheticCatalog } from '../../origin/synthetic-catalog.js'

/** A title with one H.264 rung (100 B) and the AV1 rung that falls back to it (60 B), shared part 10 B. */
const twoCodecs = (id: string): PlanTitle => ({
  id,
  baseBytes: 10,
  renditions: [
    { id: 'h', bytes: 100, codec: 'h264' },
    { id: 'a', bytes: 60, codec: 'av1', fallback: 0 },
  ],
})
const half = () => [0.5, 0.5]

t.test('device mix: each client plays the newest codec of the title it decodes; AV1 rungs fall back to H.264 at their position', async (t) => {
  t.same(
    [...codecShares(['h264', 'av1'], DEFAULT_DEVICE_MIX)],
    [
      ['h264', 0.7],
      ['av1', 0.3],
    ],
    'HEVC devices play H.264 when the title has no HEVC ladder',
  )
  t.same(
    [...codecShares(['av1', 'hevc', 'h264'], { av1: 0.3, hevc: 0.2, h264: 0.5 })],
    [
      ['h264', 0.5],
      ['hevc', 0.2],
      ['av1', 0.3],
    ],
  )
  t.same([...codecShares(['av1'], DEFAULT_DEVICE_MIX)], [['av1', 1]], 'an AV1-only title: every play is counted on it')
  // H.264 ladder of 3 rungs, AV1 of 2, HEVC of 4: each falls back to the next older codec's rung at its position, clamped.
  const codecs = ['h264', 'h264', 'h264', 'av1', 'av1', 'hevc', 'hevc', 'hevc', 'hevc'].map((codec) => ({ codec }))
  t.same(fallbacks(codecs), [undefined, undefined, undefined, 5, 6, 0, 1, 2, 2])
  t.same(parseDeviceMix('av1=0.5, h264=0.5'), { av1: 0.5, hevc: 0, h264: 0.5 })
  t.throws(() => parseDeviceMix('av1=0.5'), { code: 'OCLAB_ERR_USAGE', message: /add up to 1, got 0.5/ })
  t.throws(() => parseDeviceMix('vp9=1'), { code: 'OCLAB_ERR_USAGE', message: /unknown device class "vp9"/ })
  t.throws(() => parseDeviceMix('av1'), { code: 'OCLAB_ERR_USAGE', message: /must look like/ })
  t.throws(() => fallbacks([{ codec: 'h264' }, { codec: 'vp9' }]), { code: 'OCLAB_ERR_BAD_TITLE', message: /"vp9"/ })
  // Two H.264 rungs, one AV1 rung; rung mix 0.75 / 0.25; AV1 devices 0.3 of plays.
  const shares = codecRungShares([{ codec: 'h264' }, { codec: 'h264' }, { codec: 'av1' }], [0.75, 0.25], DEFAULT_DEVICE_MIX)
  t.same(
    shares.map((x) => +x.toFixed(6)),
    [0.525, 0.175, 0.3],
    'H.264 gets 0.7 of plays over its rungs; the AV1 ladder of one rung takes all of 0.3',
  )
})

t.test('chained values: AV1 is worth the bytes it saves over its H.264 fallback; H.264 the miss it spares everyone', async (t) => {
  // 10 plays: half prefer H.264 (100 B), half AV1 (60 B). A miss costs the preferred bytes twice (origin → OCA → client).
  // H.264 held: H.264 plays save 5 × 100, AV1 plays fall back and save 5 × (2·60 − 100) = 100. AV1 on top: 5 × (100 − 60) = 200.
  const v = chainedValues(twoCodecs('x').renditions, 10, [0.5, 0.5])
  t.same([...v.value], [600, 200])
  t.equal(v.demand, 5 * 100 + 5 * 60, 'together they save every play its preferred bytes')
  t.same(v.order, [0, 1], 'fallback before its dependant')
})

t.test('a small catalog: AV1 goes to the head titles, H.264 everywhere', async (t) => {
  const titles = ['t1', 't2', 't3', 't4'].map(twoCodecs)
  const views = [[100, 50, 10, 8]]
  // Densities per play: shared part 1, H.264 0.6 (600 / 100 B per 10 plays), AV1 1/3 (200 / 60 B).
  // In order: s1 100, h1 60, s2 50, a1 33.3, h2 30, a2 16.7, s3 10, s4 8, h3 6, h4 4.8, a3 3.3, a4 2.7 per byte.
  // 600 B: everything down to h4 is 4 × 110 + 2 × 60 = 560 B; a3 (60 B) no longer fits.
  const input: PlanInput = { titles, sites: [{ id: 's', region: 'eu', capacityBytes: 600 }], views, share: half }
  const plan = planPlacement(input)
  t.same(
    plan.sites[0]!.titles.map((p) => [p.titleId, p.renditions]),
    [
      ['t1', ['h', 'a']],
      ['t2', ['h', 'a']],
      ['t3', ['h']],
      ['t4', ['h']],
    ],
  )
  const served = (v: number, av1: boolean) => v * 10 + v * 60 + (av1 ? v * 20 : 0)
  t.equal(plan.servedBytes, served(100, true) + served(50, true) + served(10, false) + served(8, false))
  t.equal(plan.sites[0]!.demandBytes, 168 * (10 + 50 + 30))
  t.ok(plan.servedBytes <= plan.boundBytes && plan.ratioToBound > 0.95, `ratio to bound ${plan.ratioToBound}`)

  // Replay: an AV1 play of t1 is served in AV1 (60 B); of t3 it falls back to H.264 (100 B, a hit); of a title the site
  // does not hold it misses on the AV1 bytes.
  const log: RequestLog = { site: Uint16Array.from([0, 0, 0]), title: Uint32Array.from([0, 2, 2]), rendition: Uint16Array.from([1, 1, 0]), length: 3 }
  const h = holdingsOf(input, plan)
  t.same(replay(input, log, h), { bytes: 3 * 10 + 60 + 100 + 100, own: 1, region: 0, origin: 0 })
  const cold: RequestLog = { site: new Uint16Array(0), title: new Uint32Array(0), rendition: new Uint16Array(0), length: 0 }
  const r = replayWithFill(input, cold, log, h)
  t.equal(r.own, 1)
  t.equal(r.savedBytes, 3 * 10 + (2 * 60 - 60) + (2 * 60 - 100) + 100, 'AV1 in AV1 saves 60, AV1 falling back 20, H.264 100')
  const none = { ...input, sites: [{ id: 's', region: 'eu', capacityBytes: 0 }] }
  const missed = replayWithFill(none, cold, log, holdingsOf(none, planPlacement(none)))
  t.equal(missed.bytes, 3 * 10 + 60 + 60 + 100, 'nothing held, no room to cache: the AV1 plays miss in AV1')
  t.equal(missed.origin, 1)
})

t.test('AV1 is held only on top of its fallback, even when it is the denser', async (t) => {
  // Every device decodes AV1: H.264 then saves 2·60 − 100 = 20 per play (0.2 per byte), AV1 on top 40 (0.67 per byte).
  const input: PlanInput = { titles: [twoCodecs('x')], sites: [{ id: 's', region: 'eu', capacityBytes: 170 }], views: [[1]], share: () => [0, 1] }
  t.same(planPlacement(input).sites[0]!.titles, [{ titleId: 'x', renditions: ['h', 'a'], bytes: 170 }], 'passed over first, taken once H.264 is in')
  const tight = planPlacement({ ...input, sites: [{ id: 's', region: 'eu', capacityBytes: 150 }] })
  t.same(tight.sites[0]!.titles, [{ titleId: 'x', renditions: ['h'], bytes: 110 }], 'no room for both: H.264, the universal fallback')
  // An AV1 rung larger than its fallback saves nothing: never held, however much room.
  const fat: PlanTitle = { ...twoCodecs('y'), renditions: [twoCodecs('y').renditions[0]!, { id: 'a', bytes: 120, codec: 'av1', fallback: 0 }] }
  // Its H.264 rung is then worth more than its shared part (it spares 2 × 120 B misses for 100 B): taken with it.
  t.same(planPlacement({ ...input, titles: [fat], sites: [{ id: 's', region: 'eu', capacityBytes: 1e6 }] }).sites[0]!.titles, [
    { titleId: 'y', renditions: ['h'], bytes: 110 },
  ])
})

t.test('single-codec catalogs place as before: the device mix and AV1 titles elsewhere change nothing for them', async (t) => {
  const single = syntheticCatalog(300, 4)
  const withAv1 = syntheticCatalog(300, 4, { av1Share: 0.4 })
  t.same(
    withAv1.map((x) => x.renditions.filter((r) => r.codec !== 'av1').map((r) => r.bytes)),
    single.map((x) => x.renditions.map((r) => r.bytes)),
    'the same H.264 ladders with or without AV1 beside them',
  )
  const av1Titles = withAv1.filter((x) => x.renditions.some((r) => r.codec === 'av1')).length
  t.ok(av1Titles > 90 && av1Titles < 150, `about 40 % carry AV1: ${av1Titles}`)
  const model = zipfPopularity({ titleIds: single.map((x) => x.id), regions: ['eu', 'us'], seed: 4 })
  const sites = [
    { id: 'e', region: 'eu', capacityBytes: 2e11 },
    { id: 'u', region: 'us', capacityBytes: 1e11 },
  ]
  const base = planPlacement(demandInput(single, sites, model), { reactiveShare: 0.2 })
  const otherMix = planPlacement(demandInput(single, sites, model, { devices: { av1: 1, hevc: 0, h264: 0 } }), { reactiveShare: 0.2 })
  t.same(otherMix, base, 'no title has a second codec: the device mix is not consulted')
  t.ok(base.sites.every((s) => s.titles.length > 0))
  // Mixed catalog: AV1 goes where it saves most, H.264 stays the bulk.
  const mixed = planPlacement(demandInput(withAv1, sites, model), { reactiveShare: 0.2 })
  const held = mixed.sites.flatMap((s) => s.titles.flatMap((p) => p.renditions))
  const av1Held = held.filter((id) => id.startsWith('av1-')).length
  t.ok(av1Held > 0 && av1Held < held.length / 2, `${av1Held} AV1 of ${held.length} renditions held`)
})
