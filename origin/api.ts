import { type Static, Type } from '@sinclair/typebox'
import { answerCheck } from '../lib/http/api-client.js'

/**
 * The shapes of the origin's JSON API (server.ts), declared once: the server
 * types its answers with them, client.ts checks every answer against them, and
 * test/origin/client.test.ts holds the real server to them. Objects stay open
 * (no `additionalProperties: false` on answers) so the origin may add fields
 * without breaking older clients.
 */

const Rung = Type.Object({
  id: Type.String(),
  type: Type.Union([Type.Literal('video'), Type.Literal('audio')]),
  width: Type.Optional(Type.Integer({ minimum: 0 })),
  height: Type.Optional(Type.Integer({ minimum: 0 })),
  bandwidth: Type.Number({ minimum: 0 }),
  averageBandwidth: Type.Number({ minimum: 0 }),
  bytes: Type.Number({ minimum: 0 }),
})

/** One title of `GET /catalog`: duration, size, ladder, and the OCAs that held it after the last pre-position run. */
export const CatalogEntrySchema = Type.Object({
  id: Type.String(),
  duration: Type.Number({ minimum: 0 }),
  bytes: Type.Number({ minimum: 0 }),
  ladder: Type.Array(Rung),
  placedOn: Type.Array(Type.String()),
})
export type CatalogEntry = Static<typeof CatalogEntrySchema>

/** `GET /catalog`; `invalid` maps a folder the store could not read as a title to why. */
export const CatalogSchema = Type.Object({ titles: Type.Array(CatalogEntrySchema), invalid: Type.Record(Type.String(), Type.String()) })
export type Catalog = Static<typeof CatalogSchema>

/** `GET /health` */
export const OriginHealthSchema = Type.Object({
  status: Type.Literal('ok'),
  titles: Type.Integer({ minimum: 0 }),
  requests: Type.Integer({ minimum: 0 }),
  bytesServed: Type.Number({ minimum: 0 }),
  unhandledRejections: Type.Integer({ minimum: 0 }),
})
export type OriginHealth = Static<typeof OriginHealthSchema>

/** `POST /admin/preposition` body. */
export const PrepositionBody = Type.Object({ dryRun: Type.Optional(Type.Boolean()), force: Type.Optional(Type.Boolean()) }, { additionalProperties: false })
export type PrepositionBody = Static<typeof PrepositionBody>

export const RunStatusSchema = Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')])

/** 202 from `POST /admin/preposition` (409 while one runs carries `error` and the running `id`). */
export const PrepositionStartedSchema = Type.Object({ id: Type.String(), status: RunStatusSchema })

const Count = Type.Number({ minimum: 0 })

/** What one OCA got from a pre-position run. */
export const SiteReportSchema = Type.Object({
  oca: Type.String(),
  site: Type.String(),
  region: Type.String(),
  status: Type.Union([Type.Literal('ok'), Type.Literal('down'), Type.Literal('failed')]),
  error: Type.Optional(Type.String()),
  titlesPlanned: Count,
  /** bytes of the node's whole plan */
  bytesPlanned: Count,
  /** bytes this run had to send */
  bytesToFill: Count,
  /** bytes the node fetched and committed (verified against title.json on arrival) */
  bytesFilled: Count,
  /** bytes of the run's files that the node lists afterwards with the planned sha256 */
  bytesVerified: Count,
  bytesFailed: Count,
  bytesFromPeers: Count,
  bytesFromOrigin: Count,
  titlesInPlace: Count,
  failures: Type.Array(Type.Object({ titleId: Type.String(), path: Type.String(), error: Type.String() })),
  evicted: Type.Array(Type.String()),
  bytesEvicted: Count,
})
export type SiteReport = Static<typeof SiteReportSchema>

export const PrepositionReportSchema = Type.Object({
  startedAt: Type.String(),
  finishedAt: Type.String(),
  dryRun: Type.Boolean(),
  /** set when nothing was done because of the fill window */
  skipped: Type.Optional(Type.String()),
  plan: Type.Object({ servedBytes: Count, boundBytes: Count, demandBytes: Count, ratioToBound: Type.Number() }),
  sites: Type.Array(SiteReportSchema),
  /** OCA id → title ids it held at the end (for the catalog) */
  placement: Type.Record(Type.String(), Type.Array(Type.String())),
})
export type PrepositionReport = Static<typeof PrepositionReportSchema>

/** `GET /admin/prepositions/:id`: one run, its report once done, its error once failed. */
export const PrepositionRunSchema = Type.Object({
  id: Type.String(),
  status: RunStatusSchema,
  startedAt: Type.String(),
  report: Type.Optional(PrepositionReportSchema),
  error: Type.Optional(Type.String()),
})
export type PrepositionRun = Static<typeof PrepositionRunSchema>

export const checks = {
  catalog: answerCheck(CatalogSchema, 'origin catalog (GET /catalog)'),
  health: answerCheck(OriginHealthSchema, 'origin health (GET /health)'),
  started: answerCheck(PrepositionStartedSchema, 'origin pre-position start (POST /admin/preposition)'),
  run: answerCheck(PrepositionRunSchema, 'origin pre-position run (GET /admin/prepositions/:id)'),
}
