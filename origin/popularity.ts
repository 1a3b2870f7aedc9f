import { readFile } from 'node:fs/promises'
import { type Static, Type } from '@sinclair/typebox'
import { ErrorCodes, OclabError } from '../lib/errors.js'
import { hashSeed, normalSample, seededRandom, shuffle } from '../lib/random.js'
import { makeValidator } from '../lib/validate.js'

/**
 * The demand forecast, per region: expected plays of each catalog title over
 * the planning period, and how those plays spread over the ladder (a region
 * of phones never asks for the 4K rungs, so its sites need not hold them).
 * Either read from a file or generated: Zipf over a seeded global ranking,
 * with each region's ranking perturbed so regions differ but stay correlated
 * (the same hit is a hit almost everywhere; the tail is local).
 */
export interface RegionDemand {
  /** expected plays per title, aligned with `PopularityModel.titleIds` */
  views: Float64Array
  /** share of plays by rung, top rung first; the last weight also covers any lower rungs; empty = even */
  rungShare: number[]
}

/** Hours in UTC, [startHour, endHour); wraps past midnight when start > end. */
export interface FillWindow {
  startHour: number
  endHour: number
}

export interface PopularityModel {
  titleIds: string[]
  regions: Map<string, RegionDemand>
  fillWindow?: FillWindow
}

export function insideWindow(w: FillWindow | undefined, at: Date): boolean {
  if (!w || w.startHour === w.endHour) return true
  const h = at.getUTCHours() + at.getUTCMinutes() / 60
  return w.startHour < w.endHour ? h >= w.startHour && h < w.endHour : h >= w.startHour || h < w.endHour
}

/** `02-08` → { startHour: 2, endHour: 8 } */
export function parseFillWindow(spec: string): FillWindow {
  const m = /^(\d{1,2})-(\d{1,2})$/.exec(spec.trim())
  const w = m ? { startHour: Number(m[1]), endHour: Number(m[2]) } : undefined
  if (!w || w.startHour > 24 || w.endHour > 24) throw new OclabError(ErrorCodes.USAGE, `fill window must look like 02-08 (UTC hours), got "${spec}"`)
  return w
}

/**
 * A region's rung weights spread over a title with `n` video rungs: rung i
 * takes weight i, the last rung takes what the ladder has no rung for.
 * Normalised to sum 1 (all zero stays all zero); no weights means an even spread.
 */
export function rungShares(weights: readonly number[], n: number): number[] {
  if (weights.length === 0) return new Array<number>(n).fill(1 / n)
  const out = new Array<number>(n).fill(0)
  // Past the last rung every weight lands on it; a fill of zeros means no slot is ever unset.
  for (const [i, w] of weights.entries()) {
    const at = Math.min(i, n - 1)
    out[at] = (out[at] ?? 0) + w
  }
  const total = out.reduce((a, b) => a + b, 0)
  return total > 0 ? out.map((w) => w / total) : out
}

/** Three client mixes the generator deals to regions in turn: TV-heavy, mixed, phone-only. */
export const RUNG_PROFILES: readonly (readonly number[])[] = [
  [0.35, 0.3, 0.2, 0.1, 0.05],
  [0.1, 0.2, 0.3, 0.25, 0.15],
  [0, 0, 0.3, 0.4, 0.3],
]

export interface ZipfOptions {
  titleIds: string[]
  regions: string[]
  /** Zipf exponent s: plays of rank r ∝ r^-s; default 1 */
  exponent?: number
  /** expected plays per region over the period; default 100 000 */
  viewsPerRegion?: number | Record<string, number>
  /** σ of the log-rank noise that makes regions differ; default 0.5 (0 = one ranking everywhere) */
  regionalShuffle?: number
  seed?: number
  /** rung weights per region; default RUNG_PROFILES dealt in sorted region order */
  rungShare?: Record<string, number[]>
  fillWindow?: FillWindow
}

export function zipfPopularity(o: ZipfOptions): PopularityModel {
  const n = o.titleIds.length
  const s = o.exponent ?? 1
  const seed = o.seed ?? 1
  const sigma = o.regionalShuffle ?? 0.5
  const global = shuffle([...Array(n).keys()], seededRandom(seed))
  const harmonic = Array.from({ length: n }, (_, r) => (r + 1) ** -s).reduce((a, b) => a + b, 0)
  const regions = new Map<string, RegionDemand>()
  ;[...o.regions].sort().forEach((region, ri) => {
    const rng = seededRandom(hashSeed(region, seed))
    // Perturb log-rank, re-sort: a region's ranking stays close to the global one.
    const score = new Float64Array(n)
    for (const [rank, title] of global.entries()) score[title] = Math.log(rank + 1) + sigma * normalSample(rng)
    const order = [...Array(n).keys()].sort((a, b) => score[a]! - score[b]!)
    const total = typeof o.viewsPerRegion === 'number' ? o.viewsPerRegion : (o.viewsPerRegion?.[region] ?? 100_000)
    const views = new Float64Array(n)
    for (const [rank, title] of order.entries()) views[title] = (total * (rank + 1) ** -s) / harmonic
    regions.set(region, { views, rungShare: [...(o.rungShare?.[region] ?? RUNG_PROFILES[ri % RUNG_PROFILES.length]!)] })
  })
  return { titleIds: [...o.titleIds], regions, fillWindow: o.fillWindow }
}

const WindowSchema = Type.Object(
  { startHour: Type.Number({ minimum: 0, maximum: 24 }), endHour: Type.Number({ minimum: 0, maximum: 24 }) },
  { additionalProperties: false },
)

export const PopularityFileSchema = Type.Object(
  {
    version: Type.Literal(1),
    fillWindow: Type.Optional(WindowSchema),
    regions: Type.Record(
      Type.String(),
      Type.Object(
        {
          rungShare: Type.Optional(Type.Array(Type.Number({ minimum: 0 }), { minItems: 1 })),
          views: Type.Record(Type.String(), Type.Number({ minimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
)
export type PopularityFile = Static<typeof PopularityFileSchema>

const checkFile = makeValidator(PopularityFileSchema, ErrorCodes.BAD_CONFIG, 'popularity file (version 1)')

/** A forecast from a file: title → expected plays per region. Titles the file does not name get 0. */
export function popularityFromFile(json: unknown, titleIds: string[], source = 'popularity file'): PopularityModel & { unknownTitles: string[] } {
  const f = checkFile(json, source)
  const index = new Map(titleIds.map((id, i) => [id, i]))
  const unknown = new Set<string>()
  const regions = new Map<string, RegionDemand>()
  for (const [region, r] of Object.entries(f.regions)) {
    const views = new Float64Array(titleIds.length)
    for (const [id, v] of Object.entries(r.views)) {
      const i = index.get(id)
      if (i === undefined) unknown.add(id)
      else views[i] = v
    }
    regions.set(region, { views, rungShare: r.rungShare ?? [] })
  }
  return { titleIds: [...titleIds], regions, fillWindow: f.fillWindow, unknownTitles: [...unknown] }
}

export async function readPopularity(path: string, titleIds: string[]): Promise<PopularityModel & { unknownTitles: string[] }> {
  let json: unknown
  try {
    json = JSON.parse(await readFile(path, 'utf8'))
  } catch (err) {
    throw new OclabError(ErrorCodes.BAD_CONFIG, `cannot read popularity file ${path}: ${(err as Error).message}`, undefined, { cause: err })
  }
  return popularityFromFile(json, titleIds, path)
}

/**
 * A forecast wrong in a controlled way, for evaluating placement (issue 21): what the planner is told when the truth is `truth`: every (region, title)
 * forecast off by a factor uniform in [1 − noise, 1 + noise] (which reorders
 * the ranking), and a share of titles, chosen at random, unknown to the
 * forecast (0 plays) though the truth has them watched.
 */
export function wrongForecast(truth: PopularityModel, o: { noise: number; unknownShare: number; seed: number }): { model: PopularityModel; unknown: number } {
  const rand = seededRandom(o.seed)
  const unknown = truth.titleIds.map(() => rand() < o.unknownShare)
  const regions = new Map(
    [...truth.regions].map(([name, d]) => {
      const views = d.views.map((v, i) => (unknown[i] ? 0 : v * (1 - o.noise + 2 * o.noise * rand())))
      return [name, { ...d, views }]
    }),
  )
  return { model: { ...truth, regions }, unknown: unknown.filter(Boolean).length }
}
