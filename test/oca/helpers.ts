import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { sha256 } from '../../lib/hash.js'
import { reprDigest } from '../../lib/http/repr-digest.js'
import { buildOcaServer, type OcaServerOptions } from '../../oca/server.js'
import { NO_SHEDDING } from '../helpers/no-shedding.js'

export const ADMIN = 'admin-token-0123456789abcdef'
export const auth = { authorization: `Bearer ${ADMIN}` }

/** Deterministic bytes every test can recompute: byte i is (i * 31 + seed) & 255. */
export function knownBytes(size: number, seed = 7): Buffer {
  const b = Buffer.alloc(size)
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) & 255
  return b
}

export async function tempDir(t: { teardown: (f: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'oclab-oca-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

export async function putFile(storeDir: string, titleId: string, path: string, body: Buffer | string): Promise<void> {
  const file = join(storeDir, 'titles', titleId, path)
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, body)
}

export interface StartedOca {
  app: FastifyInstance
  url: string
}

export async function startOca(t: { teardown: (f: () => Promise<void>) => void }, opts: Partial<OcaServerOptions> & { storeDir: string }): Promise<StartedOca> {
  const app = buildOcaServer({ id: 'test', capacityBytes: 1e9, adminToken: ADMIN, ...opts, overload: { ...NO_SHEDDING, ...opts.overload } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(async () => {
    await app.close()
  })
  const { port } = app.server.address() as AddressInfo
  return { app, url: `http://127.0.0.1:${port}` }
}

/**
 * A parent that serves a fixed set of objects under /titles/… (with the
 * Repr-Digest an origin or OCA sends) and counts the requests it gets per path. `hold` lets a test keep the response
 * waiting until it says so; `handler` overrides the behaviour per request.
 */
export interface CountingParent {
  url: string
  server: Server
  count: Map<string, number>
  total: () => number
  objects: Map<string, Buffer>
  hold?: Promise<void>
  handler?: (req: IncomingMessage, res: ServerResponse, n: number) => boolean | Promise<boolean>
}

export async function startParent(t: { teardown: (f: () => Promise<void>) => void }, objects: Record<string, Buffer>): Promise<CountingParent> {
  const p: CountingParent = {
    url: '',
    server: undefined as unknown as Server,
    count: new Map(),
    total: () => [...p.count.values()].reduce((a, b) => a + b, 0),
    objects: new Map(Object.entries(objects)),
  }
  p.server = createServer(async (req, res) => {
    const path = (req.url ?? '').split('?')[0]!
    const n = (p.count.get(path) ?? 0) + 1
    p.count.set(path, n)
    if (p.hold) await p.hold
    if (p.handler && (await p.handler(req, res, n))) return
    const body = p.objects.get(path)
    if (!body) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, {
      'content-length': body.length,
      'content-type': 'application/octet-stream',
      etag: `"${sha256(body).slice(0, 32)}"`,
      'repr-digest': reprDigest(sha256(body)),
    })
    res.end(body)
  })
  await new Promise<void>((r) => p.server.listen(0, '127.0.0.1', r))
  p.url = `http://127.0.0.1:${(p.server.address() as AddressInfo).port}`
  t.teardown(async () => {
    p.server.closeAllConnections()
    await new Promise<void>((r) => p.server.close(() => r()))
  })
  return p
}

export interface Got {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

/**
 * A raw HTTP request with node:http: the path goes on the wire exactly as
 * given (no `..` resolution, no re-encoding), which traversal tests need.
 */
export function rawRequest(base: string, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Got> {
  const u = new URL(base)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}
