import t from 'tap'
import { mapLimit } from '../../lib/map-limit.js'

t.test('mapLimit keeps input order, never runs more than the limit at once, and rejects on the first failure', async (t) => {
  let running = 0
  let peak = 0
  const out = await mapLimit([5, 1, 4, 2, 3], 2, async (x, i) => {
    running++
    peak = Math.max(peak, running)
    await new Promise((r) => setTimeout(r, x))
    running--
    return `${i}:${x}`
  })
  t.same(out, ['0:5', '1:1', '2:4', '3:2', '4:3'])
  t.equal(peak, 2)
  t.same(await mapLimit([], 4, async (x) => x), [])
  await t.rejects(
    mapLimit([1, 2, 3], 3, async (x) => {
      if (x === 2) throw new Error('two')
      return x
    }),
    /two/,
  )
})
