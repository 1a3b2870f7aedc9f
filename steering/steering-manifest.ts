import type { StableUris } from './hls-master.js'

/**
 * Steering manifests, pure. The HLS one follows Apple's "HLS Content
 * Steering" specification (VERSION 1, TTL in seconds, RELOAD-URI,
 * PATHWAY-PRIORITY, PATHWAY-CLONES with BASE-ID / ID / URI-REPLACEMENT);
 * the DASH one (DCSM) DASH-IF CTS 001, which reuses the same JSON keys.
 *
 * PATHWAY-PRIORITY lists the Pathways the client knows (the ones written
 * into its manifest) and the clones sent alongside, in the policy's order;
 * Pathways of OCAs that are down are left out, which makes a player leave
 * them, and come back in as soon as their OCA is healthy again. Were every
 * Pathway down, the known ones are listed as they are (the list may not be
 * empty, and a player has nowhere better to go).
 *
 * Clones: an OCA that holds the title but is not in the client's manifest
 * (added, filled or recovered since) is sent as a clone of a known Pathway
 * of the same site: OCAs of a site serve the same URIs (the signed prefix
 * covers the title, not the host), so only the host changes. HLS's HOST
 * replaces the host name only, so when the port differs the clone carries
 * PER-VARIANT-URIS / PER-RENDITION-URIS instead (hls.js honours both);
 * dash.js prefixes the DCSM HOST with the scheme and takes host:port.
 */
export interface Target {
  id: string
  site: string
  /** absolute URL of the title directory on that OCA, ending in `/` */
  base: string
}

export interface HlsPathwayClone {
  'BASE-ID': string
  ID: string
  'URI-REPLACEMENT': {
    HOST?: string
    'PER-VARIANT-URIS'?: Record<string, string>
    'PER-RENDITION-URIS'?: Record<string, string>
  }
}

export interface DashPathwayClone {
  'BASE-ID': string
  ID: string
  'URI-REPLACEMENT': { HOST: string }
}

export interface SteeringManifest<C> {
  VERSION: 1
  TTL: number
  'RELOAD-URI'?: string
  'PATHWAY-PRIORITY': string[]
  'PATHWAY-CLONES'?: C[]
}

export interface SteeringInput {
  /** live OCAs for the title, best first (the policy's ranking) */
  ranked: readonly Target[]
  /** Pathways in the client's manifest, with where they point */
  known: readonly Target[]
  ttlSeconds: number
  reloadUri?: string
}

function plan(input: SteeringInput): { priority: string[]; clones: Array<{ base: Target; clone: Target }> } {
  const knownIds = new Set(input.known.map((k) => k.id))
  const priority: string[] = []
  const clones: Array<{ base: Target; clone: Target }> = []
  for (const r of input.ranked) {
    if (knownIds.has(r.id)) {
      priority.push(r.id)
      continue
    }
    const base = input.known.find((k) => k.site === r.site)
    if (base) {
      clones.push({ base, clone: r })
      priority.push(r.id)
    }
  }
  return { priority: priority.length ? priority : input.known.map((k) => k.id), clones }
}

function envelope<C>(input: SteeringInput, priority: string[], clones: C[]): SteeringManifest<C> {
  const m: SteeringManifest<C> = { VERSION: 1, TTL: input.ttlSeconds, 'PATHWAY-PRIORITY': priority }
  if (input.reloadUri) m['RELOAD-URI'] = input.reloadUri
  if (clones.length) m['PATHWAY-CLONES'] = clones
  return m
}

export function hlsSteeringManifest(input: SteeringInput, stable?: StableUris): SteeringManifest<HlsPathwayClone> {
  const { priority, clones } = plan(input)
  const out: HlsPathwayClone[] = []
  const kept: string[] = []
  for (const { base, clone } of clones) {
    const b = new URL(base.base)
    const c = new URL(clone.base)
    const sameShape = b.protocol === c.protocol && b.port === c.port && b.pathname === c.pathname
    const repl: HlsPathwayClone['URI-REPLACEMENT'] = {}
    if (sameShape) repl.HOST = c.hostname
    else if (stable) {
      repl['PER-VARIANT-URIS'] = Object.fromEntries(Object.entries(stable.variants).map(([k, u]) => [k, new URL(u, clone.base).href]))
      repl['PER-RENDITION-URIS'] = Object.fromEntries(Object.entries(stable.renditions).map(([k, u]) => [k, new URL(u, clone.base).href]))
    } else continue
    out.push({ 'BASE-ID': base.id, ID: clone.id, 'URI-REPLACEMENT': repl })
    kept.push(clone.id)
  }
  const dropped = new Set(clones.map((x) => x.clone.id).filter((id) => !kept.includes(id)))
  const list = priority.filter((id) => !dropped.has(id))
  return envelope(input, list.length ? list : input.known.map((k) => k.id), out)
}

export function dashSteeringManifest(input: SteeringInput): SteeringManifest<DashPathwayClone> {
  const { priority, clones } = plan(input)
  const out = clones.flatMap(({ base, clone }): DashPathwayClone[] => {
    const b = new URL(base.base)
    const c = new URL(clone.base)
    // dash.js keeps the reference BaseURL's path and swaps scheme://host:port only.
    if (b.pathname !== c.pathname) return []
    return [{ 'BASE-ID': base.id, ID: clone.id, 'URI-REPLACEMENT': { HOST: b.protocol === c.protocol ? c.host : `${c.protocol}//${c.host}` } }]
  })
  const cloned = new Set(out.map((x) => x.ID))
  const list = priority.filter((id) => input.known.some((k) => k.id === id) || cloned.has(id))
  return envelope(input, list.length ? list : input.known.map((k) => k.id), out)
}
