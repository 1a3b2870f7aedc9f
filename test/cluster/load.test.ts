import type tap from 'tap'
import t from 'tap'
import { parsePrometheus, sumOf } from '../../lib/prometheus-text.js'
import { seededRandom } from '../../lib/random.js'
import { parseFault } from '../../sim/loadtest/faults.js'
import { type LoadReport, runLoad, siteClientAddress, zipfSampler } from '../../sim/loadtest/harness.js'
import { constantTrace } from '../../sim/trace/generators.js'
import { startTestCluster } from '../helpers/cluster.js'
import { tempDir, testPackage } from '../helpers/package.js'
import { until } from '../helpers/until.js'

t.test('fault specs parse, and bad ones say how to write them', async (t) => {
  t.same(parseFault('kill:oca-1@20'), { kind: 'kill', target: 'oca-1', at: 20, text: 'kill:oca-1@20' })
  t.same(parseFault('slow:oca-3=500@10'), { kind: 'slow', target: 'oca-3', at: 10, value: 500, text: 'slow:oca-3=500@10' })
  t.same(parseFault('origin-down@40+15'), { kind: 'origin-down', target: 'origin', at: 40, value: 15, text: 'origin-down@40+15' })
  t.throws(() => parseFault('slow:oca-1@3'), { code: 'OCLAB_ERR_USAGE', message: /slow needs a delay/ })
  t.throws(() => parseFault('explode:x@1'), { code: 'OCLAB_ERR_USAGE', message: /not a fault/ })
})

t.test('client addresses, Zipf picks and Prometheus sums', async (t) => {
  t.equal(siteClientAddress('127.0.1.0/24', 0), '127.0.1.1')
  t.equal(siteClientAddress('127.0.1.0/24', 251), '127.0.1.2', 'wraps inside the prefix')
  t.equal(siteClientAddress('fd00::/8', 0), null)
  const pick = zipfSampler(10, 1, seededRandom(7))
  const counts = new Array(10).fill(0)
  for (let i = 0; i < 20_000; i++) counts[pick()]++
  // Zipf(1) over 10: the first title gets 1/H(10) = 34.1% of the picks, the second half of that
  t.ok(Math.abs(counts[0] / 20_000 - 0.3414) < 0.015, `top title share ${(counts[0] / 20_000).toFixed(3)}`)
  t.ok(Math.abs(counts[1] / counts[0] - 0.5) < 0.05)
  const s = parsePrometheus(
    '# HELP x\noca_bytes_served_total{tier="memory"} 10\noca_bytes_served_total{tier="miss"} 5\noca_requests_total{status="200",tier="disk"} 3\n',
  )
  t.equal(sumOf(s, 'oca_bytes_served_total'), 15)
  t.equal(sumOf(s, 'oca_bytes_served_total', { tier: 'miss' }), 5)
})

/** Σ per fault + what no fault explains = every failed request, every lost session that had a failure */
function assertFaultSums(t: Pick<typeof tap, 'equal' | 'ok'>, report: LoadReport) {
  const failed = Object.entries(report.errors)
    .filter(([k]) => k !== 'steering')
    .reduce((a, [, v]) => a + v, 0)
  const u = report.faultsUnattributed
  t.equal(report.faults.reduce((a, f) => a + f.failovers, 0) + u.failovers, failed, `failovers add up to the ${failed} failed requests`)
  const lostToSteering = Object.entries(report.sessions.lostReasons)
    .filter(([k]) => k.startsWith('steering:'))
    .reduce((a, [, v]) => a + v, 0)
  t.equal(report.faults.reduce((a, f) => a + f.sessionsLost, 0) + u.sessionsLost, report.sessions.lost - lostToSteering, 'lost sessions add up')
  t.ok(report.faults.reduce((a, f) => a + f.sessionsAffected, 0) + u.sessionsAffected <= report.sessions.started, 'no session is charged twice')
  t.equal(
    report.perOca.reduce((a, o) => a + o.errors, 0),
    failed,
    'per-OCA failures, counted by the harness, add up too',
  )
}

t.test('load: sessions through a cluster while OCAs are killed, slowed and the origin stopped; every failure charged once', async (t) => {
  const dir = await tempDir(t)
  await testPackage(dir, { width: 640, height: 360, duration: 5 })
  // steering has polled both OCAs before players arrive; a killed OCA is restarted (the supervisor's default)
  const { cluster, sup } = await startTestCluster(t, dir, 2)
  const pidOf = (name: string) => sup.children.get(name)?.process.pid
  const report = await runLoad({
    cluster,
    pidOf,
    titles: ['test-title'],
    traces: [constantTrace(3000), constantTrace(800)],
    algorithms: ['throughput', 'bba'],
    mode: 'open',
    rate: 10,
    durationSeconds: 5,
    timeScale: 4,
    faults: [parseFault('kill:oca-1@2')],
    seed: 1,
  })
  t.equal(report.sessions.started, 50)
  t.equal(report.sessions.lost, 0, `no session lost ${JSON.stringify(report.sessions.lostReasons)}`)
  t.equal(report.sessions.completed, 50)
  t.equal(report.faults.length, 1)
  const f = report.faults[0]!
  t.ok(f.sessionsAffected >= 1, `${f.sessionsAffected} sessions felt the kill`)
  t.ok(f.failovers >= 1, `${f.failovers} failovers`)
  t.equal(f.sessionsLost, 0)
  assertFaultSums(t, report)
  t.ok(report.latencyMs.count > 0 && report.latencyMs.p50 > 0, 'latency percentiles from the HDR histogram')
  t.same(Object.keys(report.steeringBySite).sort(), ['site-a', 'site-b'], 'steering spread clients over both sites')
  const killed = report.perOca.find((o) => o.id === 'oca-1')!
  // (on a busy machine the kill at 2 s can come before it finished a single response: requests, not bytes)
  t.ok(killed.requests > 0, `the killed OCA still shows the requests sent to it (${killed.requests}, ${killed.bytes} bytes)`)
  t.ok(killed.errors >= f.failovers, 'and the requests that failed on it')
  t.equal(killed.hitRatio, null, 'its own counters restarted with the process: no hit ratio from them')
  t.ok(report.perOca.find((o) => o.id === 'oca-2')!.bytes > 0, 'the survivor served bytes')
  t.ok(report.qoe.averageBitrate.n === 50, 'QoE distribution over every session')
  t.ok(report.slowest.length > 0 && report.slowest[0]!.wallMs >= report.slowest.at(-1)!.wallMs, 'the slowest segments, slowest first')

  // three overlapping faults on the healed cluster
  await until(async () => (sup.status().every((c) => c.state === 'running') ? true : undefined), 'every process running again', 1200, 100)
  // and steering sends players to the restarted OCA again
  await until(
    async () => {
      const res = await fetch(`${cluster.steering.url}/ocas`)
      const { ocas } = (await res.json()) as { ocas: Array<{ state: string }> }
      return ocas.every((o) => o.state === 'up') ? true : undefined
    },
    'steering to see both OCAs up',
    1200,
    100,
  )
  const three = await runLoad({
    cluster,
    pidOf,
    titles: ['test-title'],
    traces: [constantTrace(3000)],
    algorithms: ['bba'],
    mode: 'open',
    rate: 8,
    durationSeconds: 4,
    timeScale: 4,
    seed: 2,
    faults: [parseFault('slow:oca-2=300@1'), parseFault('kill:oca-1@1.5'), parseFault('origin-down@1.2+2')],
  })
  t.same(
    three.faults.map((x) => x.fault),
    ['slow:oca-2=300@1', 'origin-down@1.2+2', 'kill:oca-1@1.5'],
    'in the order they fired',
  )
  t.ok(
    three.faults.find((x) => x.fault.startsWith('kill'))!.failovers >= 1,
    `the kill is charged with failures ${JSON.stringify(three.faults)} ${JSON.stringify(three.errors)}`,
  )
  t.ok(three.faults.find((x) => x.fault.startsWith('slow'))!.sessionsAffected >= 1, 'sessions answered by the slowed OCA are charged to the slow-down')
  assertFaultSums(t, three)
})
