import t from 'tap'
import { HEALTH_DEFAULTS, type HealthRecord, initialHealth, judge, nextHealth, type Probe } from '../../steering/health-state.js'

const T = { ...HEALTH_DEFAULTS, downAfter: 3, upAfter: 2, slowMs: 200 }
const ok = (at: number, extra: Partial<Probe> = {}): Probe => ({ at, ms: 5, status: 'ok', bytesPerSecond: 0, titles: ['t1'], ...extra })
const fail = (at: number): Probe => ({ at, error: 'health poll failed: ECONNREFUSED' })

function run(probes: Probe[], capacity?: number): HealthRecord[] {
  const out: HealthRecord[] = []
  let h = initialHealth(0)
  for (const p of probes) {
    h = nextHealth(h, p, judge(p, capacity, T), T)
    out.push(h)
  }
  return out
}

t.test('judging one poll', async (t) => {
  t.same(judge(ok(1), 1e9, T), { good: true })
  t.same(judge(fail(1), 1e9, T), { good: false, reason: 'health poll failed: ECONNREFUSED', immediate: false })
  t.match(judge(ok(1, { status: 'draining' }), 1e9, T), { good: false, reason: 'reports draining', immediate: true })
  t.match(judge(ok(1, { status: 'overloaded' }), 1e9, T), { good: false, reason: 'reports overloaded', immediate: true })
  t.match(judge(ok(1, { ms: 250 }), 1e9, T), { good: false, reason: /slow health answer \(250 ms > 200 ms\)/, immediate: false })
  t.match(judge(ok(1, { bytesPerSecond: 0.97e9 / 8 }), 1e9, T), { good: false, reason: /spare bandwidth 30 Mbit\/s is below 5% of 1000 Mbit\/s/ })
  t.same(judge(ok(1, { bytesPerSecond: 0.9e9 / 8 }), 1e9, T), { good: true }, '10% spare is enough')
  t.same(judge(ok(1, { bytesPerSecond: 1e12 }), undefined, T), { good: true }, 'no capacity configured: no spare check')
})

t.test('hysteresis: K bad polls to go down (suspect before), M good polls to come back', async (t) => {
  const h = run([ok(1), fail(2), fail(3), ok(4), fail(5), fail(6), fail(7), ok(8), ok(9), ok(10)])
  t.same(
    h.map((x) => x.state),
    ['up', 'suspect', 'suspect', 'up', 'suspect', 'suspect', 'down', 'down', 'up', 'up'],
  )
  t.match(h[1]?.reason, /ECONNREFUSED \(1\/3 bad polls\)/)
  t.match(h[6]?.reason, /ECONNREFUSED \(3 polls in a row\)/)
  t.match(h[7]?.reason, /^recovering: 1\/2 good polls since "health poll failed: ECONNREFUSED"/)
  t.equal(h[6]?.since, 7, 'since: when the state changed')
  t.equal(h[7]?.since, 7)
  t.equal(h[8]?.since, 9)
})

t.test('a node that reports draining or overloaded is down at once', async (t) => {
  const h = run([ok(1), ok(2, { status: 'draining' }), ok(3), ok(4)])
  t.same(
    h.map((x) => x.state),
    ['up', 'down', 'down', 'up'],
  )
  t.equal(h[1]?.reason, 'reports draining')
})

t.test('the first poll decides directly; titles and load come from the last answer with a body', async (t) => {
  t.same(initialHealth(0).state, 'down')
  t.same(
    run([fail(1)]).map((x) => x.state),
    ['down'],
  )
  const h = run([ok(1, { titles: ['a', 'b'], bytesPerSecond: 1000 }), fail(2)])
  t.same(h[0]?.state, 'up')
  t.same([...h[1]!.titles], ['a', 'b'], 'a failed poll keeps what the node held')
  t.equal(h[1]?.bytesPerSecond, 1000)
  t.equal(h[1]?.polls, 2)
})
