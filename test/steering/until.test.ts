import t from 'tap'
import { until } from './processes.js'

t.test('until() says what it waited for and the last error, and stops at its deadline', async (t) => {
  let n = 0
  t.equal(await until(async () => (++n === 3 ? 'ready' : undefined), 'three checks', 10, 1), 'ready')
  await t.rejects(
    until(
      async () => {
        throw new Error(`ECONNREFUSED ${++n}`)
      },
      'the server',
      3,
      1,
    ),
    { message: /^gave up waiting for the server after 3 check\(s\) in \d+ ms: last error: ECONNREFUSED \d+$/ },
  )
  await t.rejects(
    until(async () => undefined, 'nothing', 2, 1),
    { message: /after 2 check\(s\).*: the last check returned nothing$/ },
  )
  // a check that never settles (a request to a stopped process) still ends at the deadline
  await t.rejects(
    until(() => new Promise<undefined>(() => {}), 'a hung check', 1000, 1, 200),
    { message: /gave up waiting for a hung check after 1 check\(s\).*still running at the 200 ms deadline/ },
  )
})
