import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../lib/atomic-file.js'
import type { CatalogEntry } from './api.js'
import type { StoredTitle } from './master-store.js'
import { byRung, renditionFiles } from './title-sizes.js'

/**
 * `GET /catalog`: every title with its duration, size, ladder summary and the
 * OCAs that held it after the last pre-position run. The placement is kept
 * in `<store>/placement.json`, written by each run (CLI or server), so a
 * run from the CLI shows up in a running origin's catalog.
 */
export type { CatalogEntry } from './api.js'

export interface PlacementRecord {
  updatedAt: string
  /** OCA id → title ids it held */
  ocas: Record<string, string[]>
}

const PLACEMENT_FILE = 'placement.json'

export async function readPlacement(storeDir: string): Promise<PlacementRecord | undefined> {
  try {
    return JSON.parse(await readFile(join(storeDir, PLACEMENT_FILE), 'utf8')) as PlacementRecord
  } catch {
    return undefined
  }
}

export async function writePlacement(storeDir: string, ocas: Record<string, string[]>, previous?: PlacementRecord): Promise<void> {
  // An OCA that was down keeps its last known holdings.
  const record: PlacementRecord = { updatedAt: new Date().toISOString(), ocas: { ...(previous?.ocas ?? {}), ...ocas } }
  await writeFileAtomic(join(storeDir, PLACEMENT_FILE), JSON.stringify(record, null, 2))
}

export function catalogOf(titles: StoredTitle[], placement?: PlacementRecord): CatalogEntry[] {
  return titles.map(({ title, titleJson }) => {
    const byPath = new Map(title.files.map((f) => [f.path, f.bytes]))
    const bytesOf = (id: string): number => [...renditionFiles(title, id)].reduce((a, p) => a + (byPath.get(p) ?? 0), 0)
    return {
      id: title.id,
      duration: title.duration,
      bytes: title.files.reduce((a, f) => a + f.bytes, titleJson.bytes),
      ladder: [
        ...[...title.video].sort(byRung).map((v) => ({
          id: v.id,
          type: 'video' as const,
          width: v.width,
          height: v.height,
          bandwidth: v.bandwidth,
          averageBandwidth: v.averageBandwidth,
          bytes: bytesOf(v.id),
        })),
        ...title.audio.map((a) => ({ id: a.id, type: 'audio' as const, bandwidth: a.bandwidth, averageBandwidth: a.averageBandwidth, bytes: bytesOf(a.id) })),
      ],
      placedOn: Object.entries(placement?.ocas ?? {})
        .filter(([, ids]) => ids.includes(title.id))
        .map(([oca]) => oca)
        .sort(),
    }
  })
}
