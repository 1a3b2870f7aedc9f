import type { FileEntry } from '../lib/title-package.js'
import type { HeldTitle } from '../oca/index.js'
import type { WantedFiles } from './cluster-plan.js'

/**
 * From "what each OCA should hold" and "what each OCA holds" to the work of a
 * pre-position run. Pure.
 *
 * - Only missing files are sent (a file held with the listed size and sha256
 *   is in place), so a second run after a complete one has no fills at all.
 * - Tiered fill: an OCA fills a title from a peer in its region that already
 *   holds every file it is missing; else from the first OCA of its region
 *   filling that title in this run, once that fill is done, when that one
 *   will hold every file it is missing; else from the origin. The OCA with
 *   the most missing files goes first, so the origin sends a title to a
 *   region once whenever one OCA's set covers the others'.
 * - Evictions: titles an OCA holds that its plan no longer has, purged after
 *   its fills are in. Titles in the plan but held unpinned get pinned, so a
 *   later fill's eviction takes the old content first.
 */
export interface OcaHoldings {
  id: string
  region: string
  /** undefined when the OCA could not be asked (down) */
  titles?: HeldTitle[]
}

export type FillSource = { kind: 'origin' } | { kind: 'peer'; oca: string; afterFill?: number }

export interface FillTask {
  /** index in the run's task list, for `afterFill` */
  n: number
  oca: string
  titleId: string
  files: FileEntry[]
  bytes: number
  source: FillSource
}

export interface OcaWork {
  oca: string
  up: boolean
  fills: FillTask[]
  /** planned titles already complete on the node */
  inPlace: string[]
  /** planned titles held but not pinned yet */
  pin: string[]
  evict: { titleId: string; bytes: number }[]
}

const key = (f: { path: string; bytes: number; sha256: string }): string => `${f.path}\n${f.bytes}\n${f.sha256}`

export function diffPlacement(wanted: WantedFiles, holdings: OcaHoldings[]): { work: OcaWork[]; tasks: FillTask[] } {
  const held = new Map(holdings.map((h) => [h.id, new Map((h.titles ?? []).map((t) => [t.id, { title: t, keys: new Set(t.files.map(key)) }]))]))
  const regionOf = new Map(holdings.map((h) => [h.id, h.region]))
  const work = new Map<string, OcaWork>()
  const pending: Omit<FillTask, 'n' | 'source'>[] = []
  for (const h of holdings) {
    const w: OcaWork = { oca: h.id, up: h.titles !== undefined, fills: [], inPlace: [], pin: [], evict: [] }
    work.set(h.id, w)
    if (!w.up) continue
    const mine = held.get(h.id)!
    const plan = wanted.get(h.id) ?? new Map<string, FileEntry[]>()
    for (const [titleId, files] of plan) {
      const have = mine.get(titleId)
      const missing = files.filter((f) => !have?.keys.has(key(f)))
      if (missing.length === 0) {
        w.inPlace.push(titleId)
        if (!have!.title.pinned) w.pin.push(titleId)
      } else {
        pending.push({ oca: h.id, titleId, files: missing, bytes: missing.reduce((a, f) => a + f.bytes, 0) })
      }
    }
    for (const [titleId, t] of mine) if (!plan.has(titleId)) w.evict.push({ titleId, bytes: t.title.bytes })
  }

  // Biggest fill of each (region, title) first: it is the one others can copy.
  pending.sort((a, b) => (a.titleId < b.titleId ? -1 : a.titleId > b.titleId ? 1 : b.files.length - a.files.length || (a.oca < b.oca ? -1 : 1)))
  const tasks: FillTask[] = []
  for (const p of pending) {
    const region = regionOf.get(p.oca)
    const peers = holdings.filter((h) => h.id !== p.oca && h.region === region && h.titles !== undefined)
    const holder = peers.find((h) => {
      const t = held.get(h.id)!.get(p.titleId)
      return t && p.files.every((f) => t.keys.has(key(f)))
    })
    let source: FillSource = { kind: 'origin' }
    if (holder) {
      source = { kind: 'peer', oca: holder.id }
    } else {
      const seed = tasks.find(
        (t) => t.titleId === p.titleId && regionOf.get(t.oca) === region && t.oca !== p.oca && willHold(t, held.get(t.oca)!.get(p.titleId)?.keys, p.files),
      )
      if (seed) source = { kind: 'peer', oca: seed.oca, afterFill: seed.n }
    }
    const task: FillTask = { ...p, n: tasks.length, source }
    tasks.push(task)
    work.get(p.oca)!.fills.push(task)
  }
  return { work: [...work.values()], tasks }
}

/** After `t` completes, its OCA holds what it held plus t's files: does that cover `files`? */
function willHold(t: FillTask, before: Set<string> | undefined, files: FileEntry[]): boolean {
  const after = new Set([...(before ?? []), ...t.files.map(key)])
  return files.every((f) => after.has(key(f)))
}
