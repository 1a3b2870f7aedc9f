/**
 * Every error a user can cause carries a stable code, so tests and callers can
 * match on it instead of on message text (the fastify `FST_ERR_*` pattern).
 */
export const ErrorCodes = {
  USAGE: 'OCLAB_ERR_USAGE',
  BAD_SOURCE: 'OCLAB_ERR_BAD_SOURCE',
  NO_VIDEO: 'OCLAB_ERR_NO_VIDEO',
  /** an added audio file (`--audio file:lang`) that ffprobe reads but that has no audio stream */
  NO_AUDIO: 'OCLAB_ERR_NO_AUDIO',
  /** a subtitle file (WebVTT or SRT) that cannot be packaged: the message names `file:line` and what is wrong */
  BAD_SUBTITLES: 'OCLAB_ERR_BAD_SUBTITLES',
  CORRUPT_SOURCE: 'OCLAB_ERR_CORRUPT_SOURCE',
  BAD_FRAME_RATE: 'OCLAB_ERR_BAD_FRAME_RATE',
  ZERO_DURATION: 'OCLAB_ERR_ZERO_DURATION',
  ENCODE_FAILED: 'OCLAB_ERR_ENCODE_FAILED',
  BAD_TITLE: 'OCLAB_ERR_BAD_TITLE',
  BAD_CONFIG: 'OCLAB_ERR_BAD_CONFIG',
  BAD_MANIFEST: 'OCLAB_ERR_BAD_MANIFEST',
  BAD_TRACE: 'OCLAB_ERR_BAD_TRACE',
  NOT_FOUND: 'OCLAB_ERR_NOT_FOUND',
  /** a title no OCA holds and the origin's catalog does not list */
  UNKNOWN_TITLE: 'OCLAB_ERR_UNKNOWN_TITLE',
  FFMPEG: 'OCLAB_ERR_FFMPEG',
  /** a codec was asked for and no ffmpeg in the lookup order has its encoder */
  MISSING_ENCODER: 'OCLAB_ERR_MISSING_ENCODER',
  STORE_FULL: 'OCLAB_ERR_STORE_FULL',
  PARENT_FAILED: 'OCLAB_ERR_PARENT_FAILED',
  CHECKSUM_MISMATCH: 'OCLAB_ERR_CHECKSUM_MISMATCH',
  QUEUE_UNREACHABLE: 'OCLAB_ERR_QUEUE_UNREACHABLE',
  NO_WORKERS: 'OCLAB_ERR_NO_WORKERS',
  BAD_LOAD_SAMPLE: 'OCLAB_ERR_BAD_LOAD_SAMPLE',
  /** a supervised server did not answer /health with 200 before the ready deadline */
  NOT_READY: 'OCLAB_ERR_NOT_READY',
  /** a supervised server exited and was given up on (start limit, or restart off) */
  CHILD_FAILED: 'OCLAB_ERR_CHILD_FAILED',
  /** no running cluster is recorded for a cluster file */
  NO_CLUSTER: 'OCLAB_ERR_NO_CLUSTER',
  /** An input file or response larger than the command's limit (sim/lint --max-input). */
  INPUT_TOO_LARGE: 'OCLAB_ERR_INPUT_TOO_LARGE',
  /** A server asked to listen beyond loopback with a secret published in this repository. */
  EXAMPLE_SECRET: 'OCLAB_ERR_EXAMPLE_SECRET',
  /** Another oclab server answered something its API does not allow (not JSON, or not the declared shape). */
  BAD_RESPONSE: 'OCLAB_ERR_BAD_RESPONSE',
  /** Another oclab server could not be reached in time, or answered an error status. */
  UPSTREAM_FAILED: 'OCLAB_ERR_UPSTREAM_FAILED',
  /** A player's device decodes none of the video codecs a title or manifest offers. */
  NO_PLAYABLE_CODEC: 'OCLAB_ERR_NO_PLAYABLE_CODEC',
  /** A title has no audio or subtitle rendition in the language a player asked for. */
  NO_SUCH_TRACK: 'OCLAB_ERR_NO_SUCH_TRACK',
  /** A failure no check anticipated (a bug): the CLI prints it with its stack. */
  INTERNAL: 'OCLAB_ERR_INTERNAL',
} as const

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes]

/**
 * The HTTP status a server answers when a request fails with a code (the
 * fastify `createError(code, message, statusCode)` table, kept in one place).
 * The caller's fault is 4xx; a failure of something upstream of the server
 * (a parent, the origin, the queue) is 502/503; our own failure is 500.
 */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  [ErrorCodes.USAGE]: 400,
  [ErrorCodes.BAD_SOURCE]: 400,
  [ErrorCodes.NO_VIDEO]: 400,
  [ErrorCodes.NO_AUDIO]: 400,
  [ErrorCodes.BAD_SUBTITLES]: 400,
  [ErrorCodes.CORRUPT_SOURCE]: 400,
  [ErrorCodes.BAD_FRAME_RATE]: 400,
  [ErrorCodes.ZERO_DURATION]: 400,
  [ErrorCodes.ENCODE_FAILED]: 500,
  [ErrorCodes.BAD_TITLE]: 400,
  [ErrorCodes.BAD_CONFIG]: 400,
  // No server takes a manifest from its client: one a server cannot read came
  // from upstream (steering rewriting a package's manifest), the upstream's fault.
  [ErrorCodes.BAD_MANIFEST]: 502,
  [ErrorCodes.BAD_TRACE]: 400,
  [ErrorCodes.NOT_FOUND]: 404,
  [ErrorCodes.UNKNOWN_TITLE]: 404,
  [ErrorCodes.FFMPEG]: 500,
  // the encode service lacks an encoder the job asks for: the service's gap, not the caller's
  [ErrorCodes.MISSING_ENCODER]: 503,
  // RFC 4918 §11.5 Insufficient Storage: the OCA's disk store is full of pinned or filling objects
  [ErrorCodes.STORE_FULL]: 507,
  [ErrorCodes.PARENT_FAILED]: 502,
  [ErrorCodes.CHECKSUM_MISMATCH]: 502,
  [ErrorCodes.QUEUE_UNREACHABLE]: 503,
  [ErrorCodes.NO_WORKERS]: 503,
  [ErrorCodes.BAD_LOAD_SAMPLE]: 400,
  [ErrorCodes.NOT_READY]: 503,
  [ErrorCodes.CHILD_FAILED]: 502,
  [ErrorCodes.NO_CLUSTER]: 404,
  [ErrorCodes.INPUT_TOO_LARGE]: 413,
  [ErrorCodes.EXAMPLE_SECRET]: 400,
  [ErrorCodes.BAD_RESPONSE]: 502,
  [ErrorCodes.UPSTREAM_FAILED]: 502,
  // the client asked for something this title cannot give it (RFC 9110 §15.5.7 Not Acceptable)
  [ErrorCodes.NO_PLAYABLE_CODEC]: 406,
  [ErrorCodes.NO_SUCH_TRACK]: 406,
  [ErrorCodes.INTERNAL]: 500,
}

export const httpStatusOf = (code: ErrorCode): number => HTTP_STATUS[code]

export class OclabError extends Error {
  readonly code: ErrorCode
  readonly details?: unknown

  /** `options.cause` keeps the error being wrapped (shown by util.inspect and in --json error events). */
  constructor(code: ErrorCode, message: string, details?: unknown, options?: ErrorOptions) {
    super(message, options)
    this.name = 'OclabError'
    this.code = code
    this.details = details
  }
}

export const isOclabError = (e: unknown): e is OclabError => e instanceof OclabError
