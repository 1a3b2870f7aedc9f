import t from 'tap'
import { attributeFaults, type FailedRequest, type FiredFault, faultOf, parseFault, type SessionFaultRecord } from '../../sim/loadtest/faults.js'

// oca-2 fills from oca-1; oca-1 and oca-3 from the origin
const parentOf = (id: string) => (id === 'oca-2' ? 'oca-1' : undefined)
// three overlapping faults: oca-3 slowed from 1 s, oca-1 killed at 2 s, the origin down from 2.5 s to 5.5 s
const fired: FiredFault[] = [
  { fault: parseFault('slow:oca-3=500@1'), t: 1.0 },
  { fault: parseFault('kill:oca-1@2'), t: 2.0 },
  { fault: parseFault('origin-down@2.5+3'), t: 2.5 },
]
const fail = (oca: string, sentAt: number, failedAt: number, reason: string): FailedRequest => ({ oca, sentAt, failedAt, reason })
const session = (failures: FailedRequest[], o: Partial<SessionFaultRecord> = {}): SessionFaultRecord => ({
  failures,
  served: [],
  completed: true,
  rebufferSeconds: 0,
  ...o,
})

t.test('a failed request is charged by where it went, not by when', async (t) => {
  const [SLOW, KILL, ORIGIN, NONE] = [0, 1, 2, -1]
  t.equal(faultOf(fail('oca-1', 2.05, 2.1, 'connection'), fired, parentOf), KILL, 'refused by the killed OCA, inside the origin outage too')
  t.equal(faultOf(fail('oca-1', 1.4, 1.5, 'connection'), fired, parentOf), NONE, 'before the kill: not the kill')
  t.equal(faultOf(fail('oca-3', 3.0, 3.1, 'http-502'), fired, parentOf), ORIGIN, 'a slowed OCA whose fill failed while the origin was down: the outage')
  t.equal(faultOf(fail('oca-3', 3.2, 4.0, 'timeout'), fired, parentOf), SLOW, 'a timeout at the slowed OCA: the slow-down')
  t.equal(faultOf(fail('oca-2', 2.6, 3.0, 'timeout'), fired, parentOf), ORIGIN, 'a healthy OCA waiting on the stopped origin')
  t.equal(faultOf(fail('oca-2', 1.0, 2.2, 'http-502'), fired, parentOf), KILL, "a healthy OCA whose parent was killed: the parent's kill")
  t.equal(faultOf(fail('oca-2', 0.5, 0.8, 'connection'), fired, parentOf), NONE, 'a failure no fault explains')
  t.equal(faultOf({ oca: null, sentAt: 3, failedAt: 3.1, reason: 'connection' }, fired, parentOf), NONE, 'an address that is no OCA')
})

t.test('three overlapping faults: per-fault figures add up to the totals, nothing counted twice', async (t) => {
  const sessions = [
    session([fail('oca-1', 2.05, 2.1, 'connection'), fail('oca-1', 2.25, 2.3, 'connection')], { rebufferSeconds: 1 }),
    // one failure from the outage, one from the slow-down: a tie goes to the earlier fault
    session([fail('oca-3', 3.0, 3.1, 'http-502'), fail('oca-3', 3.2, 4.0, 'timeout')], { completed: false, rebufferSeconds: 2 }),
    session([fail('oca-2', 2.6, 3.0, 'timeout')], { rebufferSeconds: 0.5 }),
    session([fail('oca-2', 1.0, 2.2, 'http-502'), fail('oca-1', 1.4, 1.5, 'connection')]),
    // no failure, but the slowed OCA answered it after the slow-down
    session([], { served: [{ oca: 'oca-3', t: 1.5 }], rebufferSeconds: 0.25 }),
    session([], { served: [{ oca: 'oca-3', t: 0.5 }] }),
    session([fail('oca-2', 0.5, 0.8, 'connection')], { completed: false }),
  ]
  const { faults, unattributed } = attributeFaults(fired, sessions, parentOf)
  t.same(faults, [
    { fault: 'slow:oca-3=500@1', at: 1, sessionsAffected: 2, failovers: 1, stallSeconds: 2.25, sessionsLost: 1 },
    { fault: 'kill:oca-1@2', at: 2, sessionsAffected: 2, failovers: 3, stallSeconds: 1, sessionsLost: 0 },
    { fault: 'origin-down@2.5+3', at: 2.5, sessionsAffected: 1, failovers: 2, stallSeconds: 0.5, sessionsLost: 0 },
  ])
  t.same(unattributed, { sessionsAffected: 1, failovers: 2, stallSeconds: 0, sessionsLost: 1 })
  const sum = (k: 'failovers' | 'sessionsLost' | 'sessionsAffected' | 'stallSeconds') => faults.reduce((a, f) => a + f[k], 0) + unattributed[k]
  t.equal(
    sum('failovers'),
    sessions.reduce((a, s) => a + s.failures.length, 0),
    'every failed request is charged once',
  )
  t.equal(sum('sessionsLost'), sessions.filter((s) => !s.completed).length, 'every lost session once')
  t.equal(sum('sessionsAffected'), 6, 'every session with a failure or a slowed answer once')
  t.equal(sum('stallSeconds'), 3.75, 'no stall counted twice')
})
