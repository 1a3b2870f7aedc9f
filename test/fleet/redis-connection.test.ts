import t from 'tap'
import { clientConnection, oneLine, outageLog, parseQueueUrl, persistenceWarning, workerConnection } from '../../encoder/fleet/redis-connection.js'

t.test('outageLog: the first error at once, then at most one line per interval with a count of the ones in between', async (t) => {
  let now = 0
  const lines: string[] = []
  const log = outageLog(
    'Redis at redis://x:1',
    (l) => lines.push(l),
    10_000,
    () => now,
  )
  const refused = new Error('connect ECONNREFUSED 127.0.0.1:1\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)')
  log(refused)
  for (now = 1000; now < 10_000; now += 1000) log(refused)
  t.same(lines, ['Redis at redis://x:1: connect ECONNREFUSED 127.0.0.1:1'], 'one line, no stack, for the first 10 s')
  now = 10_000
  log(new Error('Command timed out'))
  t.same(lines.slice(1), ['Redis at redis://x:1: Command timed out (+9 more error(s) in the last 10 s)'], 'the next line says how many were left out')
})

t.test("oneLine names a job that Redis lost instead of BullMQ's script error", async (t) => {
  t.equal(
    oneLine(new Error('Missing key for job lost.1a2b3c4d.chunk-00003. moveToFinished')),
    'job lost.1a2b3c4d.chunk-00003 is gone from Redis (restarted without persistence?)',
  )
})

t.test('persistenceWarning: AOF is quiet, snapshots-only and none are warnings, a refused CONFIG says it could not check', async (t) => {
  const d = 'redis://10.0.0.5:6379'
  t.equal(persistenceWarning({ aof: true, save: '' }, d), null)
  t.match(persistenceWarning({ aof: false, save: '' }, d), /has no persistence \(appendonly no, no save rules\): a restart loses every queued title/)
  t.match(persistenceWarning({ aof: false, save: '3600 1 300 100' }, d), /only RDB snapshots \(save 3600 1 300 100\): a restart rolls the queue back/)
  t.match(persistenceWarning(null, d), /could not read the persistence settings/)
})

t.test('every connection profile has a command timeout; blocking ones outlast the longest BullMQ block', async (t) => {
  const target = parseQueueUrl('redis://127.0.0.1:6379')
  const client = clientConnection(target, { connectMs: 1000, commandMs: 2000 })
  const worker = workerConnection(target, { connectMs: 1000, commandMs: 2000 })
  t.equal(client.commandTimeout, 2000)
  t.equal(worker.commandTimeout, 12_000, '10 s (BZPOPMIN / XREAD BLOCK ceiling) + the command timeout')
  t.equal(worker.maxRetriesPerRequest, null, 'BullMQ blocking connections need maxRetriesPerRequest: null')
})
