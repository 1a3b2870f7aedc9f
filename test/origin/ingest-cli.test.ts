import { spawn } from 'node:child_process'
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { freePort } from '../../lib/free-port.js'
import { readTitle } from '../../lib/title-package.js'
import { ingestPackage } from '../../origin/ingest.js'
import { flipBits } from '../helpers/bytes.js'
import { tempDir } from '../helpers/package.js'
import { waitFor } from '../helpers/wait.js'
import { ADMIN, clonePackage, twoRungPackage } from './helpers.js'

const bin = fileURLToPath(new URL('../../bin/oclab.js', import.meta.url))

function oclab(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c) => (stdout += c))
  child.stderr.on('data', (c) => (stderr += c))
  return new Promise((r) => child.on('exit', (code) => r({ code, stdout, stderr })))
}

t.test('ingest: accepts a whole package once; rejects a missing or altered segment with the list of problems', async (t) => {
  const dir = await tempDir(t, 'oclab-ingest-')
  const pkg = await twoRungPackage(dir)
  const store = join(dir, 'store')
  const title = await readTitle(pkg)
  const seg = title.video[0]!.segments[1]!

  t.same(await ingestPackage(pkg, store), {
    titleId: 'alpha',
    files: title.files.length,
    bytes: title.files.reduce((a, f) => a + f.bytes, 0),
    outcome: 'added',
  })
  t.equal((await ingestPackage(pkg, store)).outcome, 'unchanged')

  const missing = await clonePackage(pkg, join(dir, 'missing'), 'missing')
  await rm(join(missing, seg.uri))
  const altered = await clonePackage(pkg, join(dir, 'altered'), 'altered')
  const bytes = await readFile(join(altered, seg.uri))
  flipBits(bytes, 100, 1)
  await writeFile(join(altered, seg.uri), bytes)
  await writeFile(join(altered, 'master.m3u8'), 'tampered')

  await t.rejects(ingestPackage(missing, store), { code: 'OCLAB_ERR_BAD_TITLE', message: new RegExp(`${seg.uri}: missing`), details: [`${seg.uri}: missing`] })
  await t.rejects(ingestPackage(altered, store), {
    code: 'OCLAB_ERR_BAD_TITLE',
    details: [/master.m3u8: \d+ bytes, title.json lists/, `${seg.uri}: sha256 does not match title.json`],
  })
  t.same((await readdir(join(store, 'titles'))).sort(), ['alpha'], 'rejected packages leave nothing behind')

  // The CLI: exit 1 with every problem listed; exit 0 and a line on success.
  const bad = await oclab(['origin', 'ingest', altered, '--store', store])
  t.equal(bad.code, 1)
  t.match(bad.stderr, /2 problems/)
  t.match(bad.stderr, /sha256 does not match/)
  const good = await oclab(['origin', 'ingest', await clonePackage(pkg, join(dir, 'beta'), 'beta'), '--store', store])
  t.equal(good.code, 0, good.stderr)
  t.match(good.stdout, /beta: added/)

  // `oclab origin` serves the store on the cluster file's origin URL and exits 0 on SIGTERM.
  const port = await freePort()
  await writeFile(
    join(dir, 'cluster.json'),
    JSON.stringify({
      version: 1,
      adminToken: ADMIN,
      origin: { url: `http://127.0.0.1:${port}`, storeDir: 'store' },
      steering: { url: 'http://127.0.0.1:9' },
      ocas: [{ id: 'a1', url: 'http://127.0.0.1:9', site: 'a', region: 'eu', lat: 0, lon: 0, coverage: [], capacityBytes: 1e9 }],
    }),
  )
  const server = spawn(process.execPath, [bin, 'origin', '--config', join(dir, 'cluster.json'), '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] })
  t.teardown(() => void server.kill('SIGKILL'))
  const exited = new Promise<number | null>((r) => server.on('exit', r))
  let catalog: { titles: { id: string }[] } | undefined
  // Starting node + tsx on a loaded 2-core machine can take tens of seconds.
  await waitFor(
    async () => {
      catalog = await fetch(`http://127.0.0.1:${port}/catalog`)
        .then((r) => r.json() as Promise<typeof catalog>)
        .catch(() => undefined)
      return catalog !== undefined
    },
    'the origin child to answer /catalog',
    { timeoutMs: 90_000, everyMs: 50, state: () => ({ exitCode: server.exitCode }) },
  )
  t.same(
    catalog?.titles.map((x) => x.id),
    ['alpha', 'beta'],
    'store found relative to the cluster file',
  )
  const init = await fetch(`http://127.0.0.1:${port}/titles/alpha/${title.video[0]!.init.path}`)
  t.equal(init.status, 200)
  t.equal(Buffer.from(await init.arrayBuffer()).length, title.video[0]?.init.bytes)
  server.kill('SIGTERM')
  t.equal(await exited, 0)
})

t.test('oclab origin: per-subcommand help, usage errors, evaluate, preposition --dry-run with every OCA down', async (t) => {
  const dir = await tempDir(t, 'oclab-origin-cli-')
  const help = await oclab(['origin', 'evaluate', '--help'])
  t.equal(help.code, 0)
  t.match(help.stdout, /^oclab origin evaluate /)
  t.match(help.stdout, /--synthetic/)
  t.notMatch(help.stdout, /--dry-run/)
  t.match((await oclab(['origin', '--help'])).stdout, /Subcommands[\s\S]*origin preposition/)
  t.equal((await oclab(['origin', 'ingest'])).code, 2)
  const unknown = await oclab(['origin', 'frobnicate', '--config', 'x.json'])
  t.equal(unknown.code, 2)
  t.match(unknown.stderr, /expected 0 argument/)

  const oca = (id: string, region: string, port: number) => ({
    id,
    url: `http://127.0.0.1:${port}`,
    site: id,
    region,
    lat: 0,
    lon: 0,
    coverage: [],
    capacityBytes: 5e11,
  })
  await writeFile(
    join(dir, 'cluster.json'),
    JSON.stringify({
      version: 1,
      adminToken: ADMIN,
      origin: { url: 'http://127.0.0.1:9', storeDir: 'store' },
      steering: { url: 'http://127.0.0.1:9' },
      ocas: [oca('a1', 'eu', 9), oca('a2', 'eu', 9), oca('b1', 'us', 9)],
    }),
  )
  const ev = await oclab(['origin', 'evaluate', '--config', join(dir, 'cluster.json'), '--synthetic', '300', '--requests', '20000', '--json'])
  t.equal(ev.code, 0, ev.stderr)
  const r = JSON.parse(ev.stdout) as Record<'plan' | 'oracle' | 'lru', { own: number; region: number; origin: number }>
  for (const k of ['plan', 'oracle', 'lru'] as const) t.ok(Math.abs(r[k].own + r[k].region + r[k].origin - 1) < 1e-9, `${k} shares add up`)
  t.ok(r.oracle.own >= r.plan.own * 0.9 && r.plan.own > 0, `plan ${r.plan.own} vs oracle ${r.oracle.own}`)

  const pp = await oclab(['origin', 'preposition', '--config', join(dir, 'cluster.json'), '--dry-run'])
  t.equal(pp.code, 1, 'a down OCA makes the exit status 1')
  t.match(pp.stdout, /dry run: plan serves/)
  t.match(pp.stdout, /a1: down, skipped/)
  t.match(pp.stderr, /a1: down, skipped/, 'plain progress lines when not on a terminal')
})
