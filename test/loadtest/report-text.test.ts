import t from 'tap'
import type { Distribution, SummaryField } from '../../sim/engine/metrics.js'
import type { LoadReport } from '../../sim/loadtest/harness.js'
import { formatLoadReport, progressLine } from '../../sim/loadtest/report.js'

const dist = (mean: number, n = 4): Distribution => ({ mean, p5: mean / 2, p50: mean, p95: mean * 2, n })
const qoe = (kbps: number) =>
  ({ startupDelay: dist(0.8), rebufferTime: dist(0.25), averageBitrate: dist(kbps * 1000), switches: dist(3) }) as unknown as Record<SummaryField, Distribution>

const report: LoadReport = {
  sessions: { started: 12, completed: 11, lost: 1, lostReasons: { 'every candidate failed (connection 8)': 1 } },
  requests: 480,
  errors: { connection: 8 },
  bytes: 96e6,
  gbitPerSecond: 0.0512,
  latencyMs: { p50: 12, p90: 30, p99: 95, p999: 180, max: 240, count: 400 },
  arrivalLagMs: { p50: 1, p99: 4, max: 9 },
  perOca: [
    { id: 'oca-1', site: 'site-a', requests: 300, errors: 2, bytes: 60e6, hitRatio: 0.95, reachable: true },
    { id: 'oca-2', site: 'site-b', requests: 40, errors: 6, bytes: 8e6, hitRatio: null, reachable: false },
  ],
  originOffload: 0.9,
  steeringBySite: { 'site-a': 9, 'site-b': 3 },
  qoe: qoe(1500),
  qoeBy: { 'site-a/bba': qoe(1800), 'site-b/throughput': qoe(900) },
  faults: [{ fault: 'kill:oca-2@5', at: 5.02, sessionsAffected: 4, failovers: 6, stallSeconds: 1.5, sessionsLost: 1 }],
  faultsUnattributed: { sessionsAffected: 1, failovers: 2, stallSeconds: 0.5, sessionsLost: 0 },
  slowest: [{ url: 'http://127.0.0.1:1/titles/t/v1/seg-00003.m4s', oca: 'oca-1', trace: 'traces/norway-3g/a.json', wallMs: 2400, ttfbMs: 3 }],
  timeline: [],
  wallSeconds: 15,
}

t.test('the terminal summary carries transport, servers, QoE and each fault', async (t) => {
  const text = formatLoadReport(report)
  t.match(text, 'sessions: 12 started, 11 completed, 1 lost, in 15.0 s')
  t.match(text, '  lost 1: every candidate failed (connection 8)')
  t.match(text, 'errors: connection 8')
  t.match(text, 'p50 12, p90 30, p99 95, p99.9 180, max 240')
  t.match(text, 'open-model arrival lag ms: p50 1, p99 4, max 9')
  t.match(text, 'origin offload: 90.0%; steering first choice by site: site-a 9, site-b 3')
  t.match(text, /oca-1 +site-a +300 req +2 failed +60\.0 MB {2}hit ratio 95\.0%$/m)
  t.match(
    text,
    /oca-2 +site-b +40 req +6 failed +8\.0 MB {2}hit ratio - {2}\(unreachable at the end\)/,
    'a killed OCA still shows what the harness got from it',
  )
  t.match(text, '  avg kbit/s       1500.0 / 750.0 / 1500.0 / 3000.0')
  t.match(text, /site-a\/bba +4 +0\.80 +0\.25 +1800\.0 +3\.0/)
  t.match(text, 'kill:oca-2@5           at 5.0 s: 4 sessions affected, 6 failovers, 1.5 s stalled, 1 lost')
  t.match(text, /no fault {14,}1 sessions affected, 2 failovers, 0\.5 s stalled, 0 lost/)
  t.match(text, 'slowest segments: 2400 ms (ttfb 3) from oca-1 on a.json')
})

t.test('a quiet run says so: no errors, no offload known, no faults, one group', async (t) => {
  const text = formatLoadReport({
    ...report,
    errors: {},
    originOffload: null,
    faults: [],
    faultsUnattributed: { sessionsAffected: 0, failovers: 0, stallSeconds: 0, sessionsLost: 0 },
    slowest: [],
    arrivalLagMs: undefined,
    qoeBy: { 'site-a/bba': qoe(1) },
    qoe: qoe(Number.NaN),
  })
  t.match(text, 'errors: none')
  t.match(text, 'origin offload: -;')
  t.notMatch(text, 'faults:')
  t.notMatch(text, 'arrival lag')
  t.notMatch(text, 'QoE by client site')
  t.match(text, '  avg kbit/s       - / - / - / -', 'no sessions played: dashes, not NaN')
})

t.test('the progress line', async (t) => {
  t.equal(
    progressLine({
      t: 3.2,
      elapsed: 3.2,
      started: 5,
      active: 4,
      completed: 1,
      lost: 0,
      requestsPerSecond: 120,
      gbitPerSecond: 0.0123,
      errors: 2,
      p50Ms: 10,
      p99Ms: 40,
      faults: [],
    }),
    'load 3s: 5 sessions (4 playing, 1 done, 0 lost), 120 req/s, 0.012 Gb/s, 2 errors',
  )
})
