import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type ClusterConfig, randomSecret } from '../lib/cluster.js'
import { freePort } from '../lib/free-port.js'

/**
 * The example topology of deploy/cluster.json (3 regions × 2 OCAs), on free
 * loopback ports under `dir`, with a fresh random admin token: a token fixed
 * in the source is known to everyone who reads it.
 */
export async function writeDemoCluster(dir: string): Promise<{ file: string; cluster: ClusterConfig }> {
  await mkdir(dir, { recursive: true })
  const url = async () => `http://127.0.0.1:${await freePort()}`
  const sites = [
    { site: 'eu-oslo', region: 'eu', lat: 59.91, lon: 10.75, coverage: ['127.0.1.0/24'] },
    { site: 'us-ashburn', region: 'us', lat: 39.04, lon: -77.49, coverage: ['127.0.2.0/24'] },
    { site: 'ap-tokyo', region: 'ap', lat: 35.68, lon: 139.69, coverage: ['127.0.3.0/24'] },
  ]
  const cluster: ClusterConfig = {
    version: 1,
    name: 'oclab demo',
    adminToken: randomSecret(),
    origin: { url: await url(), storeDir: join(dir, 'origin') },
    steering: { url: await url() },
    defaultSite: 'eu-oslo',
    ocas: [],
  }
  for (const s of sites) {
    const first = `${s.site.split('-')[1]}-1`
    for (const n of [1, 2]) {
      const id = `${s.site.split('-')[1]}-${n}`
      cluster.ocas.push({
        id,
        url: await url(),
        ...s,
        capacityBytes: 200_000_000,
        memoryBytes: 32 * 1024 * 1024,
        storeDir: join(dir, id),
        ...(n === 2 ? { parent: first } : {}),
      })
    }
  }
  const file = join(dir, 'cluster.json')
  await writeFile(file, JSON.stringify(cluster, null, 2))
  return { file, cluster }
}
