import { createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import fastifyStatic from '@fastify/static'
import Fastify, { type FastifyInstance } from 'fastify'
import t from 'tap'
import { createAbr } from '../../sim/abr/registry.js'
import { runSession } from '../../sim/engine/engine.js'
import { cmcdHeaders, parseCmcd } from '../../sim/http-player/cmcd.js'
import { LOAD_POLICY_DEFAULTS, type RequestRecord, runHttpSession } from '../../sim/http-player/session.js'
import { ladderFromTitle } from '../../sim/manifest/read-title.js'
import { constantTrace } from '../../sim/trace/generators.js'
import { tempDir, testPackage } from '../helpers/package.js'

interface Seen {
  path: string
  remote: string
  cmcd: Record<string, string | true>
}

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
  const h = cmcdHeaders({
    sessionId: 'abc',
    contentId: 'x',
    objectType: 'v',
    format: 'h',
    bitrate: 2_501_000,
    duration: 4,
    bufferLength: 12.34,
    measuredThroughput: 5_432_100,
    startup: true,
  })
  t.equal(h['cmcd-object'], 'br=2501,d=4000,ot=v')
  t.equal(h['cmcd-request'], 'bl=12300,mtp=5400,su')
  t.equal(h['cmcd-session'], 'cid="x",sf=h,sid="abc"')
  t.same(parseCmcd(h), { br: '2501', d: '4000', ot: 'v', bl: '12300', mtp: '5400', su: true, cid: 'x', sf: 'h', sid: 'abc' })
})

t.test('HTTP mode over a real server', async (t) => {
  const dir = await tempDir(t)
  // 3 rungs (about 225k, 370k, 555k) × 5 one-second segments
  const { store, title } = await testPackage(dir, { width: 640, height: 360, duration: 5 })
  // video only: HTTP mode fetches the audio after its video segment, virtual time beside it, so the comparisons leave it out
  const ladder = ladderFromTitle(title, title.id, { audio: false })

  t.test('same rung decisions as virtual time on the same constant trace', async (t) => {
    const seen: Seen[] = []
    const { app, base } = await storeServer(store, seen)
    t.teardown(() => app.close())
    for (const kbps of [300, 1200]) {
      const trace = constantTrace(kbps)
      const virtual = runSession(ladder, trace, createAbr('throughput', ladder), { record: true })
      // real time: scheduling slack is then small against the downloads it would distort
      const http = await runHttpSession({
        titleId: 'test-title',
        candidates: [base],
        policy: (l) => createAbr('throughput', l),
        trace,
        timeScale: 1,
        record: true,
        audio: false,
      })
      t.equal(http.completed, true)
      t.same(
        http.timeline!.segments.map((s) => s.rung),
        virtual.timeline!.segments.map((s) => s.rung),
        `${kbps} kbit/s: the same rungs, segment by segment`,
      )
      t.equal(http.metrics.rebufferCount, virtual.metrics.rebufferCount, `${kbps} kbit/s: the same stall count`)
      // the paced read never lets bytes through faster than the trace (a busy machine can only make it slower)
      t.ok(
        http.metrics.sessionTime >= virtual.metrics.sessionTime * 0.95,
        `session time ${http.metrics.sessionTime.toFixed(2)} s, virtual ${virtual.metrics.sessionTime.toFixed(2)} s`,
      )
    }
  })

  t.test('every request carries CMCD and leaves from the bound address', async (t) => {
    const seen: Seen[] = []
    const { app, base } = await storeServer(store, seen)
    t.teardown(() => app.close())
    const r = await runHttpSession({
      titleId: 'test-title',
      candidates: [base],
      policy: (l) => createAbr('bba', l),
      trace: constantTrace(5000),
      timeScale: 20,
      localAddress: '127.0.0.7',
      sessionId: 'sess-1',
    })
    t.equal(r.completed, true)
    t.ok(seen.length >= 1 + 1 + 5, 'title.json, an init and 5 segments at least')
    t.ok(
      seen.every((s) => s.remote === '127.0.0.7'),
      'source address 127.0.0.7',
    )
    t.ok(
      seen.every((s) => s.cmcd.sid === 'sess-1' && s.cmcd.sf === 'h'),
      'session id on every request',
    )
    const segs = seen.filter((s) => s.path.endsWith('.m4s'))
    const video = segs.filter((s) => s.cmcd.ot === 'v')
    const audio = segs.filter((s) => s.cmcd.ot === 'a')
    t.equal(video.length, 5, 'five video segments')
    t.equal(audio.length, 5, 'and the five audio segments beside them')
    t.ok(
      video.every((s) => Number(s.cmcd.br) > 0 && s.cmcd.d === '1000'),
      'video segments say their type, bitrate and duration',
    )
    // audio segments carry their own duration (whole AAC frames, a little off the video's)
    t.ok(
      audio.every((s) => Number(s.cmcd.br) > 0 && Math.abs(Number(s.cmcd.d) - 1000) <= 50),
      'audio segments say their bitrate and their own duration',
    )
    t.ok(
      [...video.slice(1), ...audio.slice(1)].every((s) => s.cmcd.mtp !== undefined),
      'after the first segment, the measured throughput',
    )
  })

  t.test('audio in the language asked and subtitles when asked: fetched beside each video segment, their bytes counted', async (t) => {
    // the test package's own second audio language and segmented WebVTT subtitles
    const fr = title.audio.find((x) => x.language === 'fr')!
    const textSegments = title.text![0]!.segments
    const seen: Seen[] = []
    const { app, base } = await storeServer(store, seen)
    t.teardown(() => app.close())
    const sampled: number[] = []
    const fetched: RequestRecord[] = []
    const r = await runHttpSession({
      titleId: 'test-title',
      candidates: [base],
      policy: (l) => {
        const p = createAbr('throughput', l)
        const onDownload = p.onDownload.bind(p)
        p.onDownload = (s) => {
          sampled.push(s.bytes)
          onDownload(s)
        }
        return p
      },
      trace: constantTrace(5000),
      timeScale: 20,
      record: true,
      audio: 'fr',
      subtitles: 'en',
      onRequest: (q) => fetched.push(q),
    })
    t.equal(r.completed, true, r.lostReason ?? 'completed')
    t.equal(r.codec, 'h264')
    const segs = (media: string) =>
      fetched.filter((q) => q.kind === 'segment' && q.media === media).map((q) => new URL(q.url).pathname.split('/titles/test-title/')[1])
    t.same(
      segs('audio'),
      fr.segments.map((s) => s.uri),
      'every French audio segment, none of the other language',
    )
    t.same(
      segs('text'),
      textSegments.map((s) => s.uri),
      'every subtitle segment',
    )
    t.ok(
      seen.filter((s) => s.path.endsWith('.vtt')).every((s) => s.cmcd.ot === 'c'),
      'subtitles are CMCD object type c',
    )
    const audioBytes = fr.segments.reduce((a, s) => a + s.bytes, 0)
    const textBytes = textSegments.reduce((a, s) => a + s.bytes, 0)
    t.equal(r.audioBytes, audioBytes)
    t.equal(r.textBytes, textBytes)
    t.equal(r.metrics.companionBytes, audioBytes + textBytes)
    const videoBytes = r.timeline!.segments.reduce((a, s, i) => a + title.video.find((v) => v.bandwidth === ladder.bitrates[s.rung])!.segments[i]!.bytes, 0)
    t.equal(r.metrics.bytesPlayed, videoBytes + audioBytes + textBytes, 'the link carried video, audio and subtitles')
    t.same(
      sampled,
      r.timeline!.segments.map((s, i) => title.video.find((v) => v.bandwidth === ladder.bitrates[s.rung])!.segments[i]!.bytes),
      "the ABR rule's samples are the video segments' bytes, as hls.js samples main fragments only",
    )

    const refused = await runHttpSession({
      titleId: 'test-title',
      candidates: [base],
      policy: (l) => createAbr('bba', l),
      trace: constantTrace(5000),
      timeScale: 20,
      decodes: ['av1'],
      device: 'device "x"',
    })
    t.equal(refused.completed, false)
    t.match(refused.lostReason, /^OCLAB_ERR_NO_PLAYABLE_CODEC: .* offers h264, and device "x" decodes only av1/)
  })

  t.test('a dead candidate fails over to the next, and the session completes', async (t) => {
    const seenA: Seen[] = []
    const seenB: Seen[] = []
    const a = await storeServer(store, seenA)
    const b = await storeServer(store, seenB)
    t.teardown(() => b.app.close())
    let closed = false
    const r = await runHttpSession({
      titleId: 'test-title',
      candidates: [a.base, b.base],
      policy: (l) => createAbr('throughput', l),
      trace: constantTrace(2000),
      timeScale: 10,
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

  // hls.js bounds a fragment load (10 s to the first byte, 120 s in all); so does the session, and then fails over
  t.same(
    LOAD_POLICY_DEFAULTS,
    { maxTimeToFirstByteMs: 10_000, maxLoadTimeMs: 120_000, retryDelayMs: 1000, maxRetryDelayMs: 8000 },
    "hls.js's fragLoadPolicy defaults",
  )
  const limits = { timeScale: 1, maxTimeToFirstByteMs: 3000, maxLoadTimeMs: 6000, penaltyMs: 600_000, trace: constantTrace(20_000), audio: false }
  // a test that hangs is a failure too: give up well before tap's timeout
  const bounded = () => AbortSignal.timeout(120_000)

  t.test('an OCA that accepts the connection and never answers: one timeout, then the next candidate', async (t) => {
    const good = await storeServer(store, [])
    t.teardown(() => good.app.close())
    const sockets: Socket[] = []
    const silent = createServer((s) => {
      sockets.push(s)
      s.resume()
    })
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    t.teardown(() => {
      for (const s of sockets) s.destroy()
      silent.close()
    })
    const bad = `http://127.0.0.1:${(silent.address() as { port: number }).port}/titles/test-title/`
    const records: RequestRecord[] = []
    const r = await runHttpSession({
      titleId: 'test-title',
      candidates: [bad, good.base],
      policy: (l) => createAbr('bba', l),
      ...limits,
      signal: bounded(),
      onRequest: (q) => records.push(q),
    })
    t.equal(r.completed, true, 'the session completes')
    t.same(
      records.filter((q) => q.error).map((q) => [q.base, q.kind, q.error]),
      [[bad, 'manifest', 'timeout']],
      'after one timeout on the silent OCA',
    )
    t.equal(r.errors.timeout, 1)
    t.equal(r.failovers, 1)
    t.ok(sockets.length >= 1, 'the silent OCA did accept the connection')
  })

  t.test('an OCA that sends headers and part of a segment, then goes silent: the load times out and fails over', async (t) => {
    const good = await storeServer(store, [])
    t.teardown(() => good.app.close())
    // serves everything but the segments, which stall after their first kilobyte
    const stalled = Fastify({ logger: false, forceCloseConnections: true })
    let stalls = 0
    stalled.addHook('onRequest', async (req, reply) => {
      if (!req.url.endsWith('.m4s')) return
      stalls++
      reply.hijack()
      reply.raw.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '100000' })
      reply.raw.write(Buffer.alloc(1000))
    })
    await stalled.register(fastifyStatic, { root: store, prefix: '/' })
    const bad = `${await stalled.listen({ host: '127.0.0.1', port: 0 })}/titles/test-title/`
    t.teardown(() => stalled.close())
    const records: RequestRecord[] = []
    const r = await runHttpSession({
      titleId: 'test-title',
      candidates: [bad, good.base],
      policy: (l) => createAbr('bba', l),
      ...limits,
      signal: bounded(),
      onRequest: (q) => records.push(q),
    })
    t.equal(r.completed, true, 'the session completes')
    t.equal(stalls, 1, 'one segment request stalled')
    t.same(
      records.filter((q) => q.error).map((q) => [q.base, q.kind, q.error]),
      [[bad, 'segment', 'timeout']],
      'one timeout, on the stalled segment',
    )
    t.equal(r.errors.timeout, 1)
    t.equal(r.metrics.segments, 5, 'every segment played, the stalled one from the next candidate')
  })

  t.test('when every candidate failed lately, the next try waits as hls.js errorRetry does (1 s doubling to 8 s)', async (t) => {
    // one candidate that sheds the first two requests (a node restarting, or overloaded)
    const app = Fastify({ logger: false, forceCloseConnections: true })
    const sent: number[] = []
    app.addHook('onRequest', async (req, reply) => {
      if (!req.url.endsWith('title.json')) return
      sent.push(performance.now())
      if (sent.length <= 2) return reply.code(503).send()
    })
    await app.register(fastifyStatic, { root: store, prefix: '/' })
    const base = `${await app.listen({ host: '127.0.0.1', port: 0 })}/titles/test-title/`
    t.teardown(() => app.close())
    const r = await runHttpSession({
      titleId: 'test-title',
      candidates: [base],
      policy: (l) => createAbr('bba', l),
      trace: constantTrace(20_000),
      timeScale: 2,
      retryDelayMs: 300,
      maxRetryDelayMs: 500,
      audio: false,
    })
    t.equal(r.completed, true, 'the session completes on the third try')
    t.equal(r.errors['http-503'], 2)
    // our own sleeps: 300 then 500 (capped) player ms, halved at timeScale 2; a busy machine only adds to them
    t.ok(
      sent[1]! - sent[0]! >= 150 - 1 && sent[2]! - sent[1]! >= 250 - 1,
      `waited before each retry: ${sent.map((x) => Math.round(x - sent[0]!)).join(', ')} ms`,
    )
  })

  t.test('when every candidate is gone the session is lost, not thrown', async (t) => {
    const seen: Seen[] = []
    const { app, base } = await storeServer(store, seen)
    await app.close()
    const r = await runHttpSession({
      titleId: 'test-title',
      candidates: [base, join(base, 'nope/')],
      policy: (l) => createAbr('bba', l),
      trace: constantTrace(2000),
      timeScale: 10,
      maxAttemptsPerSegment: 3,
      maxTimeToFirstByteMs: 5000,
    })
    t.equal(r.completed, false)
    t.ok(r.errors.connection! >= 3, 'connection errors counted')
  })
})
