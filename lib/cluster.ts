import { Type, type Static } from '@sinclair/typebox'
import { readFile } from 'node:fs/promises'
import { ErrorCodes, OclabError } from './errors.js'
import { makeValidator } from './validate.js'

/**
 * The cluster file (../shared/DESIGN.md "Cluster description"): one file read
 * by every server, the load harness and the demo. Each entry of `ocas` is one
 * cache node; OCAs that share a `site` stand in one location (same coverage
 * zones and coordinates) and split titles between them by consistent hashing.
 */
export const CLUSTER_VERSION = 1

export const OcaSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9_-]+$' }),
    url: Type.String({ description: 'public base URL, also where it listens' }),
    site: Type.String({ minLength: 1, description: 'location id; OCAs in one site share coverage' }),
    region: Type.String({ minLength: 1 }),
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lon: Type.Number({ minimum: -180, maximum: 180 }),
    coverage: Type.Array(Type.String(), { default: [], description: 'client CIDRs (IPv4 or IPv6) this site serves' }),
    capacityBytes: Type.Integer({ minimum: 1, description: 'disk store capacity' }),
    memoryBytes: Type.Optional(Type.Integer({ minimum: 0, description: 'hot tier bound; default 64 MiB' })),
    parent: Type.Optional(Type.String({ description: 'id of another OCA, or "origin" (the default)' })),
    bandwidthBps: Type.Optional(Type.Integer({ minimum: 1, description: 'egress capacity in bit/s for load checks' })),
    storeDir: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)

export const ClusterSchema = Type.Object(
  {
    version: Type.Literal(CLUSTER_VERSION),
    name: Type.Optional(Type.String()),
    adminToken: Type.String({ minLength: 16 }),
    signing: Type.Optional(
      Type.Object({
        secret: Type.String({ minLength: 16 }),
        ttlSeconds: Type.Integer({ minimum: 1, default: 3600 }),
      }),
    ),
    origin: Type.Object({ url: Type.String(), storeDir: Type.Optional(Type.String()) }),
    steering: Type.Object({ url: Type.String() }),
    defaultSite: Type.Optional(Type.String()),
    ocas: Type.Array(OcaSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
)

export type OcaConfig = Static<typeof OcaSchema>
export type ClusterConfig = Static<typeof ClusterSchema>

const checkShape = makeValidator(ClusterSchema, ErrorCodes.BAD_CONFIG, 'cluster file (version 1)')

/** Validate shape, then the cross-references a schema cannot express. */
export function validateCluster(value: unknown, source = 'cluster file'): ClusterConfig {
  const c = checkShape(value, source)
  const ids = new Set<string>()
  const problems: string[] = []
  for (const o of c.ocas) {
    if (ids.has(o.id)) problems.push(`/ocas: duplicate OCA id "${o.id}"`)
    ids.add(o.id)
  }
  for (const o of c.ocas) {
    if (o.parent && o.parent !== 'origin' && !ids.has(o.parent)) problems.push(`/ocas/${o.id}/parent: unknown OCA "${o.parent}"`)
    if (o.parent === o.id) problems.push(`/ocas/${o.id}/parent: an OCA cannot be its own parent`)
  }
  if (c.defaultSite && !c.ocas.some((o) => o.site === c.defaultSite)) problems.push(`/defaultSite: no OCA in site "${c.defaultSite}"`)
  if (problems.length) throw new OclabError(ErrorCodes.BAD_CONFIG, `${source} is not consistent:\n  ${problems.join('\n  ')}`, problems)
  return c
}

export async function readCluster(path: string): Promise<ClusterConfig> {
  let json: unknown
  try {
    json = JSON.parse(await readFile(path, 'utf8'))
  } catch (err) {
    throw new OclabError(ErrorCodes.BAD_CONFIG, `cannot read cluster file ${path}: ${(err as Error).message}`)
  }
  return validateCluster(json, path)
}

/** The parent URL an OCA fills from: another OCA's URL or the origin's. */
export function parentUrl(cluster: ClusterConfig, oca: OcaConfig): string {
  if (!oca.parent || oca.parent === 'origin') return cluster.origin.url
  const p = cluster.ocas.find((o) => o.id === oca.parent)
  if (!p) throw new OclabError(ErrorCodes.BAD_CONFIG, `OCA ${oca.id}: unknown parent ${oca.parent}`)
  return p.url
}
