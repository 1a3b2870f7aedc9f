/**
 * `npm run bench -- placement [--titles 5000] [--sites 20] [--regions 5] [--requests 5000000] [--seed 1] [--noise 0.3] [--unknown 0.1] [--reactive 0.2] [--av1 0.3] [--scenario h264|av1|all]`
 *
 * A synthetic catalog (origin/synthetic-catalog.ts: realistic durations and
 * per-title ladders), 20 sites in 5 regions, Zipf demand with regional
 * shuffles and per-region rung mixes, capacities 5–30 % of the catalog per
 * site. For each Zipf exponent and capacity: plan from a forecast that is
 * wrong in a controlled way (issue 21: each title's plays off by a uniform
 * factor in ±30 % per region, and 10 % of titles, new releases, absent from
 * the forecast but watched), replay a request log sampled from the true
 * model, and compare the edge hit ratio
 * (bytes served by the client's own site) with the oracle (planned on the
 * log's exact counts) and with plain LRU fill-on-miss on the same replay
 * (warmed on a previous day's log). Every placement is replayed as an OCA
 * runs it: planned items pinned, misses filling an LRU region in the
 * capacity the plan left free (warmed on the same previous day), the oracle
 * included. The plan leaves `--reactive` of each site to that region
 * (DEFAULT_REACTIVE_SHARE); the same forecast planned with no reserve is
 * shown beside it. Also the planner's CPU time and its distance from the
 * fractional-knapsack bound.
 *
 * Scenario `av1` (issue 20): the same catalog, `--av1` of its titles also
 * carrying an AV1 ladder at 2/3 of the H.264 bytes, clients by the default
 * device mix (origin/codec-demand.ts). There a hit in a smaller codec serves
 * fewer bytes, so besides the edge hit ratio each placement's link bytes
 * saved (planner.ts: a miss crosses origin → OCA → client, a hit only the
 * last hop) are compared, the quantity the planner maximises.
 */

import {
  DEFAULT_REACTIVE_SHARE,
  type DemandSite,
  demandInput,
  holdingsOf,
  oraclePlan,
  planPlacement,
  replayWithFill,
  sampleRequests,
  simulateLru,
  syntheticCatalog,
  wrongForecast,
  zipfPopularity,
} from '../origin/index.js'

function arg(args: string[], name: string, def: number, min0 = false): number {
  const i = args.indexOf(`--${name}`)
  const v = i >= 0 ? Number(args[i + 1]) : def
  if (!Number.isFinite(v) || v < 0 || (!min0 && v === 0)) throw new Error(`--${name} must be a ${min0 ? 'non-negative' : 'positive'} number`)
  return v
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`.padStart(7)
const num = (x: number, d = 3): string => x.toFixed(d).padStart(7)

interface Cell {
  vsOracle: number
  vsLru: number
  savedVsOracle: number
  savedVsLru: number
  ms: number
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2
}
const range = (xs: number[]): string => `${median(xs).toFixed(3)} (${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)})`

export async function run(args: string[]): Promise<void> {
  const nTitles = arg(args, 'titles', 5000)
  const nSites = arg(args, 'sites', 20)
  const nRegions = arg(args, 'regions', 5)
  const requests = arg(args, 'requests', 5_000_000)
  const seed = arg(args, 'seed', 1)
  const av1Share = arg(args, 'av1', 0.3)
  const si = args.indexOf('--scenario')
  const scenario = si >= 0 ? args[si + 1] : 'all'
  if (scenario !== 'h264' && scenario !== 'av1' && scenario !== 'all') throw new Error('--scenario must be h264, av1 or all')
  const regions = Array.from({ length: nRegions }, (_, i) => `r${i + 1}`)
  const noise = arg(args, 'noise', 0.3)
  const unknownShare = arg(args, 'unknown', 0.1)
  const reactiveShare = arg(args, 'reactive', DEFAULT_REACTIVE_SHARE, true)
  console.log(
    `${nSites} sites in ${nRegions} regions; ${requests.toLocaleString('en')} plays replayed (+ as many to warm the caches); seed ${seed}\nforecast error: plays per title and region off by up to ±${(100 * noise).toFixed(0)}%, ${(100 * unknownShare).toFixed(0)}% of titles unknown to the forecast; demand replayed from the true model`,
  )
  console.log(
    `plan leaves ${(100 * reactiveShare).toFixed(0)}% of each site to fill on miss (LRU); "no hedge" = the same forecast planned on the whole disk; every placement is replayed with fill on miss into its free space`,
  )
  console.log("edge = bytes served by the client's own site; saved = link bytes saved; plan/oracle and plan/LRU are ratios of those\n")
  for (const [name, share] of [
    ['h264', 0],
    ['av1', av1Share],
  ] as const) {
    if (scenario !== 'all' && scenario !== name) continue
    const titles = syntheticCatalog(nTitles, seed, { av1Share: share })
    const catalogBytes = titles.reduce((a, t) => a + t.baseBytes + t.renditions.reduce((b, r) => b + r.bytes, 0), 0)
    const withAv1 = titles.filter((t) => t.renditions.some((r) => r.codec === 'av1')).length
    console.log(
      `scenario ${name}: ${nTitles} titles (${withAv1} with an AV1 ladder beside H.264), ${(catalogBytes / 1e12).toFixed(1)} TB; capacities are shares of that`,
    )
    const cells = scenarioCells(titles, catalogBytes, { nSites, nRegions, regions, requests, seed, noise, unknownShare, reactiveShare })
    const pick = (k: keyof Cell): number[] => cells.map((c) => c[k])
    console.log(`edge plan/oracle ${range(pick('vsOracle'))}, plan/LRU ${range(pick('vsLru'))} (median (min–max))`)
    console.log(`saved plan/oracle ${range(pick('savedVsOracle'))}, plan/LRU ${range(pick('savedVsLru'))}`)
    console.log(
      `cells under 0.9× the oracle (edge): ${pick('vsOracle').filter((x) => x < 0.9).length} of ${cells.length}; slowest plan ${Math.max(...pick('ms')).toFixed(0)} CPU ms (target < 2000)\n`,
    )
  }
}

function scenarioCells(
  titles: ReturnType<typeof syntheticCatalog>,
  catalogBytes: number,
  o: { nSites: number; nRegions: number; regions: string[]; requests: number; seed: number; noise: number; unknownShare: number; reactiveShare: number },
): Cell[] {
  const { nSites, nRegions, regions, requests, seed, noise, unknownShare, reactiveShare } = o
  console.log(
    ' zipf  cap/site    plan  nohedge oracle     LRU  plan/oracle  nohedge/oracle  plan/LRU  saved p/o  saved p/LRU  region  origin  plan/bound  plan CPU ms',
  )
  const cells: Cell[] = []
  for (const exponent of [0.8, 1.0, 1.2]) {
    const model = zipfPopularity({ titleIds: titles.map((t) => t.id), regions, exponent, seed, viewsPerRegion: 1e6 })
    const siteList = (capacity: number): DemandSite[] =>
      Array.from({ length: nSites }, (_, i) => ({ id: `s${i + 1}`, region: regions[i % nRegions]!, capacityBytes: Math.floor(capacity * catalogBytes) }))
    // Demand does not depend on capacity: one replay (and one warm-up day) per exponent.
    const base = demandInput(titles, siteList(1), model)
    const log = sampleRequests(base, requests, seed * 1000 + 1)
    const warm = sampleRequests(base, requests, seed * 1000 + 2)
    const forecast = wrongForecast(model, { noise, unknownShare, seed: seed * 1000 + 3 })
    for (const capacity of [0.05, 0.1, 0.2, 0.3]) {
      const input = demandInput(titles, siteList(capacity), model)
      const told = demandInput(titles, siteList(capacity), forecast.model)
      // CPU time, not wall: on a shared machine the wall time of a synchronous plan includes other processes' turns.
      const c0 = process.cpuUsage()
      const plan = planPlacement(told, { reactiveShare })
      const c = process.cpuUsage(c0)
      const ms = (c.user + c.system) / 1000
      const planned = replayWithFill(input, warm, log, holdingsOf(input, plan))
      const unhedged = replayWithFill(input, warm, log, holdingsOf(input, planPlacement(told)))
      const oracle = replayWithFill(input, warm, log, holdingsOf(input, oraclePlan(input, log)))
      const lru = simulateLru(input, warm, log)
      const cell: Cell = {
        vsOracle: planned.own / oracle.own,
        vsLru: planned.own / lru.own,
        savedVsOracle: planned.savedBytes / oracle.savedBytes,
        savedVsLru: planned.savedBytes / lru.savedBytes,
        ms,
      }
      cells.push(cell)
      console.log(
        `${num(exponent, 1).slice(2)}  ${pct(capacity).padStart(8)} ${pct(planned.own)} ${pct(unhedged.own)} ${pct(oracle.own)} ${pct(lru.own)}  ${num(cell.vsOracle).padStart(11)}  ${num(unhedged.own / oracle.own).padStart(14)}  ${num(cell.vsLru).padStart(8)}  ${num(cell.savedVsOracle).padStart(9)}  ${num(cell.savedVsLru).padStart(11)} ${pct(planned.region)} ${pct(planned.origin)}  ${num(plan.ratioToBound).padStart(10)}  ${ms.toFixed(0).padStart(7)}`,
      )
    }
  }
  return cells
}
