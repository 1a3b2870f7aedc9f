import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { type Static, Type } from '@sinclair/typebox'
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

/**
 * Read a cluster file; `OCLAB_ADMIN_TOKEN` and `OCLAB_SIGNING_SECRET` in
 * `env`, when set, replace its adminToken and signing.secret, so a deployment
 * (docker compose) keeps its secrets out of the file it mounts.
 */
export async function readCluster(path: string, env: NodeJS.ProcessEnv = process.env): Promise<ClusterConfig> {
  let json: unknown
  try {
    json = JSON.parse(await readFile(path, 'utf8'))
  } catch (err) {
    throw new OclabError(ErrorCodes.BAD_CONFIG, `cannot read cluster file ${path}: ${(err as Error).message}`, undefined, { cause: err })
  }
  return validateCluster(withSecretsFromEnv(json, env), path)
}

/** The secret variables readCluster honours. */
export const SECRET_ENV = { adminToken: 'OCLAB_ADMIN_TOKEN', signingSecret: 'OCLAB_SIGNING_SECRET' } as const

/** A parsed cluster file with the secrets the environment sets put in (a copy; the schema checks them after). */
export function withSecretsFromEnv(json: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return json
  const out: Record<string, unknown> = { ...(json as Record<string, unknown>) }
  const token = env[SECRET_ENV.adminToken]
  if (token) out.adminToken = token
  const secret = env[SECRET_ENV.signingSecret]
  if (secret) {
    const signing = typeof out.signing === 'object' && out.signing !== null ? (out.signing as Record<string, unknown>) : { ttlSeconds: 3600 }
    out.signing = { ...signing, secret }
  }
  return out
}

/**
 * Secrets published in this repository (deploy/cluster*.json, and the demo's
 * token before it was random): anyone can read them, so they guard nothing.
 */
export const EXAMPLE_SECRETS: ReadonlySet<string> = new Set([
  'change-me-admin-token-0123456789',
  'change-me-signing-secret-0123456789',
  'demo-admin-token-0123456789',
])

/** A fresh secret for a new cluster file: 32 random bytes, URL-safe base64 (43 characters). */
export const randomSecret = (): string => randomBytes(32).toString('base64url')

/** Only this machine can reach it: localhost, 127.0.0.0/8, ::1 (also written out or IPv4-mapped). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  if (h === 'localhost' || h.endsWith('.localhost')) return true
  if (isIP(h) === 4) return h.startsWith('127.')
  if (isIP(h) !== 6) return false
  // The WHATWG URL parser writes IPv6 in its shortest form: 0:0:0:0:0:0:0:1 → ::1, ::ffff:127.0.0.1 → ::ffff:7f00:1.
  let short: string
  try {
    short = new URL(`http://[${h}]/`).hostname
  } catch {
    return false // a zone id (fe80::1%eth0) is link-local, not loopback
  }
  return short === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(short)
}

/**
 * Refuse (OCLAB_ERR_EXAMPLE_SECRET) to serve beyond loopback while the admin
 * token or the signing secret is one published in this repository: a cluster
 * started as shipped would otherwise open its admin APIs (purge, fill, drain,
 * delay) and signed URLs to anyone who has read the repo. On loopback the
 * examples stay usable for trying things out.
 */
export function refuseExampleSecretsBeyondLoopback(cluster: Pick<ClusterConfig, 'adminToken' | 'signing'>, host: string, who: string): void {
  if (isLoopbackHost(host)) return
  const known = [
    ...(EXAMPLE_SECRETS.has(cluster.adminToken) ? [`adminToken (set ${SECRET_ENV.adminToken})`] : []),
    ...(cluster.signing && EXAMPLE_SECRETS.has(cluster.signing.secret) ? [`signing.secret (set ${SECRET_ENV.signingSecret})`] : []),
  ]
  if (known.length === 0) return
  throw new OclabError(
    ErrorCodes.EXAMPLE_SECRET,
    `${who} will not listen on ${host} (not loopback) with the example ${known.join(' and ')}: it is published in the oclab repository. ` +
      'Put random secrets in the environment (e.g. `openssl rand -base64 32`) or in the cluster file, or listen on 127.0.0.1',
  )
}

/** The parent URL an OCA fills from: another OCA's URL or the origin's. */
export function parentUrl(cluster: ClusterConfig, oca: OcaConfig): string {
  if (!oca.parent || oca.parent === 'origin') return cluster.origin.url
  const p = cluster.ocas.find((o) => o.id === oca.parent)
  if (!p) throw new OclabError(ErrorCodes.BAD_CONFIG, `OCA ${oca.id}: unknown parent ${oca.parent}`)
  return p.url
}
