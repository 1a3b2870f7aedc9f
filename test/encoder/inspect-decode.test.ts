import t from 'tap'
import { analyseDecode, cleanLogLine, type DecodeEntry, intervalStats, variableRateReason } from '../../encoder/inspect/inspect-decode.js'

const pkt = (pts: number, flags = '___'): DecodeEntry => ({ type: 'packet', pts_time: pts.toFixed(6), dts_time: 'N/A', flags })
const frame = (t: number, ...logs: string[]): DecodeEntry => ({
  type: 'frame',
  best_effort_timestamp_time: t.toFixed(6),
  ...(logs.length ? { logs: logs.map((message) => ({ context: 'h264', message })) } : {}),
})

t.test('cleanLogLine drops the context address', async (t) => {
  t.equal(cleanLogLine('[h264 @ 0x82cda00] error while decoding MB 0 10, bytestream 1765'), 'h264: error while decoding MB 0 10, bytestream 1765')
  t.equal(cleanLogLine('[NULL @ 0x1eb6cec0] Invalid NAL unit size (3955 > 119).'), 'Invalid NAL unit size (3955 > 119).')
  t.equal(cleanLogLine('  plain message '), 'plain message')
})

t.test('a clean pass yields sorted frame times and no error', async (t) => {
  // decode order I P B: pts 0, 0.08, 0.04
  const r = analyseDecode([pkt(0, 'K__'), pkt(0.08), frame(0), pkt(0.04), frame(0.04), frame(0.08)], '')
  t.same(r.frameTimes, [0, 0.04, 0.08])
  t.equal(r.frameCount, 3)
  t.equal(r.error, undefined)
  const untimed = analyseDecode([pkt(0), frame(0), pkt(0.04), { type: 'frame', best_effort_timestamp_time: 'N/A' }], '')
  t.equal(untimed.frameCount, 2, 'frames without a timestamp still count')
  t.same(untimed.frameTimes, [0])
})

t.test('an error is blamed on the packet being decoded, not the frame leaving the reorder buffer', async (t) => {
  const bad = '[h264 @ 0x1] error while decoding MB 0 10, bytestream 1765'
  const r = analyseDecode([pkt(0.8), frame(0.76), pkt(1.08), frame(0.8, bad), pkt(1.0), frame(0.84, bad)], bad)
  t.same(r.error, { time: 1.08, message: 'h264: error while decoding MB 0 10, bytestream 1765' })
})

t.test('a packet that produced no frame is still the first suspect', async (t) => {
  const r = analyseDecode([pkt(0), frame(0), pkt(0.04), pkt(0.08), frame(0.08, 'concealing 10 DC errors')], '')
  t.equal(r.error?.time, 0.04)
})

t.test('a packet the demuxer flags corrupt is an error even when the decoder says nothing', async (t) => {
  const stderr = '[NULL @ 0x1] Invalid NAL unit size (3955 > 119).\n[mov,mp4,m4a,3gp,3g2,mj2 @ 0x2] stream 0, offset 0x13b9e: partial file\n'
  const r = analyseDecode([pkt(0), frame(0), pkt(1.08, '__C'), frame(0.04)], stderr)
  t.same(r.error, { time: 1.08, message: 'the file is truncated (mov,mp4,m4a,3gp,3g2,mj2: stream 0, offset 0x13b9e: partial file)' })
})

t.test('errors only on stderr are placed just after the last decoded frame', async (t) => {
  const r = analyseDecode([pkt(0), frame(0), pkt(0.04), frame(0.04), pkt(0.08), frame(0.08)], '[matroska,webm @ 0x1] Read error\n')
  t.equal(r.error?.time.toFixed(2), '0.12')
  t.equal(r.error?.message, 'matroska,webm: Read error')
})

const grid = (n: number, step: number) => Array.from({ length: n }, (_, i) => Math.round(i * step * 1000) / 1000)

t.test('constant frame rates pass, including millisecond-rounded 29.97', async (t) => {
  t.equal(variableRateReason(intervalStats(grid(100, 0.04)), 25), undefined)
  const ntsc = grid(300, 1001 / 30000)
  const s = intervalStats(ntsc)
  t.ok(s.min < s.max, 'timestamps really jitter between 33 and 34 ms')
  t.equal(s.irregular, 0)
  t.equal(variableRateReason(s, 30000 / 1001), undefined)
})

t.test('variable spacing and a mismatch with the declared rate are caught', async (t) => {
  const alternating = [0, 0.02, 0.08, 0.1, 0.16, 0.18, 0.24, 0.26, 0.32]
  const s = intervalStats(alternating)
  t.equal(s.count, 8)
  t.match(variableRateReason(s, 25), /variable frame rate: \d+ of 8 frame intervals differ from the median/)
  t.match(variableRateReason(intervalStats(grid(50, 0.02)), 25), /advance at 50\.000 fps but the stream declares 25\.000 fps/)
})

t.test('one irregular interval in 200 is tolerated, three are not', async (t) => {
  const times = grid(201, 0.04)
  const oneGap = times.map((x, i) => (i >= 100 ? x + 0.04 : x))
  t.equal(intervalStats(oneGap).irregular, 1)
  t.equal(variableRateReason(intervalStats(oneGap), 25), undefined)
  const threeGaps = times.map((x, i) => x + (i >= 50 ? 0.04 : 0) + (i >= 100 ? 0.04 : 0) + (i >= 150 ? 0.04 : 0))
  t.match(variableRateReason(intervalStats(threeGaps), 25), /3 of 200/)
})
