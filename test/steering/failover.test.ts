import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { freePort } from '../../lib/free-port.js'
import { tempDir } from '../oca/helpers.js'
import { clusterOf, ocaConfig, writeTitle } from './helpers.js'
import { getJson, oclab, until } from './processes.js'

interface Steering {
  TTL: number
  'PATHWAY-PRIORITY': string[]
}
interface Ocas {
  ocas: Array<{ id: string; state: string; reason: string; titles: string[] }>
}

/**
 * Real processes: three `oclab oca` and one `oclab steering`, a cluster file
 * written here, real health polls. Killing the OCA of a client's first
 * pathway moves that pathway out of the first place; restarting it brings it
 * back first.
 */
t.test('steering manifest follows an OCA process being killed and restarted', async (t) => {
  const dir = await tempDir(t)
  const [pa1, pb1, pc1, ps] = await Promise.all([freePort(), freePort(), freePort(), freePort()])
  const ocas = [
    ocaConfig('a1', `http://127.0.0.1:${pa1}`, 'ams', { storeDir: 'store-a1' }),
    ocaConfig('b1', `http://127.0.0.1:${pb1}`, 'fra', { storeDir: 'store-b1' }),
    ocaConfig('c1', `http://127.0.0.1:${pc1}`, 'nyc', { storeDir: 'store-c1' }),
  ]
  for (const o of ocas) await writeTitle(join(dir, o.storeDir!), 't1')
  const cluster = { ...clusterOf(ocas), steering: { url: `http://127.0.0.1:${ps}` } }
  const config = join(dir, 'cluster.json')
  await writeFile(config, JSON.stringify(cluster, null, 2))

  const startOca = (id: string) => oclab(t, ['oca', '--config', config, '--id', id, '--miss', 'off', '--drain-delay', '0', '--log-level', 'warn'])
  const procs = new Map(ocas.map((o) => [o.id, startOca(o.id)]))
  const steering = oclab(t, [
    'steering',
    '--config',
    config,
    '--interval',
    '150',
    '--timeout',
    '500',
    '--ttl',
    '1',
    '--down-after',
    '2',
    '--up-after',
    '2',
    '--trust-proxy',
    '127.0.0.1/32',
    '--log-level',
    'warn',
  ])
  const base = cluster.steering.url
  await until(async () => {
    const { ocas: list } = await getJson<Ocas>(`${base}/ocas`)
    return list.every((o) => o.state === 'up') ? true : undefined
  }, `all OCAs up (steering: ${steering.stderr()})`)

  const client = { 'x-forwarded-for': '10.1.0.9' } // in site ams's coverage
  const manifestUrl = `${base}/v1/steering/hls?title=t1&pathways=a1,b1,c1`
  const before = await getJson<Steering>(manifestUrl, client)
  t.same(before['PATHWAY-PRIORITY'], ['a1', 'b1', 'c1'], 'own site, then Frankfurt, then New York')
  t.equal(before.TTL, 1)

  procs.get('a1')!.proc.kill('SIGKILL')
  const after = await until(async () => {
    const m = await getJson<Steering>(manifestUrl, client)
    return m['PATHWAY-PRIORITY'][0] !== 'a1' ? m : undefined
  }, 'a1 to lose first place')
  t.equal(after['PATHWAY-PRIORITY'][0], 'b1', 'the next nearest OCA takes over')
  t.ok(after['PATHWAY-PRIORITY'].indexOf('a1') === -1 || after['PATHWAY-PRIORITY'].at(-1) === 'a1', `a1 last or gone: ${after['PATHWAY-PRIORITY']}`)
  const down = await until(async () => {
    const { ocas: list } = await getJson<Ocas>(`${base}/ocas`)
    const a1 = list.find((o) => o.id === 'a1')!
    return a1.state === 'down' ? a1 : undefined
  }, 'a1 down')
  t.match(down.reason, /health poll failed: ECONNREFUSED/, `/ocas says why: ${down.reason}`)
  t.same((await getJson<Steering>(manifestUrl, client))['PATHWAY-PRIORITY'], ['b1', 'c1'], 'down: dropped')

  procs.set('a1', startOca('a1'))
  const back = await until(async () => {
    const m = await getJson<Steering>(manifestUrl, client)
    return m['PATHWAY-PRIORITY'][0] === 'a1' ? m : undefined
  }, 'a1 back first')
  t.same(back['PATHWAY-PRIORITY'], ['a1', 'b1', 'c1'], 'the failed pathway comes back once its OCA is healthy')

  steering.proc.kill('SIGTERM')
  t.equal(await steering.exited, 0, 'oclab steering exits 0 on SIGTERM')
})

t.test('oclab steering: usage errors exit 2, a bad cluster file exits 1', async (t) => {
  const dir = await tempDir(t)
  const noConfig = oclab(t, ['steering'])
  t.equal(await noConfig.exited, 2)
  t.match(noConfig.stderr(), /--config is required/)
  await writeFile(join(dir, 'bad.json'), '{"version":1}')
  const bad = oclab(t, ['steering', '--config', join(dir, 'bad.json')])
  t.equal(await bad.exited, 1)
  t.match(bad.stderr(), /not a valid cluster file/)
  await writeFile(join(dir, 'c.json'), JSON.stringify(clusterOf([ocaConfig('a1', 'http://127.0.0.1:9', 'ams')])))
  const listen = oclab(t, ['steering', '--config', join(dir, 'c.json'), '--listen', 'nowhere'])
  t.equal(await listen.exited, 2)
  t.match(listen.stderr(), /--listen must be host:port/)
})
