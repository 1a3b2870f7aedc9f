import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { parseCookedTrace } from '../../sim/trace/cooked.js'
import { parseCsvTrace } from '../../sim/trace/csv.js'
import { parseJsonTrace } from '../../sim/trace/json.js'
import { parseMahimahiTrace } from '../../sim/trace/mahimahi.js'
import { loadTraceSet, parseTrace, readTraceFile } from '../../sim/trace/read.js'
import { TRACES } from './helpers.js'

const traceFiles = async (dir: string) => (await readdir(join(TRACES, dir))).filter((f) => !/^(readme|license)/i.test(f)).map((f) => join(TRACES, dir, f))

t.test('every real Mahimahi trace parses, at the rate its packets imply', async (t) => {
  const files = await traceFiles('mahimahi')
  t.equal(files.length, 5)
  for (const f of files) {
    const text = await readFile(f, 'utf8')
    const stamps = text.trim().split('\n').map(Number)
    const tr = parseMahimahiTrace(f, text)
    const last = stamps[stamps.length - 1]!
    t.equal(tr.duration, last / 1000, `${f}: loops at its last timestamp`)
    // Every line is one 1500-byte packet within one loop.
    t.ok(Math.abs(tr.bytesPerLoop / (stamps.length * 1500) - 1) < 1e-9, `${f}: ${stamps.length} packets`)
  }
})

t.test('Mahimahi semantics: a file holding "1" is one packet per ms (12 Mbit/s)', async (t) => {
  const tr = parseMahimahiTrace('one', '1\n')
  t.equal(tr.meanThroughput, 12e6)
  const two = parseMahimahiTrace('burst', '0\n0\n0\n4\n')
  // 3 packets in ms 0, idle 1–3, and the packet at 4 ms wraps to ms 0 of the next loop.
  t.equal(two.duration, 0.004)
  t.equal(two.bytesPerLoop, 4 * 1500)
  t.equal(two.downloadFinishTime(0, 6000), 0.001)
  t.equal(two.downloadFinishTime(0, 6001), 0.004 + 1 / 6e6)
})

t.test('every real cooked trace parses and matches the JSON log it was converted from', async (t) => {
  const files = await traceFiles('cooked')
  t.equal(files.length, 12)
  for (const f of files) {
    const cooked = await readTraceFile(f)
    const stamp = /norway_(.*)\.txt$/.exec(f)![1]
    const json = await readTraceFile(join(TRACES, 'norway-3g', `report.${stamp}.json`))
    const rel = Math.abs(cooked.meanThroughput - json.meanThroughput) / json.meanThroughput
    t.ok(rel < 0.02, `${stamp}: cooked ${cooked.meanThroughput.toFixed(0)} vs JSON ${json.meanThroughput.toFixed(0)} bit/s`)
    t.equal(cooked.throughputAt(0), json.throughputAt(0))
  }
})

t.test('every real JSON (Sabre) trace parses with its per-period latency', async (t) => {
  const set = await loadTraceSet(join(TRACES, 'norway-3g'))
  t.equal(set.traces.length, 86, 'every log, not the LICENSE')
  for (const tr of set.traces) {
    t.ok(tr.duration > 60 && tr.meanThroughput > 0, tr.name)
    t.equal(tr.latencyAt(0), 0.1, `${tr.name}: latency_ms 100`)
  }
  const first = parseJsonTrace(
    'x',
    '[{"duration_ms": 1013, "bandwidth_kbps": 1285, "latency_ms": 100}, {"duration_ms": 500, "bandwidth_kbps": 0, "latency_ms": 20}]',
  )
  t.equal(first.duration, 1.513)
  t.equal(first.throughputAt(1), 1285000)
  t.equal(first.latencyAt(1.2), 0.02)
})

t.test('CSV time,kbps parses (header optional) and equals the same samples in cooked form', async (t) => {
  const cookedFile = (await traceFiles('cooked'))[0]!
  const text = await readFile(cookedFile, 'utf8')
  const csv = `time,kbps\n${text
    .trim()
    .split('\n')
    .map((l) => {
      const [s, m] = l.split('\t')
      return `${s},${Number(m) * 1000}`
    })
    .join('\n')}`
  const a = parseCookedTrace('c', text)
  const b = parseCsvTrace('c.csv', csv)
  t.equal(b.starts.length, a.starts.length)
  t.ok(Math.abs(a.bytesPerLoop - b.bytesPerLoop) / a.bytesPerLoop < 1e-12)
  t.equal(parseCsvTrace('n', '0,1000\n2,3000\n').duration, 4, 'the last sample holds for the previous interval')
  t.equal(parseTrace('x.csv', '0,500\n').meanThroughput, 500e3)
})

t.test('bad traces are rejected with the line number', async (t) => {
  const E = 'OCLAB_ERR_BAD_TRACE'
  t.throws(() => parseCookedTrace('c', '\n\n'), { code: E, message: /empty/ })
  t.throws(() => parseCookedTrace('c', '0\t1.0\n1\tabc\n'), { code: E, message: /line 2: .*"abc" is not a number/ })
  t.throws(() => parseCookedTrace('c', '0\t1.0\n1\t-2\n'), { code: E, message: /line 2: .*negative/ })
  t.throws(() => parseCookedTrace('c', '0\t1\n2\t1\n\n1\t1\n'), { code: E, message: /line 4: .*must increase/ })
  t.throws(() => parseCsvTrace('v', 'time,kbps\n0,100\n1,x\n'), { code: E, message: /line 3/ })
  t.throws(() => parseCsvTrace('v', '0,100\n-1,100\n'), { code: E, message: /line 2: .*negative/ })
  t.throws(() => parseMahimahiTrace('m', ''), { code: E, message: /empty/ })
  t.throws(() => parseMahimahiTrace('m', '0\n5\n3\n'), { code: E, message: /line 3: .*must not decrease/ })
  t.throws(() => parseMahimahiTrace('m', '0\n1.5\n'), { code: E, message: /line 2: .*whole number/ })
  t.throws(() => parseMahimahiTrace('m', '0\nfoo\n'), { code: E, message: /line 2/ })
  t.throws(() => parseMahimahiTrace('m', '0\n-4\n'), { code: E, message: /line 2: .*negative/ })
  t.throws(() => parseMahimahiTrace('m', '0\n0\n'), { code: E, message: /last timestamp must be positive/ })
  t.throws(() => parseJsonTrace('j', '[]'), { code: E, message: /empty/ })
  t.throws(() => parseJsonTrace('j', '{"a":1}'), { code: E, message: /array/ })
  t.throws(
    () =>
      parseJsonTrace(
        'j',
        '[\n  {"duration_ms": 1000, "bandwidth_kbps": 100, "latency_ms": 10},\n  {"duration_ms": 1000, "bandwidth_kbps": -5, "latency_ms": 10}\n]',
      ),
    { code: E, message: /line 3: period 2: bandwidth_kbps -5/ },
  )
  t.throws(() => parseJsonTrace('j', '[{"duration_ms": "x", "bandwidth_kbps": 1, "latency_ms": 1}]'), { code: E, message: /line 1: period 1: duration_ms/ })
  t.throws(() => parseJsonTrace('j', '[{"duration_ms": 1,'), { code: E, message: /not JSON/ })
  await t.rejects(loadTraceSet('/nonexistent/trace'), { code: E, message: /neither a file/ })
})

t.test('values no network has are refused, not turned into Infinity or NaN (issue 15)', async (t) => {
  const E = 'OCLAB_ERR_BAD_TRACE'
  // 1e305 Mbit/s × 1e6 overflows to Infinity: before the check, a report said "mean Infinity Mbit/s" and QoE NaN.
  t.throws(() => parseCookedTrace('c', '0\t1e305\n1\t5\n'), {
    code: E,
    message: /c: the period starting at 0 s has throughput Infinity bit\/s \(must be 0 to 100 Gbit\/s\)/,
  })
  t.throws(() => parseCsvTrace('v', 'time,kbps\n0,100\n1,2e8\n'), { code: E, message: /starting at 1 s has throughput 200 Gbit\/s/ })
  t.throws(() => parseCookedTrace('c', '0\t5\n1e308\t5\n'), { code: E, message: /lasts Infinity s, more than the 604800 s/ })
  t.throws(() => parseJsonTrace('j', '[{"duration_ms": 1e12, "bandwidth_kbps": 5000, "latency_ms": 10}]'), { code: E, message: /lasts 1000000000 s/ })
  t.throws(() => parseJsonTrace('j', '[{"duration_ms": 1000, "bandwidth_kbps": 5000, "latency_ms": 1e9}]'), {
    code: E,
    message: /latency 1000000 s \(must be 0 to 60 s\)/,
  })
  t.throws(() => parseMahimahiTrace('m', '0\n1\n1e300\n'), { code: E, message: /lasts 1e\+297 s/ })
  t.throws(() => parseCookedTrace('g', '0\t1e400\n'), { code: E, message: /g: line 1: .*"1e400" is not a number/ }, 'line-level checks still come first')
  t.equal(parseCsvTrace('ok', '0,1e8\n').meanThroughput, 100e9, 'exactly 100 Gbit/s is allowed')
})

t.test('trace files over the input limit are refused before they are parsed', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'oclab-trace-limit-'))
  const file = join(dir, 'big.txt')
  await writeFile(file, Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(3, '0')}\t5\n`).join(''))
  await t.rejects(readTraceFile(file, undefined, 5999), {
    code: 'OCLAB_ERR_INPUT_TOO_LARGE',
    message: /big\.txt \(6000 bytes\) is larger than the input limit of 5999 bytes/,
  })
  t.equal((await readTraceFile(file, undefined, 6000)).meanThroughput, 5e6, 'a file exactly at the limit is read')
  await t.rejects(loadTraceSet(dir, { maxInputBytes: 100 }), { code: 'OCLAB_ERR_INPUT_TOO_LARGE' }, 'the limit reaches every file of a folder')
  // A device has no size to check up front: the read itself stops at the limit.
  await t.rejects(readTraceFile('/dev/zero', undefined, 1 << 16), {
    code: 'OCLAB_ERR_INPUT_TOO_LARGE',
    message: /\/dev\/zero is larger than the input limit of 65536 bytes/,
  })
})
