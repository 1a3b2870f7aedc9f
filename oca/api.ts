import { type Static, Type } from '@sinclair/typebox'
import { answerCheck } from '../lib/http/api-client.js'
import { FileEntrySchema } from '../lib/title-package.js'

/**
 * The shapes of the OCA's HTTP API (health-routes.ts, admin-routes.ts),
 * declared once: the server types its answers with them and validates
 * requests against them; client.ts checks every answer against them.
 * Objects stay open (no `additionalProperties: false` on answers) so a
 * server may add fields without breaking older clients.
 */

export const NodeStatusSchema = Type.Union([Type.Literal('ok'), Type.Literal('draining'), Type.Literal('overloaded')])
export type NodeStatus = Static<typeof NodeStatusSchema>

const Usage = Type.Object({ usedBytes: Type.Number({ minimum: 0 }), capacityBytes: Type.Number({ minimum: 0 }), objects: Type.Integer({ minimum: 0 }) })

/** `GET /health`: HTTP 200 when status is ok, 503 otherwise, same body. */
export const OcaHealthSchema = Type.Object({
  id: Type.String(),
  site: Type.Optional(Type.String()),
  status: NodeStatusSchema,
  uptimeSeconds: Type.Number({ minimum: 0 }),
  requests: Type.Object({ inFlight: Type.Integer({ minimum: 0 }), total: Type.Integer({ minimum: 0 }) }),
  /** mean over the last 10 s */
  bytesServedPerSecond: Type.Number({ minimum: 0 }),
  disk: Usage,
  memory: Usage,
  fills: Type.Object({ prefillRunning: Type.Integer({ minimum: 0 }), missInFlight: Type.Integer({ minimum: 0 }) }),
  overload: Type.Object({ eventLoopDelayMs: Type.Number(), rssBytes: Type.Number(), heapUsedBytes: Type.Number(), reasons: Type.Array(Type.String()) }),
  titles: Type.Array(Type.String()),
})
export type OcaHealth = Static<typeof OcaHealthSchema>

/** `POST /admin/fill` body. */
export const FillRequestSchema = Type.Object(
  {
    titleId: Type.String({ minLength: 1, maxLength: 128 }),
    files: Type.Array(FileEntrySchema, { minItems: 1, maxItems: 100_000 }),
    parent: Type.Optional(Type.String({ pattern: '^https?://', description: "base URL of the parent to fetch from; default: the node's configured parent" })),
    pin: Type.Optional(Type.Boolean({ description: 'keep this title out of eviction; default false' })),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, description: 'parallel downloads; default from the server options' })),
    bandwidthBytesPerSec: Type.Optional(Type.Integer({ minimum: 1024, description: "cap in bytes per second across this fill's downloads; default none" })),
  },
  { additionalProperties: false },
)
export type FillRequest = Static<typeof FillRequestSchema>

/** One fill's progress: `POST /admin/fill` (202), `GET /admin/fills/:id`, and under `fill` in a 409. */
export const FillProgressSchema = Type.Object({
  id: Type.String(),
  titleId: Type.String(),
  parent: Type.String(),
  status: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('failed'), Type.Literal('cancelled')]),
  startedAt: Type.String(),
  finishedAt: Type.Optional(Type.String()),
  filesTotal: Type.Integer({ minimum: 0 }),
  filesDone: Type.Integer({ minimum: 0 }),
  filesSkipped: Type.Integer({ minimum: 0 }),
  filesFailed: Type.Integer({ minimum: 0 }),
  bytesTotal: Type.Number({ minimum: 0 }),
  bytesFetched: Type.Number({ minimum: 0 }),
  /** download attempts including retries */
  attempts: Type.Integer({ minimum: 0 }),
  errors: Type.Array(Type.Object({ path: Type.String(), attempts: Type.Integer({ minimum: 0 }), error: Type.String() })),
})
export type FillProgress = Static<typeof FillProgressSchema>
export type FillStatus = FillProgress['status']

/** 409 from `POST /admin/fill`: a fill of the title is already running. */
export const FillConflictSchema = Type.Object({ error: Type.String(), fill: FillProgressSchema })

export const FillsSchema = Type.Object({ fills: Type.Array(FillProgressSchema) })

/** One title a node holds: its files with the sizes and hashes the store indexed. */
export const HeldTitleSchema = Type.Object({
  id: Type.String(),
  bytes: Type.Number({ minimum: 0 }),
  pinned: Type.Boolean(),
  files: Type.Array(Type.Object({ path: Type.String(), bytes: Type.Number({ minimum: 0 }), sha256: Type.String() })),
})
export type HeldTitle = Static<typeof HeldTitleSchema>

/** `GET /admin/titles` */
export const HeldTitlesSchema = Type.Object({ titles: Type.Array(HeldTitleSchema) })

export const IdParams = Type.Object({ id: Type.String({ maxLength: 128 }) })

/** `DELETE /admin/titles/:id` */
export const PurgedSchema = Type.Object({ titleId: Type.String(), bytesFreed: Type.Number({ minimum: 0 }) })

/** `PUT /admin/titles/:id/pin`: body and answer */
export const PinBody = Type.Object({ pinned: Type.Boolean() }, { additionalProperties: false })
export const PinnedSchema = Type.Object({ titleId: Type.String(), pinned: Type.Boolean() })

/** `POST /admin/delay`: fault injection, every title response slowed by `ms` */
export const DelayBody = Type.Object({ ms: Type.Integer({ minimum: 0, maximum: 600_000 }) }, { additionalProperties: false })
export const DelaySchema = Type.Object({ delayMs: Type.Integer({ minimum: 0 }) })

/** `POST /admin/drain` (202) */
export const DrainingSchema = Type.Object({ status: NodeStatusSchema })

export const checks = {
  health: answerCheck(OcaHealthSchema, 'OCA health (GET /health)'),
  fill: answerCheck(FillProgressSchema, 'OCA fill progress'),
  fillConflict: answerCheck(FillConflictSchema, 'OCA fill conflict (409 from POST /admin/fill)'),
  fills: answerCheck(FillsSchema, 'OCA fill list (GET /admin/fills)'),
  titles: answerCheck(HeldTitlesSchema, 'OCA title list (GET /admin/titles)'),
  purged: answerCheck(PurgedSchema, 'OCA purge answer (DELETE /admin/titles/:id)'),
  pinned: answerCheck(PinnedSchema, 'OCA pin answer (PUT /admin/titles/:id/pin)'),
  delay: answerCheck(DelaySchema, 'OCA delay answer (POST /admin/delay)'),
  draining: answerCheck(DrainingSchema, 'OCA drain answer (POST /admin/drain)'),
}
