import type { FastifyReply } from 'fastify'
import { type ErrorCode, httpStatusOf, type OclabError } from '../errors.js'

/**
 * How every server answers a request that failed with an OclabError: the
 * status its code has in lib/errors.ts's table, and `{ error, code }` so a
 * client can match the code as a CLI user does. `extra` adds fields a route
 * documents (steering's `removed`).
 */
export function sendOclabError(reply: FastifyReply, err: OclabError, extra: Record<string, unknown> = {}): FastifyReply {
  const body: { error: string; code: ErrorCode } & Record<string, unknown> = { error: err.message, code: err.code, ...extra }
  return reply.code(httpStatusOf(err.code)).send(body)
}
