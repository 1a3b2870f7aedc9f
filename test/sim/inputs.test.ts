import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { parseSetting, resolveParams } from '../../sim/abr/params.js'
import { syntheticLadder } from '../../sim/manifest/ladder.js'
import { loadLadder } from '../../sim/manifest/read-ladder.js'
import { ladderFromSabreMovie, sabreMovieFromLadder } from '../../sim/manifest/read-sabre-movie.js'
import { loadTraceSet, readTraceFile, scaleTrace } from '../../sim/trace/read.js'
import { oclab } from '../helpers/cli.js'
import { TRACES } from './helpers.js'

const FIXTURE = fileURLToPath(new URL('../fixtures/sim/encode-movie.json', import.meta.url))

async function tempDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'oclab-sim-inputs-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('a trace folder with bad files names every one at once, or skips them with a warning', async (t) => {
  const dir = await tempDir(t)
  const good = join(TRACES, 'cooked', 'norway_2010-09-13_1003CEST.txt')
  await copyFile(good, join(dir, 'a-good.txt'))
  await writeFile(join(dir, 'b-bad.txt'), '0.0\t1.2\n1.0\tfast\n')
  await writeFile(join(dir, 'c-bad.json'), '[{"duration_ms": 1000}')
  await t.rejects(loadTraceSet(dir), { code: 'OCLAB_ERR_BAD_TRACE', message: /2 of 3 files are not valid traces[\s\S]*b-bad\.txt: line 2[\s\S]*c-bad\.json/ })
  const warnings: string[] = []
  const set = await loadTraceSet(dir, { skipBad: true, onWarning: (m) => warnings.push(m) })
  t.equal(set.traces.length, 1)
  t.equal(warnings.length, 2)
  t.match(warnings.join('\n'), /b-bad\.txt[\s\S]*c-bad\.json/)
  await writeFile(join(dir, 'a-good.txt'), 'nonsense here\n')
  await t.rejects(loadTraceSet(dir, { skipBad: true }), { code: 'OCLAB_ERR_BAD_TRACE', message: /none of its 3 files/ })
})

t.test('--trace-scale multiplies throughput and keeps latency', async (t) => {
  const file = join(TRACES, 'norway-3g', 'report.2010-09-13_1003CEST.json')
  const raw = await readTraceFile(file)
  const half = (await loadTraceSet(file, { scale: 0.5 })).traces[0]!
  t.ok(Math.abs(half.meanThroughput - raw.meanThroughput / 2) < 1e-6 * raw.meanThroughput)
  t.equal(half.latencyAt(3), raw.latencyAt(3))
  t.equal(half.downloadFinishTime(0, 1e5), scaleTrace(raw, 0.5).downloadFinishTime(0, 1e5))
  await t.rejects(loadTraceSet(file, { scale: 0 }), { code: 'OCLAB_ERR_BAD_CONFIG' })
})

t.test('a Sabre movie file is a ladder wherever a title is', async (t) => {
  const ladder = await loadLadder(FIXTURE)
  t.equal(ladder.source, 'sabre')
  t.equal(ladder.rungs.length, 7)
  t.equal(ladder.segmentDuration, 3)
  t.equal(ladder.rungs[0]?.bytes[0], 482752 / 8)
  const synth = syntheticLadder({ bitrates: [1e6, 2e6], segmentDuration: 2, segments: 3, variation: 0.2, random: () => 0.3 })
  const back = ladderFromSabreMovie(sabreMovieFromLadder(synth), 'x')
  t.same(Array.from(back.rungs[1]!.bytes), Array.from(synth.rungs[1]!.bytes), 'sizes survive the round trip')
  t.throws(() => ladderFromSabreMovie({ segment_duration_ms: 3000, bitrates_kbps: [100, 200], segment_sizes_bits: [[1, 2], [3]] }, 'm.json'), {
    code: 'OCLAB_ERR_BAD_TITLE',
    message: /segment_sizes_bits\[1\] must list one size per bitrate/,
  })
  t.throws(() => ladderFromSabreMovie({ segment_duration_ms: -1, bitrates_kbps: [100], segment_sizes_bits: [[1]] }, 'm.json'), { code: 'OCLAB_ERR_BAD_TITLE' })
})

t.test('profiles and --set: every parameter from the table, checked', async (t) => {
  const ladder = syntheticLadder({ bitrates: [1e6, 2e6], segmentDuration: 4, segments: 3 })
  t.equal(resolveParams('throughput', ladder, 'hlsjs').variant, 'hlsjs')
  t.equal(resolveParams('throughput', ladder, 'sabre').startBitrate, 0)
  t.equal(resolveParams('throughput', ladder, 'dashjs').estimator, 'ewma', 'dash.js 5.2.1 averageCalculationMode EWMA')
  t.equal(resolveParams('throughput', ladder, 'dashjs').ewmaWeight, 1.5, 'dash.js 5.2.1 weightDownloadTimeMultiplicationFactor 0.0015 per ms')
  t.equal(resolveParams('throughput', ladder, 'sabre').latencyFast, 3 / 4, "Sabre's latency half-life: 3 s ÷ segment duration")
  t.equal(resolveParams('bola', ladder, 'sabre', { gammaP: '4' }).gammaP, 4)
  t.throws(() => resolveParams('bola', ladder, 'sabre', { nope: 1 }), { code: 'OCLAB_ERR_BAD_CONFIG' })
  t.throws(() => resolveParams('bola', ladder, 'sabre', { variant: 'x' }), { code: 'OCLAB_ERR_BAD_CONFIG', message: /one of u, o, basic/ })
  t.throws(() => resolveParams('bola', ladder, 'sabre', { gammaP: 'abc' }), { code: 'OCLAB_ERR_BAD_CONFIG' })
  t.same(parseSetting('bola.gammaP=4'), { algorithm: 'bola', name: 'gammaP', value: '4' })
  t.throws(() => parseSetting('gammaP=4'), { code: 'OCLAB_ERR_USAGE' })
})

t.test('oclab sim: --profile, --set, --trace-scale, a Sabre movie, and sim params', async (t) => {
  const base = ['sim', '--title', FIXTURE, '--trace', join(TRACES, 'norway-3g', 'report.2010-09-13_1003CEST.json'), '--abr', 'bola,throughput', '--json']
  const sabre = await oclab([...base, '--profile', 'sabre', '--trace-scale', '0.5'])
  t.equal(sabre.code, 0, sabre.err)
  const parsed = JSON.parse(sabre.out) as { traceSets: Array<{ name: string }>; cells: Array<{ algorithm: string }> }
  t.match(parsed.traceSets[0]?.name, /×0\.5/)
  t.equal(parsed.cells.length, 2)
  const hls = await oclab([...base, '--profile', 'hlsjs', '--set', 'throughput.abrBandWidthUpFactor=0.9'])
  t.equal(hls.code, 0, hls.err)
  const bad = await oclab([...base, '--set', 'bola.nope=1'])
  t.equal(bad.code, 2)
  t.match(bad.err, /bola has no parameter "nope"/)
  const badProfile = await oclab([...base, '--profile', 'exoplayer'])
  t.equal(badProfile.code, 2)
  const params = await oclab(['sim', 'params', 'bolae'])
  t.equal(params.code, 0, params.err)
  t.match(params.out, /bolae\.placeholderDecay: sabre 1 · dashjs 0\.99 · hlsjs 1/)
  t.match(params.out, /PLACEHOLDER_BUFFER_DECAY/)
})
