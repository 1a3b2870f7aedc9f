import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { pidAlive } from '../../lib/cluster-control.js'
import { freePort } from '../../lib/free-port.js'
import { type ChildSpec, exitIsFailure, RESTART_DEFAULTS, restartDelay, Supervisor } from '../../lib/supervisor.js'
import { until } from '../helpers/until.js'

const node = (name: string, script: string, port: number): ChildSpec => ({
  name,
  command: process.execPath,
  args: ['-e', script],
  healthUrl: `http://127.0.0.1:${port}/health`,
})
/** a server that answers /health with `status` */
const server = (port: number, status: number) =>
  `require('node:http').createServer((q, s) => { s.statusCode = ${status}; s.end() }).listen(${port}, '127.0.0.1')`

t.test('Restart=on-failure: which exits restart, and the backoff doubles to its cap', async (t) => {
  t.equal(exitIsFailure(0, null), false, 'exit 0 (a drained OCA) stays down')
  t.equal(exitIsFailure(1, null), true)
  t.equal(exitIsFailure(null, 'SIGKILL'), true, 'a kill is a failure')
  t.equal(exitIsFailure(null, 'SIGSEGV'), true)
  t.equal(exitIsFailure(null, 'SIGTERM'), false, "SIGTERM is one of systemd's clean signals")
  const p = { restartDelayMs: 100, restartMaxDelayMs: 1000 }
  t.same(
    [1, 2, 3, 4, 5, 6].map((n) => restartDelay(p, n)),
    [100, 200, 400, 800, 1000, 1000],
  )
  t.same(
    RESTART_DEFAULTS,
    { restart: 'on-failure', restartDelayMs: 100, restartMaxDelayMs: 10_000, startLimitBurst: 5, startLimitIntervalMs: 10_000 },
    "systemd's defaults",
  )
})

t.test('a child that crashes at start is restarted until the start limit, then given up on and reported', async (t) => {
  const lines: string[] = []
  const changes: string[] = []
  // a long interval: on a loaded machine five node start-ups can take longer than systemd's 10 s
  const sup = new Supervisor({
    log: (l) => lines.push(l),
    readyTimeoutMs: 300_000,
    restart: { restartDelayMs: 10, startLimitBurst: 4, startLimitIntervalMs: 600_000 },
    onChange: (c) => changes.push(c.state),
  })
  t.teardown(() => sup.stop())
  const port = await freePort()
  await t.rejects(sup.start([node('crasher', "console.error('cannot open the store'); process.exit(3)", port)]), {
    code: 'OCLAB_ERR_CHILD_FAILED',
    message: /crasher exited \(exit 3\) after 4 starts within 600 s \(start limit 4\): given up[\s\S]*cannot open the store/,
  })
  const [st] = sup.status()
  t.equal(st!.state, 'failed')
  t.equal(st!.restarts, 3, 'three restarts after the first start')
  t.same(st!.lastExit && { code: st!.lastExit.code, signal: st!.lastExit.signal }, { code: 3, signal: null })
  t.equal(lines.filter((l) => /crasher exited unexpectedly \(exit 3\); restart \d in \d+ ms/.test(l)).length, 3, 'each restart is logged')
  t.ok(
    lines.some((l) => /^\[supervisor\s*\] crasher exited .* given up, left failed$/.test(l)),
    'and the giving up',
  )
  t.same(
    lines.filter((l) => /restart \d in/.test(l)).map((l) => Number(/in (\d+) ms/.exec(l)![1])),
    [10, 20, 40],
    'with exponential backoff',
  )
  t.equal(changes.at(-1), 'failed', 'the status callback hears it')
})

t.test('readiness waits for every /health to answer 200, and the deadline is an option', async (t) => {
  // the health answers come from servers in this process, up before the children start, so
  // what they say does not depend on how fast a busy machine starts a child
  const answering = async (status: number) => {
    const srv = createServer((_q, s) => {
      s.statusCode = status
      s.end()
    })
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    t.teardown(() => srv.close())
    return (srv.address() as AddressInfo).port
  }
  const [good, sick] = [await answering(200), await answering(503)]
  const idle = 'setInterval(() => {}, 60_000)'
  const sup = new Supervisor({ log: () => {}, readyTimeoutMs: 1500 })
  t.teardown(() => sup.stop())
  await t.rejects(sup.start([node('good', idle, good), node('sick', idle, sick)]), {
    code: 'OCLAB_ERR_NOT_READY',
    message: /^not every server answered \/health with 200 within 1\.5 s: sick \(HTTP 503\)$/,
  })
  const pids = [...sup.children.values()].map((c) => c.process.pid!)
  t.same(pids.filter(pidAlive), [], 'what started is stopped')
  t.same(
    sup.status().map((c) => c.state),
    ['stopped', 'stopped'],
  )
})

t.test('a SIGKILLed child comes back healthy under a new PID; exit 0 stays down; stop leaves no process', async (t) => {
  const lines: string[] = []
  const sup = new Supervisor({ log: (l) => lines.push(l), readyTimeoutMs: 120_000, stopGraceMs: 3000 })
  t.teardown(() => sup.stop())
  const [a, b] = [await freePort(), await freePort()]
  await sup.start([node('a', server(a, 200), a), node('b', `${server(b, 200)}; process.on('SIGTERM', () => process.exit(0))`, b)])
  const first = sup.children.get('a')!.process.pid!
  sup.kill('a')
  const back = await until(async () => sup.status().find((c) => c.name === 'a' && c.state === 'running' && c.pid !== first), 'a to be running again', 1200, 100)
  t.equal(back.restarts, 1, 'one restart counted')
  t.equal(back.lastExit!.signal, 'SIGKILL')
  t.notOk(pidAlive(first), 'the old process is gone')
  const res = await fetch(`http://127.0.0.1:${a}/health`)
  t.equal(res.status, 200, 'and the new one answers')
  t.ok(
    lines.some((l) => /a exited unexpectedly \(SIGKILL\); restart 1 in 100 ms/.test(l)),
    'the restart is logged',
  )
  t.ok(lines.some((l) => /a healthy again, pid \d+ \(1 restart so far\)/.test(l)))

  sup.kill('b', 'SIGTERM')
  await sup.children.get('b')!.exited
  t.equal(sup.status().find((c) => c.name === 'b')!.state, 'exited', 'a clean exit is not restarted')
  const pids = [...sup.children.values()].map((c) => c.process.pid!)
  await sup.stop()
  t.same(pids.filter(pidAlive), [], 'stop leaves no process')
  await sup.settled()
})
