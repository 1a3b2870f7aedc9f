import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { FRAGMENT_FLAGS } from '../../encoder/jobs/stitch.js'
import { packageCmaf } from '../../encoder/packager/cmaf.js'
import { ffmpeg } from '../../lib/ffmpeg.js'
import { boxAt, brandBox, children, findBox, looksLikeIsoBmff, readBoxes, readBrands, writeBox, writeFullBox } from '../../lib/media/boxes.js'
import {
  firstSampleFlags,
  NON_SYNC_SAMPLE,
  tfdtTime,
  tfhdBaseDataOffset,
  tfhdDefaults,
  tfhdTrackId,
  trunLayout,
  trunSamples,
} from '../../lib/media/fragment.js'
import { mdhdTimescale, trexDefaults } from '../../lib/media/movie.js'
import { entryCodecs, sampleEntry } from '../../lib/media/sample-entry.js'
import { buildSidx, parseSidx } from '../../lib/media/sidx.js'
import { initTracks, segmentStart } from '../../sim/lint/mp4-probe.js'
import { mediaToolsMissing } from '../helpers/media-tools.js'
import { tempDir } from '../helpers/package.js'

const u32 = (...values: number[]): Buffer => {
  const b = Buffer.alloc(4 * values.length)
  for (const [i, v] of values.entries()) b.writeUInt32BE(v >>> 0, 4 * i)
  return b
}

t.test('boxes written with writeBox read back with the same types, sizes and nesting', async (t) => {
  const mdhd = writeFullBox('mdhd', 0, 0, u32(0, 0, 90000, 180000, 0))
  const moov = writeBox('moov', writeBox('trak', writeBox('mdia', mdhd)), writeBox('free', Buffer.from('pad')))
  const file = Buffer.concat([brandBox('ftyp', 'cmfc', 0, ['iso6', 'cmfc']), moov])
  const top = readBoxes(file)
  t.same(
    top.map((b) => [b.type, b.start, b.size]),
    [
      ['ftyp', 0, 24],
      ['moov', 24, moov.length],
    ],
  )
  t.same(readBrands(file, top[0]!), { major: 'cmfc', minor: 0, compatible: ['iso6', 'cmfc'] })
  t.same(
    children(file, top[1]!).map((b) => b.type),
    ['trak', 'free'],
  )
  const found = findBox(file, ['moov', 'trak', 'mdia', 'mdhd'])!
  t.equal(found.size, mdhd.length)
  t.equal(mdhdTimescale(file, found), 90000, 'version 0 timescale')
  t.equal(findBox(file, ['moov', 'trak', 'minf']), undefined, 'a path that is not there')
  t.equal(findBox(file, ['mdhd'], findBox(file, ['trak'], top[1])), undefined, 'within a box, a path starts at its children')
  t.equal(findBox(file, ['mdia', 'mdhd'], findBox(file, ['moov', 'trak']))!.start, found.start, 'a path inside a box')
  const v1 = writeFullBox('mdhd', 1, 0, Buffer.alloc(16), u32(48000), Buffer.alloc(8))
  t.equal(mdhdTimescale(v1, readBoxes(v1)[0]!), 48000, 'version 1 timescale (64-bit times before it)')
  t.throws(() => writeBox('toolong', Buffer.alloc(0)), /not four characters/)
})

t.test('box headers: largesize, size 0 (to the end), and sizes that lie', async (t) => {
  const large = Buffer.concat([u32(1), Buffer.from('mdat'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 20]), Buffer.from('abcd')])
  t.same(boxAt(large, 0, large.length), { type: 'mdat', start: 0, size: 20, body: 16 })
  const toEnd = Buffer.concat([u32(0), Buffer.from('mdat'), Buffer.alloc(12)])
  t.same(readBoxes(toEnd), [{ type: 'mdat', start: 0, size: 20, body: 8 }])
  t.same(boxAt(toEnd, 0, 1000, 500), { type: 'mdat', start: 500, size: 500, body: 508 }, 'a header read alone from a file gives file offsets')
  t.throws(() => readBoxes(Buffer.concat([u32(100), Buffer.from('moov')])), /box "moov" at 0 has bad size 100/)
  t.throws(() => readBoxes(Buffer.concat([u32(4), Buffer.from('moov')])), /bad size 4/, 'smaller than its own header')
  t.same(readBoxes(Buffer.alloc(7)), [], 'fewer bytes than a header: no box')
})

t.test('looksLikeIsoBmff tells an MP4 head from other bytes', async (t) => {
  t.ok(looksLikeIsoBmff(brandBox('ftyp', 'isom', 0, [])))
  t.ok(looksLikeIsoBmff(Buffer.concat([u32(1), Buffer.from('mdat')])))
  t.notOk(looksLikeIsoBmff(Buffer.from('#EXTM3U\n')))
  t.notOk(looksLikeIsoBmff(Buffer.concat([u32(4), Buffer.from('ftyp')])), 'a size below a header')
  t.notOk(looksLikeIsoBmff(Buffer.from('ftyp')), 'too short')
})

t.test('a hand-built fragment: every optional tfhd and trun field', async (t) => {
  // tfhd flags: base_data_offset, sample_description_index, default duration, size, flags
  const tfhd = writeFullBox('tfhd', 0, 0x01 | 0x02 | 0x08 | 0x10 | 0x20, u32(7), Buffer.from([0, 0, 0, 0, 0, 0, 0x10, 0]), u32(1, 512, 1000, NON_SYNC_SAMPLE))
  const tfdt = writeFullBox('tfdt', 1, 0, Buffer.from([0, 0, 0, 1, 0, 0, 0, 0]))
  // trun v1: data_offset, first_sample_flags, per-sample size and (signed) composition offset
  const trun = writeFullBox('trun', 1, 0x01 | 0x04 | 0x200 | 0x800, u32(2, -8, 0x2000000), u32(300, -512), u32(200, 1024))
  const moof = writeBox('moof', writeBox('traf', tfhd, tfdt, trun))
  const box = (type: string) => findBox(moof, ['moof', 'traf', type])!
  t.equal(tfhdTrackId(moof, box('tfhd')), 7)
  t.equal(tfhdBaseDataOffset(moof, box('tfhd')), 4096)
  const defaults = tfhdDefaults(moof, box('tfhd'), trexDefaults(moof, undefined))
  t.same(defaults, { duration: 512, size: 1000, flags: NON_SYNC_SAMPLE })
  t.equal(tfdtTime(moof, box('tfdt')), 2 ** 32, 'version 1 tfdt is 64-bit')
  const layout = trunLayout(moof, box('trun'))
  t.match(layout, { version: 1, count: 2, dataOffset: -8, firstSampleFlags: 0x2000000, stride: 8, ctsAt: 4 })
  const samples = trunSamples(moof, box('trun'), defaults)
  t.same(samples, [
    { duration: 512, size: 300, compositionOffset: -512 },
    { duration: 512, size: 200, compositionOffset: 1024 },
  ])
  t.equal(firstSampleFlags(layout, samples, defaults), 0x2000000, 'first_sample_flags wins over the defaults')
  t.equal(firstSampleFlags({ ...layout, firstSampleFlags: undefined }, samples, defaults), NON_SYNC_SAMPLE, 'else the defaults')
  const short = writeFullBox('trun', 0, 0x200, u32(5), u32(1))
  t.throws(() => trunLayout(short, readBoxes(short)[0]!), /lists 5 samples but is 20 bytes/)
  const noTfhdOffset = writeFullBox('tfhd', 0, 0, u32(1))
  t.equal(tfhdBaseDataOffset(noTfhdOffset, readBoxes(noTfhdOffset)[0]!), undefined)
})

t.test('sidx: built and parsed back; every way an index range can be wrong', async (t) => {
  const sidx = buildSidx(1000, [
    { bytes: 1500, ticks: 4000 },
    { bytes: 700, ticks: 2000 },
  ])
  t.same(parseSidx(sidx), [
    { bytes: 1500, duration: 4 },
    { bytes: 700, duration: 2 },
  ])
  t.same(
    readBoxes(sidx).map((b) => [b.type, b.size]),
    [['sidx', 56]],
    'one box, as the box layer reads it',
  )
  t.same(parseSidx(Buffer.concat([sidx, Buffer.from('trailing moof')])), parseSidx(sidx), 'bytes after the box are not read')
  t.equal(parseSidx(sidx.subarray(0, 10)), 'the index range is too short for a sidx box')
  t.equal(parseSidx(writeBox('moof', Buffer.alloc(8))), 'the index range holds a "moof" box, not "sidx"')
  t.equal(parseSidx(sidx.subarray(0, 40)), 'the sidx box says 56 bytes but the index range has 40')
  const shrunk = Buffer.from(sidx.subarray(0, 40))
  shrunk.writeUInt32BE(40, 0)
  t.equal(parseSidx(shrunk), 'the sidx box is truncated', 'a count the box has no room for')
  t.equal(parseSidx(writeFullBox('sidx', 0, 0, u32(1))), 'the sidx box is truncated', 'no timescale')
  t.equal(parseSidx(writeFullBox('sidx', 0, 0, u32(1, 1000, 0, 0))), 'the sidx box is truncated', 'no reference_count')
  const large = Buffer.concat([u32(1), Buffer.from('sidx'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 4])])
  t.equal(parseSidx(large), 'the sidx box has a bad size')
  t.equal(parseSidx(buildSidx(0, [{ bytes: 1, ticks: 1 }])), 'the sidx box has timescale 0')
  t.equal(parseSidx(buildSidx(1000, [])), 'the sidx box lists no subsegments')
  const hierarchical = Buffer.from(sidx)
  hierarchical.writeUInt32BE((0x80000000 | 1500) >>> 0, 32)
  t.equal(parseSidx(hierarchical), 'hierarchical sidx (references to other index boxes) is not supported')
  const v1 = writeFullBox('sidx', 1, 0, u32(1, 90000, 0, 0, 0, 0, 1, 4000, 180000, 0x90000000))
  t.same(parseSidx(v1), [{ bytes: 4000, duration: 2 }], 'version 1: 64-bit times')
})

t.test('real bytes: ffmpeg fragments, packaged as CMAF, read back through the one box layer', { skip: mediaToolsMissing() }, async (t) => {
  const dir = await tempDir(t)
  const frag = join(dir, 'v.frag.mp4')
  // 2 s at 10 fps, IDR every 5 frames (four fragments), B-frames so the packager has a reorder delay to remove
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=96x64:rate=10:duration=2',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-bf',
    '2',
    '-g',
    '5',
    '-keyint_min',
    '5',
    '-sc_threshold',
    '0',
    '-threads',
    '1',
    ...FRAGMENT_FLAGS,
    frag,
  ])
  const audio = join(dir, 'a.frag.mp4')
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000:duration=2',
    '-c:a',
    'aac',
    '-b:a',
    '64k',
    '-frag_duration',
    '1000000',
    ...FRAGMENT_FLAGS,
    audio,
  ])

  const video = await packageCmaf({ input: frag, outDir: join(dir, 'v'), uriPrefix: 'v', video: true })
  t.equal(video.timescale, 10240, "ffmpeg's mp4 muxer timescale for 10 fps")
  t.match(video.codecs, /^avc1\.64[0-9a-f]{4}$/, 'High profile from avcC')
  t.equal(video.segments.length, 4)
  t.same(
    video.segments.map((s) => s.samples),
    [5, 5, 5, 5],
  )

  const init = await readFile(join(dir, 'v', 'init.mp4'))
  const top = readBoxes(init)
  t.same(
    top.map((b) => b.type),
    ['ftyp', 'moov'],
    'init: a fresh ftyp then the moov',
  )
  t.same(readBrands(init, top[0]!), { major: 'cmfc', minor: 0, compatible: ['iso6', 'cmfc', 'dash', 'mp41'] })
  const stsd = findBox(init, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd'])!
  t.same(entryCodecs(init, sampleEntry(init, stsd)), { codecs: video.codecs, nalLengthSize: 4 })
  const [track] = initTracks(init)
  t.match(track, { id: 1, handler: 'vide', entry: 'avc1', codecs: video.codecs, nalLengthSize: 4 }, 'the linter reads the same init segment alike')

  let expected = 0
  for (const seg of video.segments) {
    const bytes = await readFile(join(dir, seg.uri))
    const boxes = readBoxes(bytes)
    t.same(
      boxes.map((b) => b.type),
      ['styp', 'moof', 'mdat'],
      `${seg.uri}: styp, moof, mdat`,
    )
    t.equal(readBrands(bytes, boxes[0]!).major, 'msdh')
    const traf = findBox(bytes, ['traf'], boxes[1])!
    t.equal(tfdtTime(bytes, findBox(bytes, ['tfdt'], traf)!), expected, `${seg.uri} starts where the previous ended`)
    expected += seg.durationTicks
    const trun = findBox(bytes, ['trun'], traf)!
    const samples = trunSamples(bytes, trun, tfhdDefaults(bytes, findBox(bytes, ['tfhd'], traf)!, track!.defaults))
    t.equal(trunLayout(bytes, trun).version, 1, 'signed composition offsets')
    t.equal(samples[0]?.compositionOffset, 0, 'the reorder delay is gone: the first frame is presented at the segment start')
    t.same(segmentStart(bytes, track!), { kind: 'fmp4', sync: true, picture: 'idr' }, `${seg.uri} starts with an IDR`)
  }
  t.equal(expected, 2 * 10240, 'the segments cover the 2 s')

  const sound = await packageCmaf({ input: audio, outDir: join(dir, 'a'), uriPrefix: 'a', video: false })
  t.equal(sound.codecs, 'mp4a.40.2', 'AAC-LC from esds')
  t.equal(sound.timescale, 48000)
  const audioInit = await readFile(join(dir, 'a', 'init.mp4'))
  t.match(initTracks(audioInit), [{ handler: 'soun', entry: 'mp4a', codecs: 'mp4a.40.2' }])
  t.notOk('nalLengthSize' in initTracks(audioInit)[0]!)
})

t.test('packageCmaf refuses a file with no fragments and a file whose box sizes lie', async (t) => {
  const dir = await tempDir(t)
  const { writeFile } = await import('node:fs/promises')
  const plain = join(dir, 'plain.mp4')
  await writeFile(plain, Buffer.concat([brandBox('ftyp', 'isom', 0, []), writeBox('moov', writeBox('trak'))]))
  await t.rejects(packageCmaf({ input: plain, outDir: join(dir, 'out'), uriPrefix: 'x', video: false }), /no mdhd/)
  const lying = join(dir, 'lying.mp4')
  await writeFile(lying, Buffer.concat([brandBox('ftyp', 'isom', 0, []), u32(1000), Buffer.from('moov')]))
  await t.rejects(packageCmaf({ input: lying, outDir: join(dir, 'out'), uriPrefix: 'x', video: false }), /box "moov" at 16 has bad size 1000/)
})
