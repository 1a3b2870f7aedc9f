import t from 'tap'
import { cpuSecondsOf, cpuSecondsTree, interleave, ratioSpread, ratios, roundOrder, spread } from '../../bench/_rounds.js'
import { parseWrk } from '../../bench/_wrk.js'
import { InFlightBudget } from '../../oca/in-flight-budget.js'
import { wrongForecast } from '../../origin/index.js'
import { zipfPopularity } from '../../origin/popularity.js'

const wrkOut = (requests: number, read: string, non2xx = 0, timeouts = 0): string => `Running 3s test @ http://127.0.0.1:1/x
  2 threads and 16 connections
  Latency Distribution
     50%   10.00ms
     99%   50.00ms
  ${requests} requests in 2.00s, ${read} read
${timeouts ? `  Socket errors: connect 0, read 0, write 0, timeout ${timeouts}\n` : ''}${non2xx ? `  Non-2xx or 3xx responses: ${non2xx}\n` : ''}Requests/sec:   ${(requests / 2).toFixed(2)}
Transfer/sec:      1.00GB
`

t.test('wrk parsing counts only good responses as throughput', async (t) => {
  const clean = parseWrk(wrkOut(1000, '0.93GB'), 1_000_000)
  t.equal(clean.good, 1000)
  t.equal(clean.rps, 500, 'good responses per second')
  t.equal(clean.mbps, 500)
  t.equal(clean.p99ms, 50)
  const shed = parseWrk(wrkOut(3900, '0.85GB', 3009), 1_000_000)
  t.equal(shed.good, 891, '503s are not throughput (the run that printed "3.79× nginx")')
  t.equal(shed.non2xx, 3009)
  t.equal(parseWrk(wrkOut(1000, '100.00MB'), 1_000_000).good, 0, 'bytes read cannot hold 1000 whole bodies: none counted good')
  t.equal(parseWrk(wrkOut(10, '9.54MB', 0, 3), 1_000_000).socketErrors, 3)
})

t.test('spread: median and range; ratios per round; rotated order', async (t) => {
  t.same(spread([3, 1, 2]), { median: 2, min: 1, max: 3, n: 3 })
  t.same(spread([4, 1, NaN, 2, 3]), { median: 2.5, min: 1, max: 4, n: 4 })
  t.equal(spread([]).n, 0)
  t.same(ratios([2, 6], [1, 3]), [2, 2])
  t.same(
    ratioSpread([{ x: 2 }, { x: 9 }, { x: 4 }], [{ x: 1 }, { x: 3 }, { x: 4 }], (r) => r.x),
    { median: 2, min: 1, max: 3, n: 3 },
    'one field of A against B, round by round',
  )
  t.same(
    [0, 1, 2, 3].map((r) => roundOrder(['a', 'b', 'c'], r).join('')),
    ['abc', 'bca', 'cab', 'abc'],
  )
  const seen: string[] = []
  const out = await interleave(2, [{ name: 'a' }, { name: 'b' }], async (n, r) => {
    seen.push(`${n}${r}`)
    return r
  })
  t.same(seen, ['a0', 'b0', 'b1', 'a1'], 'the second round starts with the other case')
  t.same(out.get('a'), [0, 1])
})

t.test('CPU seconds of a process tree from /proc', { skip: process.platform !== 'linux' && 'reads /proc' }, async (t) => {
  const before = cpuSecondsOf(process.pid)
  let x = 0
  for (let i = 0; i < 3e7; i++) x += i % 7
  t.ok(x > 0)
  t.ok(cpuSecondsOf(process.pid) > before, 'busy work shows as CPU time')
  t.ok(cpuSecondsTree(process.pid) >= cpuSecondsOf(process.pid))
  t.equal(cpuSecondsOf(2 ** 22 + 12345), 0, 'a process that does not exist has none')
})

t.test('in-flight budget: refuses beyond the limit, admits an oversize answer alone, releases once', async (t) => {
  const b = new InFlightBudget(100)
  const r1 = b.take(60)!
  t.ok(r1)
  t.equal(b.take(50), undefined, '60 + 50 > 100')
  t.equal(b.refused, 1)
  const r2 = b.take(40)!
  t.equal(b.usedBytes, 100)
  r1()
  r1()
  t.equal(b.usedBytes, 40, 'a second release is a no-op')
  r2()
  const big = b.take(500)
  t.ok(big, 'an object larger than the whole budget is served when nothing else is in flight')
  t.equal(b.take(1), undefined)
})

t.test('the placement bench plans from a forecast wrong in a controlled way', async (t) => {
  const truth = zipfPopularity({ titleIds: Array.from({ length: 1000 }, (_, i) => `t${i}`), regions: ['r1', 'r2'], seed: 1 })
  const { model, unknown } = wrongForecast(truth, { noise: 0.3, unknownShare: 0.1, seed: 5 })
  t.ok(unknown > 60 && unknown < 140, `about 10% of titles unknown (${unknown})`)
  for (const [name, d] of truth.regions) {
    const f = model.regions.get(name)!.views
    let zeros = 0
    d.views.forEach((v, i) => {
      if (f[i] === 0) zeros++
      else if (f[i]! < 0.7 * v - 1e-9 || f[i]! > 1.3 * v + 1e-9) t.fail(`title ${i} off by more than 30%`)
    })
    t.equal(zeros, unknown, 'unknown titles have no forecast plays in every region')
  }
})
