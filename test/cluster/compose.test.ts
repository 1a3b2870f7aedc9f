import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { readCluster } from '../../lib/cluster.js'
import { repoRoot } from '../helpers/package.js'

// No Docker engine runs here: the compose file is checked against the cluster
// file it mounts, so the two cannot drift apart unnoticed.
t.test('docker-compose.yml runs every server of cluster.docker.json on its port', async (t) => {
  // merge keys (<<: *oclab) as docker compose reads them
  const compose = parse(await readFile(join(repoRoot, 'deploy', 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { command: string[]; ports?: string[]; image?: string; environment?: Record<string, string> }>
  }
  const cluster = await readCluster(join(repoRoot, 'deploy', 'cluster.docker.json'))
  const servers = [
    { name: 'origin', url: cluster.origin.url, role: 'origin' },
    { name: 'steering', url: cluster.steering.url, role: 'steering' },
    ...cluster.ocas.map((o) => ({ name: o.id, url: o.url, role: 'oca' })),
  ]
  t.same(Object.keys(compose.services).sort(), [...servers.map((s) => s.name), 'loadgen'].sort(), 'one service per server, plus the load generator')
  for (const s of servers) {
    const svc = compose.services[s.name]!
    const url = new URL(s.url)
    t.equal(url.hostname, s.name, `${s.name}: the cluster file names the service as its host`)
    t.same(svc.ports, [`${url.port}:${url.port}`], `${s.name}: publishes ${url.port}`)
    t.equal(svc.command[0], s.role, `${s.name}: runs oclab ${s.role}`)
    if (s.role === 'oca') t.same(svc.command.slice(-2), ['--id', s.name])
    t.equal(svc.image, 'oclab:latest')
  }
  t.equal(compose.services.loadgen!.command[0], 'load')
  // The mounted file holds the published example secrets; every container must get real ones from the environment
  // (`${VAR:?message}` makes docker compose refuse to start without them).
  for (const [name, svc] of Object.entries(compose.services)) {
    for (const v of ['OCLAB_ADMIN_TOKEN', 'OCLAB_SIGNING_SECRET'])
      t.match(svc.environment?.[v], new RegExp(`^\\$\\{${v}:\\?.+\\}$`), `${name}: ${v} is required from the environment`)
  }
  const dockerfile = await readFile(join(repoRoot, 'deploy', 'Dockerfile'), 'utf8')
  for (const dir of ['lib', 'cli', 'encoder', 'origin', 'oca', 'steering', 'sim']) t.match(dockerfile, new RegExp(`COPY ${dir} `), `the image has ${dir}/`)
})
