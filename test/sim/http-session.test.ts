import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyStatic from '@fastify/static'
import { join } from 'node:path'
import { testPackage, tempDir } from '../helpers/package.js'
import { runHttpSession } from '../../sim/http/session.js'
import { cmcdHeaders, parseCmcd } from '../../sim/http/cmcd.js'
import { constantTrace } from '../../sim/trace/generators.js'
import { runSession } from '../../sim/engine.js'
import { createAbr } from '../../sim/abr/registry.js'
import { ladderFromTitle } from '../../sim/load-title.js'

interface Seen { path: string; remote: string; cmcd: Record<string, string | true> }

/** A plain static server for a store, recording what each request carried. */
async function storeServer(store: string, seen: Seen[]): Promise<{ app: FastifyInstance; base: string }> {
  const app = Fastify({ logger: false, forceCloseConnections: true })
  app.addHook('onRequest', async (req) => {
    seen.push({ path: req.url, remote: req.socket.remoteAddress ?? '', cmcd: parseCmcd(req.headers as Record<string, string>) })
  })
  await app.register(fastifyStatic, { root: store, prefix: '/' })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, base: `${url}/titles/test-title/` }
}

t.test('CMCD headers follow CTA-5004 units and round trip', async (t) => {
  const h = cmcdHeaders({ sessionId: 'abc', contentId: 'x', objectType: 'v', format: 'h', bitrate: 2_501_000, duration: 4, bufferLength: 12.34, measuredThroughput: 5_432_100, startup: true })
  t.equal(h['cmcd-object'], 'br=2501,d=4000,ot=v')
  t.equal(h['cmcd-request'], 'bl=12300,mtp=5400,su')
  t.equal(h['cmcd-session'], 'cid="x",sf=h,sid="abc"')
  t.same(parseCmcd(h), { br: '2501', d: '4000', ot: 'v', bl: '12300', mtp: '5400', su: true, cid: 'x', sf: 'h', sid: 'abc' })
})

t.test('HTTP mode over a real server', async (t) => {
  const dir = await tempDir(t)
  // 3 rungs (about 225k, 370k, 555k) × 5 one-second segments
  const { store, title } = await testPackage(dir, { width: 640, height: 360, duration: 5 })
  const ladder = ladderFromTitle(title)

  t.test('same rung decisions as virtual time on the same constant trace', async (t) => {
    const seen: Seen[] = []
    const { app, base } = await storeServer(store, seen)
    t.teardown(() => app.close())
    for (const kbps of [300, 1200]) {
      const trace = constantTrace(kbps)
      const virtual = runSession(ladder, trace, createAbr('throughput', ladder), { record: true })
      // real time: scheduling slack is then small against the downloads it would distort
      // virtual time models video only: the audio stays out of the comparison
      const http = await runHttpSession({ titleId: 'test-title', candidates: [base], policy: (l) => createAbr('throughput', l), trace, timeScale: 1, record: true, audio: false })
      t.equal(http.completed, true)
      t.same(http.timeline!.segments.map((s) => s.rung), virtual.timeline!.segments.map((s) => s.rung), `${kbps} kbit/s: the same rungs, segment by segment`)
      t.equal(http.metrics.rebufferCount, virtual.metrics.rebufferCount, `${kbps} kbit/s: the same stall count`)
      // the paced read never lets bytes through faster than the trace (a busy machine can only make it slower)
      t.ok(http.metrics.sessionTime >= virtual.metrics.sessionTime * 0.95, `session time ${http.metrics.sessionTime.toFixed(2)} s, virtual ${virtual.metrics.sessionTime.toFixed(2)} s`)
    }
  })

  t.test('every request carries CMCD and leaves from the bound address', async (t) => {
    const seen: Seen[] = []
    const { app, base } = await storeServer(store, seen)
    t.teardown(() => app.close())
    const r = await runHttpSession({ titleId: 'test-title', candidates: [base], policy: (l) => createAbr('bba', l), trace: constantTrace(5000), timeScale: 20, localAddress: '127.0.0.7', sessionId: 'sess-1' })
    t.equal(r.completed, true)
    t.ok(seen.length >= 1 + 1 + 5, 'title.json, an init and 5 segments at least')
    t.ok(seen.every((s) => s.remote === '127.0.0.7'), 'source address 127.0.0.7')
    t.ok(seen.every((s) => s.cmcd.sid === 'sess-1' && s.cmcd.sf === 'h'), 'session id on every request')
    const segs = seen.filter((s) => s.path.endsWith('.m4s'))
    const video = segs.filter((s) => s.cmcd.ot === 'v')
    const audio = segs.filter((s) => s.cmcd.ot === 'a')
    t.equal(video.length, 5, 'five video segments')
    t.equal(audio.length, 5, 'and the five audio segments beside them')
    t.ok(segs.every((s) => Number(s.cmcd.br) > 0 && s.cmcd.d === '1000'), 'segments say their type, bitrate and duration')
    t.ok([...video.slice(1), ...audio.slice(1)].every((s) => s.cmcd.mtp !== undefined), 'after the first segment, the measured throughput')
  })

  t.test('a dead candidate fails over to the next, and the session completes', async (t) => {
    const seenA: Seen[] = []
    const seenB: Seen[] = []
    const a = await storeServer(store, seenA)
    const b = await storeServer(store, seenB)
    t.teardown(() => b.app.close())
    let closed = false
    const r = await runHttpSession({
      titleId: 'test-title', candidates: [a.base, b.base], policy: (l) => createAbr('throughput', l), trace: constantTrace(2000), timeScale: 10,
      onRequest: (req) => {
        // A dies after it served the second segment
        if (!closed && req.kind === 'segment' && req.base === a.base && seenA.filter((s) => s.path.endsWith('.m4s')).length >= 2) {
          closed = true
          void a.app.close()
        }
      },
    })
    t.equal(r.completed, true, 'the session played to the end')
    t.ok(r.failovers >= 1, `failed over ${r.failovers} time(s)`)
    t.ok(r.servedBy[a.base]! > 0 && r.servedBy[b.base]! > 0, 'both candidates served bytes')
    t.equal(r.metrics.segments, 5)
  })

  t.test('when every candidate is gone the session is lost, not thrown', async (t) => {
    const seen: Seen[] = []
    const { app, base } = await storeServer(store, seen)
    await app.close()
    const r = await runHttpSession({ titleId: 'test-title', candidates: [base, join(base, 'nope/')], policy: (l) => createAbr('bba', l), trace: constantTrace(2000), timeScale: 10, maxAttemptsPerSegment: 3, requestTimeoutMs: 500 })
    t.equal(r.completed, false)
    t.ok(r.errors.connection! >= 3, 'connection errors counted')
  })
})
