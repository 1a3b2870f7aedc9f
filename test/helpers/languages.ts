import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { sha256 } from '../../lib/hash.js'
import type { AudioRendition, FileEntry, TextRendition, TextSegment, Title } from '../../lib/title-package.js'

/**
 * Turn a real package our encoder wrote (one audio rendition, no subtitles)
 * into what the version 3 contract describes for two audio languages and a
 * subtitle rendition (docs/ARCHITECTURE.md, issue 20 §4): `audio-en` and
 * `audio-fr` (the encoded audio's files, copied: the readers under test care
 * about ids, languages and listed bytes, not about what the tones sound
 * like), `text-en/` with one WebVTT segment per video segment on the same
 * grid, its media playlist and `full.vtt`, the multivariant playlist and MPD
 * written the way the contract says, and title.json at version 3 listing it
 * all. Until the packager writes such packages itself (another branch), the
 * readers' tests build them with this.
 */
export interface LanguagesOptions {
  /** the subtitle rendition's language (default 'en') */
  textLanguage?: string
  /** MPEGTS value of every segment's X-TIMESTAMP-MAP (default 0: our CMAF media timeline starts at tfdt 0) */
  mpegts?: number
}

const vttTime = (s: number): string => {
  const ms = Math.round(s * 1000)
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor(ms / 60_000) % 60
  const sec = Math.floor(ms / 1000) % 60
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}.${String(ms % 1000).padStart(3, '0')}`
}

/** One cue per video segment, 0.1 s into it and 0.5 s long, plus one that spans the first boundary (so it repeats). */
export function testCues(segments: ReadonlyArray<{ start: number; duration: number }>): Array<{ start: number; end: number; text: string }> {
  const cues = segments.map((s, i) => ({ start: s.start + 0.1, end: s.start + 0.6, text: `Line ${i + 1}` }))
  if (segments.length > 1) cues.push({ start: segments[1]!.start - 0.2, end: segments[1]!.start + 0.2, text: 'Across' })
  return cues.sort((a, b) => a.start - b.start)
}

const entry = (path: string, body: Buffer | string): FileEntry => {
  const bytes = Buffer.from(body)
  return { path, bytes: bytes.length, sha256: sha256(bytes) }
}

/** Rewrite one audio rendition's paths from its old directory to a new one. */
function moveAudio(a: AudioRendition, id: string, language: string, name: string): AudioRendition {
  const re = (p: string) => `${id}/${p.slice(a.id.length + 1)}`
  return {
    ...a,
    id,
    language,
    name,
    origin: 'stream:0',
    init: { ...a.init, path: re(a.init.path) },
    playlist: re(a.playlist),
    segments: a.segments.map((s) => ({ ...s, uri: re(s.uri) })),
  }
}

export async function withLanguagesAndSubtitles(titleDir: string, o: LanguagesOptions = {}): Promise<Title> {
  const title = JSON.parse(await readFile(join(titleDir, 'title.json'), 'utf8')) as Title
  const a0 = title.audio[0]
  if (!a0) throw new Error('withLanguagesAndSubtitles needs a package with audio')
  const lang = o.textLanguage ?? 'en'
  const mpegts = o.mpegts ?? 0
  for (const id of ['audio-en', 'audio-fr']) await cp(join(titleDir, a0.id), join(titleDir, id), { recursive: true })
  await rm(join(titleDir, a0.id), { recursive: true })
  const audio = [moveAudio(a0, 'audio-en', 'en', 'English'), moveAudio(a0, 'audio-fr', 'fr', 'Français')]

  const grid = title.video[0]!.segments
  const cues = testCues(grid)
  const textId = `text-${lang}`
  const files: FileEntry[] = []
  const segments: TextSegment[] = []
  await mkdir(join(titleDir, textId), { recursive: true })
  for (const [i, s] of grid.entries()) {
    const end = s.start + s.duration
    const inSeg = cues.filter((c) => c.start < end && c.end > s.start)
    const body = [
      'WEBVTT',
      `X-TIMESTAMP-MAP=MPEGTS:${mpegts},LOCAL:00:00:00.000`,
      '',
      ...inSeg.flatMap((c) => [`${vttTime(c.start)} --> ${vttTime(c.end)}`, c.text, '']),
    ].join('\n')
    const uri = `${textId}/seg-${String(i + 1).padStart(5, '0')}.vtt`
    await writeFile(join(titleDir, uri), body)
    const e = entry(uri, body)
    files.push(e)
    segments.push({ uri, bytes: e.bytes, sha256: e.sha256, duration: s.duration, start: s.start, cues: inSeg.length })
  }
  const full = ['WEBVTT', '', ...cues.flatMap((c) => [`${vttTime(c.start)} --> ${vttTime(c.end)}`, c.text, ''])].join('\n')
  await writeFile(join(titleDir, textId, 'full.vtt'), full)
  const sidecar = entry(`${textId}/full.vtt`, full)
  const media = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${Math.max(1, ...grid.map((s) => Math.round(s.duration)))}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    ...segments.flatMap((s) => [`#EXTINF:${s.duration.toFixed(6)},`, s.uri.slice(textId.length + 1)]),
    '#EXT-X-ENDLIST',
    '',
  ].join('\n')
  await writeFile(join(titleDir, textId, 'index.m3u8'), media)
  const peak = Math.max(...segments.map((s) => Math.ceil((s.bytes * 8) / s.duration)))
  const text: TextRendition = {
    id: textId,
    type: 'text',
    codec: 'webvtt',
    codecs: 'wvtt',
    language: lang,
    name: lang === 'en' ? 'English' : lang,
    forced: false,
    origin: 'file:subs.vtt',
    cues: cues.length,
    bandwidth: peak,
    averageBandwidth: Math.max(1, Math.ceil((segments.reduce((a, s) => a + s.bytes, 0) * 8) / title.duration)),
    playlist: `${textId}/index.m3u8`,
    segments,
    sidecar,
  }

  // The multivariant playlist: the packager's variants, the audio group rewritten for two languages, a SUBTITLES group.
  const master = (await readFile(join(titleDir, title.hls), 'utf8')).split('\n')
  const audioMedia = audio.map(
    (a, i) =>
      `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="${a.name}",LANGUAGE="${a.language}",DEFAULT=${i === 0 ? 'YES' : 'NO'},AUTOSELECT=YES,CHANNELS="${a.channels}",URI="${a.playlist}"`,
  )
  const subs = `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="${text.name}",LANGUAGE="${lang}",DEFAULT=NO,AUTOSELECT=YES,URI="${text.playlist}"`
  const out: string[] = []
  for (const l of master) {
    if (l.startsWith('#EXT-X-MEDIA:TYPE=AUDIO')) {
      if (!out.some((x) => x.startsWith('#EXT-X-MEDIA'))) out.push(...audioMedia, subs)
    } else if (l.startsWith('#EXT-X-STREAM-INF:')) out.push(`${l},SUBTITLES="subs"`)
    else out.push(l)
  }
  await writeFile(join(titleDir, title.hls), out.join('\n'))

  // The MPD: the audio set repeated per language with a Label, a text AdaptationSet with the sidecar.
  const mpd = await readFile(join(titleDir, title.dash), 'utf8')
  const audioSet = /( {4}<AdaptationSet [^>]*contentType="audio"[\s\S]*?<\/AdaptationSet>\n)/.exec(mpd)![1]!
  const sets = audio
    .map((a, i) =>
      audioSet
        .replace(/ id="\d+"/, ` id="${i + 1}"`)
        .replace(/lang="[^"]*"/, `lang="${a.language}"`)
        .replace(/value="(main|alternate)"\/>/, `value="${i === 0 ? 'main' : 'alternate'}"/>\n      <Label>${a.name}</Label>`)
        .replaceAll(a0.id, a.id),
    )
    .join('')
  const textSet = [
    `    <AdaptationSet id="${audio.length + 1}" contentType="text" mimeType="text/vtt" lang="${lang}">`,
    '      <Role schemeIdUri="urn:mpeg:dash:role:2011" value="subtitle"/>',
    `      <Label>${text.name}</Label>`,
    `      <Representation id="${textId}" bandwidth="${text.bandwidth}"><BaseURL>${sidecar.path}</BaseURL></Representation>`,
    '    </AdaptationSet>',
    '',
  ].join('\n')
  await writeFile(join(titleDir, title.dash), mpd.replace(audioSet, sets + textSet))

  // title.json: version 3, the new renditions, and every file listed with what is on disk now.
  const oldAudio = new Set([a0.init.path, a0.playlist, ...a0.segments.map((s) => s.uri)])
  const kept = title.files.filter((f) => !oldAudio.has(f.path) && f.path !== title.hls && f.path !== title.dash)
  const moved = audio.flatMap((a) => title.files.filter((f) => oldAudio.has(f.path)).map((f) => ({ ...f, path: `${a.id}/${f.path.slice(a0.id.length + 1)}` })))
  const manifests = await Promise.all([title.hls, title.dash].map(async (p) => entry(p, await readFile(join(titleDir, p)))))
  const out3: Title = {
    ...title,
    version: 3,
    audio,
    text: [text],
    files: [...kept, ...manifests, ...moved, ...files, sidecar, entry(text.playlist, media)],
  }
  await writeFile(join(titleDir, 'title.json'), JSON.stringify(out3, null, 2))
  return out3
}
