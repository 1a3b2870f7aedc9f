import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ClusterConfig } from '../../lib/cluster.js'
import { clusterChildren } from '../../lib/cluster-control.js'
import { freePort } from '../../lib/free-port.js'
import { type RestartPolicy, Supervisor } from '../../lib/supervisor.js'
import { waitForSteering } from '../../sim/http-player/steer.js'

/** A small cluster on free loopback ports: origin, `ocas` OCAs in two sites, steering. */
export async function writeTestCluster(dir: string, ocas = 2): Promise<{ file: string; cluster: ClusterConfig }> {
  const url = async () => `http://127.0.0.1:${await freePort()}`
  const sites = [
    { site: 'site-a', region: 'eu', lat: 59.9, lon: 10.7, coverage: ['127.0.1.0/24'] },
    { site: 'site-b', region: 'us', lat: 39.0, lon: -77.5, coverage: ['127.0.2.0/24'] },
  ]
  const cluster: ClusterConfig = {
    version: 1,
    adminToken: 'test-admin-token-0123456789',
    origin: { url: await url(), storeDir: join(dir, 'origin') },
    steering: { url: await url() },
    defaultSite: 'site-a',
    ocas: [],
  }
  for (let i = 0; i < ocas; i++) {
    const s = sites[i % sites.length]!
    cluster.ocas.push({ id: `oca-${i + 1}`, url: await url(), ...s, capacityBytes: 1e9, storeDir: join(dir, `oca-${i + 1}`) })
  }
  const file = join(dir, 'cluster.json')
  await writeFile(file, JSON.stringify(cluster, null, 2))
  return { file, cluster }
}

/**
 * A cluster file with one OCA and no reachable origin or steering (port 9):
 * an edge measured alone, serving what is already in `storeDir`.
 */
export async function writeLoneOca(dir: string, oca: { id: string; port: number; storeDir: string; memoryBytes: number; adminToken: string }): Promise<string> {
  const cluster: ClusterConfig = {
    version: 1,
    adminToken: oca.adminToken,
    origin: { url: 'http://127.0.0.1:9' },
    steering: { url: 'http://127.0.0.1:9' },
    ocas: [
      {
        id: oca.id,
        url: `http://127.0.0.1:${oca.port}`,
        site: 'a',
        region: 'a',
        lat: 0,
        lon: 0,
        coverage: [],
        capacityBytes: 1e9,
        memoryBytes: oca.memoryBytes,
        storeDir: oca.storeDir,
      },
    ],
  }
  const file = join(dir, 'cluster.json')
  await writeFile(file, JSON.stringify(cluster))
  return file
}

/** Four node processes starting at once on a loaded 2-core machine have been seen to take over a minute. */
const READY_TIMEOUT_MS = 240_000

/**
 * `writeTestCluster` started as `oclab cluster` starts it (origin, OCAs and
 * steering as processes under a Supervisor), resolved once steering's
 * answer for `title` lists every OCA, or three of them (its default count):
 * it learns the fleet from health polls. The stop is registered before anything starts, so a start that
 * fails half-way still stops what did start. `restart` is the supervisor's
 * policy (default on-failure: a killed OCA comes back).
 */
export async function startTestCluster(
  t: { teardown: (f: () => Promise<void>) => void },
  dir: string,
  ocas = 2,
  title = 'test-title',
  restart: Partial<RestartPolicy> = {},
): Promise<{ file: string; cluster: ClusterConfig; sup: Supervisor }> {
  const { file, cluster } = await writeTestCluster(dir, ocas)
  const sup = new Supervisor({ log: () => {}, stopGraceMs: 3000, restart, readyTimeoutMs: READY_TIMEOUT_MS })
  t.teardown(() => sup.stop())
  await sup.start(clusterChildren(cluster, file, join(dir, 'store')))
  // /v1/steer lists three candidates by default
  await waitForSteering(cluster.steering.url, title, Math.min(ocas, 3))
  return { file, cluster, sup }
}
