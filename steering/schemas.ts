import { type Static, Type } from '@sinclair/typebox'

/** JSON schemas for every route's input: Fastify answers 400 with the reason when one does not match. */
export const TitleId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', maxLength: 128 })
const Lat = Type.Number({ minimum: -90, maximum: 90 })
const Lon = Type.Number({ minimum: -180, maximum: 180 })
/** Pathway ids as the HLS spec allows them: [a-zA-Z0-9], '.', '-', '_'. */
const PathwayId = Type.String({ pattern: '^[A-Za-z0-9._-]{1,128}$' })
const PathwayList = Type.String({ pattern: '^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$', maxLength: 4096 })

// lat and lon come together or not at all.
const together = { dependencies: { lat: ['lon'], lon: ['lat'] }, additionalProperties: false }

export const LocationQuery = Type.Object({ lat: Type.Optional(Lat), lon: Type.Optional(Lon) }, together)
export type LocationQuery = Static<typeof LocationQuery>

export const SteerQuery = Type.Object(
  {
    title: TitleId,
    lat: Type.Optional(Lat),
    lon: Type.Optional(Lon),
    n: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: 'how many candidates; default 3' })),
  },
  together,
)
export type SteerQuery = Static<typeof SteerQuery>

export const TitleParams = Type.Object({ title: TitleId })
export type TitleParams = Static<typeof TitleParams>

export const RedirectParams = Type.Object({ title: TitleId, '*': Type.String({ minLength: 1, maxLength: 1024 }) })

/** The session a manifest hands its player: written into SERVER-URI / RELOAD-URI by us, echoed back by the player. */
const Session = {
  title: TitleId,
  exp: Type.Optional(Type.Integer({ minimum: 0 })),
  pathways: Type.Optional(PathwayList),
  lat: Type.Optional(Lat),
  lon: Type.Optional(Lon),
}

export const HlsSteeringQuery = Type.Object(
  { ...Session, _HLS_pathway: Type.Optional(PathwayId), _HLS_throughput: Type.Optional(Type.Integer({ minimum: 0 })) },
  { dependencies: { lat: ['lon'], lon: ['lat'] } },
)
export type HlsSteeringQuery = Static<typeof HlsSteeringQuery>

/**
 * dash.js sends `_DASH_pathway="a,b"` (quotes included) and
 * `_DASH_throughput=1200,800` (bit/s, same order). A pathway it has not
 * measured yet leaves its entry empty (dash.js 5.2.1 sent `13887500,` once it
 * used two), so entries may be empty; refusing that with 400 ended steering
 * for every dash.js session that had failed over once.
 */
export const DashSteeringQuery = Type.Object(
  {
    ...Session,
    _DASH_pathway: Type.Optional(Type.String({ pattern: '^"?[A-Za-z0-9._,-]*"?$', maxLength: 4096 })),
    _DASH_throughput: Type.Optional(Type.String({ pattern: '^[0-9]{0,15}(,[0-9]{0,15})*$', maxLength: 4096 })),
  },
  { dependencies: { lat: ['lon'], lon: ['lat'] } },
)
export type DashSteeringQuery = Static<typeof DashSteeringQuery>
