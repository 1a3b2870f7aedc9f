import type { ServerResponse } from 'node:http'
import type { FastifyReply } from 'fastify'
import type { CachePolicy } from './content-type.js'
import { planResponse } from './plan-response.js'
import { answerFields, representationOf, type TitleObject } from './title-serving.js'

/**
 * The answer a cache node gives most: a plain GET of a whole object (no Range,
 * no conditional), always 200 with the same header fields for one stored
 * object. Those fields are planned once per object (by planResponse itself,
 * so they cannot drift from the general path's) and reused; a profile of the
 * OCA serving hot 1 MB segments put per-request JavaScript (planning, header
 * building, Fastify's send pipeline) at about a fifth of its CPU.
 */

type RequestHeaders = Record<string, string | string[] | undefined>

/**
 * A GET whose answer cannot depend on its headers: without Range and the
 * four preconditions of RFC 9110 §13.1 it is 200 of the whole object
 * (If-Range alone is ignored, §13.1.5).
 */
export function isPlainGet(method: string, headers: RequestHeaders): boolean {
  return (
    method === 'GET' &&
    headers.range === undefined &&
    headers['if-none-match'] === undefined &&
    headers['if-modified-since'] === undefined &&
    headers['if-match'] === undefined &&
    headers['if-unmodified-since'] === undefined
  )
}

export interface WholeObjectFields {
  /** for Fastify's reply.headers() */
  fields: Readonly<Record<string, string>>
  /** the same as [name, value, …], what ServerResponse.writeHead takes without building an object */
  flat: readonly string[]
}

/**
 * The 200 header fields of each object, computed on first use. Keyed by the
 * object's identity: a stored object's size, hash and mtime never change
 * under one record (a refill makes a new one), and a dropped record takes
 * its entry with it.
 */
export class WholeObjectHeaders {
  private readonly byObject = new WeakMap<TitleObject, WholeObjectFields>()

  constructor(private readonly cache?: CachePolicy) {}

  of(o: TitleObject): WholeObjectFields {
    let h = this.byObject.get(o)
    if (!h) {
      const fields = answerFields(o, planResponse('GET', {}, representationOf(o, this.cache)))
      h = { fields, flat: Object.entries(fields).flat() }
      this.byObject.set(o, h)
    }
    return h
  }
}

/**
 * Send 200 with `body` (the cached Buffer itself, never a copy) straight to
 * the socket: Node writes the header block and the body with one writev.
 * Fastify's send pipeline is skipped (reply.hijack), its onResponse hooks
 * still run when the response finishes (Fastify's Lifecycle reference), so
 * accounting stays where it is. `first` and `last` are the per-request
 * fields (request id, x-cache), as [name, value, …].
 */
export function sendWholeBuffer(reply: FastifyReply, h: WholeObjectFields, body: Buffer, first: string[], last: string[]): void {
  reply.hijack()
  writeWholeHead(reply.raw, h, first, last)
  reply.raw.end(body)
}

/** The 200 head of a whole-object answer, with the per-request fields before and after the object's own. */
export function writeWholeHead(res: ServerResponse, h: WholeObjectFields, first: string[], last: string[]): void {
  res.writeHead(200, first.concat(h.flat, last))
}
