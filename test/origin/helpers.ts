import { cp, readFile, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildOcaServer, type OcaServerOptions } from '../../oca/server.js'
import { NO_SHEDDING } from '../helpers/no-shedding.js'
import { testPackage } from '../helpers/package.js'

export const ADMIN = 'admin-token-0123456789abcdef'
export const auth = { authorization: `Bearer ${ADMIN}` }

type Teardown = { teardown: (f: () => unknown) => void }

/** A real two-rung package (160x90 and 320x180, 2 s, audio), encoded once per test file. */
export async function twoRungPackage(dir: string): Promise<string> {
  const r = await testPackage(
    join(dir, 'src'),
    { duration: 2 },
    {
      titleId: 'alpha',
      ladder: [
        { id: 'v180p-300k', width: 320, height: 180, bitrate: 300_000 },
        { id: 'v90p-100k', width: 160, height: 90, bitrate: 100_000 },
      ],
    },
  )
  return join(r.store, 'titles', 'alpha')
}

/** The same package under another id (title.json's id rewritten; every listed file untouched). */
export async function clonePackage(from: string, to: string, id: string): Promise<string> {
  await cp(from, to, { recursive: true })
  const json = JSON.parse(await readFile(join(to, 'title.json'), 'utf8')) as { id: string }
  json.id = id
  await writeFile(join(to, 'title.json'), JSON.stringify(json, null, 2))
  return to
}

export async function listen(t: Teardown, app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

export async function startOca(
  t: Teardown,
  opts: Partial<OcaServerOptions> & { id: string; storeDir: string; parentUrl: string },
): Promise<{ app: FastifyInstance; url: string }> {
  const app = buildOcaServer({
    capacityBytes: 1e8,
    adminToken: ADMIN,
    missMode: 'off',
    fill: { retryDelayMs: 10 },
    ...opts,
    overload: { ...NO_SHEDDING, ...opts.overload },
  })
  return { app, url: await listen(t, app) }
}
