import { type Static, Type } from '@sinclair/typebox'
import { answerCheck } from '../lib/http/api-client.js'

/**
 * The answer of `GET /v1/steer`, declared once: steer-routes.ts writes it by
 * hand (the hot path skips Fastify's serialiser), the client checks it with
 * this schema, and test/steering/client.test.ts holds the real server to it.
 */
export const SteerCandidate = Type.Object({
  id: Type.String(),
  site: Type.String(),
  /** the title's base URL on that OCA, signed when the cluster signs */
  url: Type.String(),
  distanceKm: Type.Number(),
  /** the OCA holds the title (else it would fill on a miss) */
  holds: Type.Boolean(),
  reason: Type.String(),
})
export type SteerCandidate = Static<typeof SteerCandidate>

export const SteerAnswer = Type.Object({
  client: Type.Object({
    ip: Type.String(),
    forwarded: Type.Boolean(),
    cidr: Type.Union([Type.String(), Type.Null()]),
    site: Type.Union([Type.String(), Type.Null()]),
    how: Type.String(),
  }),
  title: Type.String(),
  /** when the signed URLs expire (Unix seconds), null when the cluster does not sign */
  expires: Type.Union([Type.Number(), Type.Null()]),
  candidates: Type.Array(SteerCandidate),
  /** with 503: why no OCA can serve the title */
  error: Type.Optional(Type.String()),
})
export type SteerAnswer = Static<typeof SteerAnswer>

export const checks = { steer: answerCheck(SteerAnswer, 'steering GET /v1/steer') }
