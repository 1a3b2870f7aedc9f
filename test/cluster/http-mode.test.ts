import t from 'tap'
import { Agent } from 'undici'
import { createAbr } from '../../sim/abr/registry.js'
import { runSession } from '../../sim/engine/engine.js'
import { runHttpSession } from '../../sim/http-player/session.js'
import { waitForSteering } from '../../sim/http-player/steer.js'
import { ladderFromTitle } from '../../sim/manifest/read-title.js'
import { constantTrace } from '../../sim/trace/generators.js'
import { startTestCluster } from '../helpers/cluster.js'
import { tempDir, testPackage } from '../helpers/package.js'

// The whole path a player takes: steering by the client's address, the OCAs
// of its site (filling from the origin on a miss), failover when one dies.
t.test('HTTP-mode sessions through steering to the OCAs of a running cluster', async (t) => {
  const dir = await tempDir(t)
  const { title } = await testPackage(dir, { width: 640, height: 360, duration: 6 })
  const { cluster, sup } = await startTestCluster(t, dir, 3)

  // a client in 127.0.1.0/24 belongs to site-a (oca-1 and oca-3)
  const client = new Agent({ localAddress: '127.0.1.9' })
  t.teardown(() => client.close())
  // steering learns the fleet from its health polls: a first answer may come
  // when it has seen only one OCA
  const answer = await waitForSteering(cluster.steering.url, 'test-title', 2, client).catch(() => null)
  t.ok(answer, 'steering answers')
  t.equal(answer!.client.site, 'site-a', 'the client is located by its source address')
  t.equal(answer!.candidates[0]?.site, 'site-a', 'its own site comes first')
  t.ok(answer!.candidates.length >= 2, 'with at least one fallback')
  const candidates = answer!.candidates.map((c) => c.url)

  // video only on both sides: HTTP mode fetches the audio after its video segment, virtual time beside it
  const ladder = ladderFromTitle(title, title.id, { audio: false })
  const trace = constantTrace(1500)
  const virtual = runSession(ladder, trace, createAbr('throughput', ladder), { record: true })
  const played = await runHttpSession({
    titleId: 'test-title',
    candidates,
    policy: (l) => createAbr('throughput', l),
    trace,
    dispatcher: client,
    record: true,
    audio: false,
  })
  t.equal(played.completed, true, 'the session plays to the end')
  t.same(
    played.timeline!.segments.map((s) => s.rung),
    virtual.timeline!.segments.map((s) => s.rung),
    'with the rungs the virtual-time run chose',
  )
  t.equal(played.failovers, 0)

  // kill the OCA the session plays from, after its second segment
  const first = answer!.candidates[0]!
  let killed = false
  const got = { video: new Set<string>(), audio: new Set<string>(), text: new Set<string>() }
  const again = await runHttpSession({
    titleId: 'test-title',
    candidates,
    policy: (l) => createAbr('bba', l),
    trace: constantTrace(3000),
    timeScale: 4,
    dispatcher: client,
    maxTimeToFirstByteMs: 8000,
    onRequest: (r) => {
      if (r.kind === 'segment' && !r.error) got[r.media!].add(r.url.split('/').pop()!)
      if (!killed && r.kind === 'segment' && r.base === first.url && r.url.includes('seg-00002')) {
        killed = true
        sup.kill(first.id)
      }
    },
  })
  t.ok(killed, `${first.id} was killed mid-session`)
  t.equal(again.completed, true, 'the session still completes')
  t.ok(again.failovers >= 1, `it failed over (${again.failovers})`)
  const others = Object.keys(again.servedBy).filter((u) => u !== first.url)
  t.ok(others.length >= 1, 'another OCA served the rest')
  t.equal(got.audio.size, title.video[0]?.segments.length, 'every audio segment was fetched beside the video')
  t.same([...got.audio].sort(), [...got.video].sort(), 'segment for segment')
  t.ok(
    again.audioBytes > 0 && again.audioBytes < again.metrics.bytesDownloaded,
    `audio bytes counted in what was downloaded (${again.audioBytes} of ${again.metrics.bytesDownloaded})`,
  )
})
