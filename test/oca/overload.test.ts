import t from 'tap'
import { OverloadMonitor } from '../../oca/overload.js'

/** Block the event loop for `ms` (as module loading or a store scan does). */
function block(ms: number): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    // busy: the event loop cannot turn
  }
  // A timer turn after the block: the lag histogram records the delay when its own timer fires.
  return new Promise((resolve) => setTimeout(resolve, 20))
}

t.test("the node's own start-up is not judged as overload; lag after it is", async (t) => {
  const monitor = new OverloadMonitor({ maxEventLoopDelayMs: 200, sampleIntervalMs: 3_600_000 })
  t.teardown(() => monitor.close())
  // The lag histogram needs turns of the loop to record anything.
  await new Promise((resolve) => setTimeout(resolve, 50))
  await block(600)
  const first = monitor.sample()
  t.equal(first.overloaded, false, `start-up lag is not overload: ${first.reasons.join('; ')}`)
  await new Promise((resolve) => setTimeout(resolve, 50))
  await block(600)
  const second = monitor.sample()
  t.equal(second.overloaded, true, 'the same lag after start-up is overload')
  t.match(second.reasons.join(';'), /event-loop delay/)
})
