import t from 'tap'
import { TokenBucket } from '../../lib/token-bucket.js'

t.test('take (shaping): within the burst no wait, then debt paid off at the rate', async (t) => {
  const b = new TokenBucket(1000, 500, 0)
  t.equal(b.take(500, 0), 0)
  t.equal(b.take(250, 0), 250, '250 bytes of debt at 1000 B/s is 250 ms')
  t.equal(b.take(0, 250), 0, 'debt repaid after 250 ms')
  t.equal(b.take(1000, 250), 1000, 'a chunk above the burst waits proportionally')
  t.throws(() => new TokenBucket(0))
  t.throws(() => new TokenBucket(10, 0))
})

t.test('admit (policing): one token per request, a refusal costs nothing and says when to retry', async (t) => {
  const g = new TokenBucket(2, 2, 0) // 2 requests/s, burst 2
  t.equal(g.admit(0), 0)
  t.equal(g.admit(0), 0)
  t.equal(g.admit(0), 500, 'empty: the next token is 500 ms away')
  t.equal(g.admit(100), 400, 'a refused request took nothing: 400 ms left, not 900')
  t.equal(g.admit(500), 0, 'a token came back after 500 ms')
  t.equal(g.admit(10_000), 0)
  t.equal(g.admit(10_000), 0, 'the bank refilled only up to the burst')
  t.equal(g.admit(10_000), 500)
})
