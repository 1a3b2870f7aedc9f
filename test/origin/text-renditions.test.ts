import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import type { ClusterConfig } from '../../lib/cluster.js'
import { readTitle, type Title } from '../../lib/title-package.js'
import { ingestPackage } from '../../origin/ingest.js'
import { buildOriginServer } from '../../origin/server.js'
import { filesFor, titleSizes } from '../../origin/title-sizes.js'
import { tempDir } from '../helpers/package.js'
import { ADMIN, clonePackage, listen, startOca, twoRungPackage } from './helpers.js'

/** Issue 20 §4: the origin takes version 3 packages (audio languages, WebVTT subtitles) and serves their text as text/vtt; an OCA fills it the same way. */
const editTitle = async (dir: string, edit: (t: Title) => void): Promise<void> => {
  const json = JSON.parse(await readFile(join(dir, 'title.json'), 'utf8')) as Title
  edit(json)
  await writeFile(join(dir, 'title.json'), JSON.stringify(json, null, 2))
}

t.test('ingest checks text renditions as it checks video and audio; versions 1 and 2 still ingest', async (t) => {
  const dir = await tempDir(t, 'oclab-ingest-text-')
  const plain = await twoRungPackage(dir)
  const v3 = await clonePackage(plain, join(dir, 'v3'), 'langs')
  const title = await readTitle(v3)
  const store = join(dir, 'store')

  t.equal((await ingestPackage(v3, store)).outcome, 'added')
  const held = await readTitle(join(store, 'titles', 'langs'))
  t.same(
    held.audio.map((a) => [a.id, a.language, a.name]),
    [
      ['audio-en', 'en', 'English'],
      ['audio-fr', 'fr', 'Français'],
    ],
  )
  t.same(
    held.text?.map((x) => [x.id, x.segments.length, x.sidecar.path]),
    [['text-en', title.video[0]!.segments.length, 'text-en/full.vtt']],
  )
  const vtt = title.text![0]!.segments[0]!.uri
  t.same(await readFile(join(store, 'titles', 'langs', vtt)), await readFile(join(v3, vtt)), 'the WebVTT segment is copied byte for byte')

  // Placement: subtitles and both languages are part of what every rung needs (the title's shared part), never a rung's own.
  const top = held.video[0]!.id
  const placed = new Set(filesFor(held, [top], { path: 'title.json', bytes: 1, sha256: '0'.repeat(64) }).map((f) => f.path))
  const shared = [...held.text![0]!.segments.map((s) => s.uri), held.text![0]!.sidecar.path, held.text![0]!.playlist, ...held.audio.map((a) => a.init.path)]
  t.ok(
    shared.every((p) => placed.has(p)),
    'pre-positioning one rung sends the subtitles and every audio language with it',
  )
  const sizes = titleSizes(held)
  t.equal(
    sizes.baseBytes,
    held.files.filter((f) => !held.video.some((v) => f.path.startsWith(`${v.id}/`))).reduce((a, f) => a + f.bytes, 0),
    'their bytes count in the shared part',
  )

  // A WebVTT segment the rendition names but files[] leaves out would never be pre-positioned or verified.
  const unlisted = await clonePackage(v3, join(dir, 'unlisted'), 'unlisted')
  const seg2 = title.text![0]!.segments[1]!.uri
  await editTitle(unlisted, (x) => {
    x.files = x.files.filter((f) => f.path !== seg2)
  })
  await t.rejects(ingestPackage(unlisted, store), {
    code: 'OCLAB_ERR_BAD_TITLE',
    details: [`${seg2}: used by a rendition or manifest but not listed in files`],
  })

  // The sidecar is checked against the rendition's own entry, and against the bytes on disk.
  const sidecar = await clonePackage(v3, join(dir, 'sidecar'), 'sidecar')
  await editTitle(sidecar, (x) => {
    x.text![0]!.sidecar.sha256 = '0'.repeat(64)
  })
  await t.rejects(ingestPackage(sidecar, store), {
    code: 'OCLAB_ERR_BAD_TITLE',
    details: ['text-en/full.vtt: files and the rendition disagree on its size or sha256'],
  })
  const altered = await clonePackage(v3, join(dir, 'altered'), 'altered')
  await writeFile(join(altered, 'text-en', 'full.vtt'), `${await readFile(join(altered, 'text-en', 'full.vtt'), 'utf8')}\n`)
  await t.rejects(ingestPackage(altered, store), {
    code: 'OCLAB_ERR_BAD_TITLE',
    details: [/^text-en\/full\.vtt: \d+ bytes, title\.json lists \d+$/],
  })
  const playlist = await clonePackage(v3, join(dir, 'playlist'), 'playlist')
  await editTitle(playlist, (x) => {
    x.files = x.files.filter((f) => f.path !== 'text-en/index.m3u8')
  })
  await t.rejects(ingestPackage(playlist, store), {
    code: 'OCLAB_ERR_BAD_TITLE',
    details: ['text-en/index.m3u8: used by a rendition or manifest but not listed in files'],
  })

  // Older packages: the encoder's own (no text) claiming version 2, and version 1.
  for (const version of [1, 2]) {
    const old = await clonePackage(plain, join(dir, `v${version}`), `old-${version}`)
    await editTitle(old, (x) => {
      ;(x as { version: number }).version = version
      delete x.text
    })
    t.equal((await readTitle(old)).version, version)
    t.equal((await ingestPackage(old, store)).outcome, 'added', `version ${version} ingests`)
  }
  const v4 = await clonePackage(plain, join(dir, 'v4'), 'future')
  await editTitle(v4, (x) => {
    ;(x as { version: number }).version = 4
  })
  await t.rejects(ingestPackage(v4, store), { code: 'OCLAB_ERR_BAD_TITLE', message: /has version 4; this oclab reads version 1 or 2 or 3/ })
})

t.test('origin and OCA serve WebVTT as text/vtt over HTTP, bytes as listed', async (t) => {
  const dir = await tempDir(t, 'oclab-serve-text-')
  const pkg = await clonePackage(await twoRungPackage(dir), join(dir, 'langs'), 'langs')
  const title = await readTitle(pkg)
  const store = join(dir, 'store')
  await ingestPackage(pkg, store)
  const origin = buildOriginServer({
    storeDir: store,
    cluster: { adminToken: ADMIN, ocas: [] } as unknown as ClusterConfig,
    popularity: async () => {
      throw new Error('unused')
    },
  })
  const originUrl = await listen(t, origin)
  const { url: ocaUrl } = await startOca(t, { id: 'o1', storeDir: join(dir, 'oca'), parentUrl: originUrl, missMode: 'fill' })
  const text = title.text![0]!
  for (const [who, base] of [
    ['origin', originUrl],
    ['OCA (fill from the origin)', ocaUrl],
    ['OCA (hit)', ocaUrl],
  ] as const) {
    for (const file of [text.segments[0]!, { uri: text.sidecar.path, ...text.sidecar }]) {
      const r = await fetch(`${base}/titles/langs/${file.uri}`)
      t.equal(r.status, 200, `${who} ${file.uri}`)
      t.equal(r.headers.get('content-type'), 'text/vtt; charset=utf-8', `${who} ${file.uri}: WebVTT's media type (W3C WebVTT §7)`)
      const body = Buffer.from(await r.arrayBuffer())
      t.same(body, await readFile(join(pkg, file.uri)), `${who} ${file.uri}: the listed bytes`)
      t.equal(r.headers.get('repr-digest'), `sha-256=:${Buffer.from(file.sha256, 'hex').toString('base64')}:`)
    }
  }
  const playlist = await fetch(`${ocaUrl}/titles/langs/${text.playlist}`)
  t.equal(playlist.headers.get('content-type'), 'application/vnd.apple.mpegurl')
  t.match(await playlist.text(), /^#EXTM3U[\s\S]*seg-00001\.vtt/)
})
