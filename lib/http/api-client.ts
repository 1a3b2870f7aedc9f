import type { Static, TSchema } from '@sinclair/typebox'
import { type Dispatcher, request } from 'undici'
import { ErrorCodes, OclabError } from '../errors.js'
import { makeValidator } from '../validate.js'
import { adminAuthHeader } from './admin-token.js'

/**
 * The one way an oclab process calls another's JSON API (the typed clients
 * beside their servers: oca/client.ts, steering/client.ts).
 * Every call has a deadline, so a server that hangs is reported like one that
 * is down; every answer is checked against the schema its server declares, so
 * a server and its clients cannot drift apart unnoticed.
 */
export interface ApiClientOptions {
  /** deadline for one call, headers and body; default 5000 ms (a hung server is then reported like a dead one) */
  timeoutMs?: number
  /** undici dispatcher (source address, connection pool); default undici's global one */
  dispatcher?: Dispatcher
  /** the cluster admin token, sent as `Authorization: Bearer` when set */
  token?: string
}

export const API_CLIENT_DEFAULTS = { timeoutMs: 5000 }

export interface ApiAnswer {
  status: number
  /** the body parsed as JSON; the raw text when it is not JSON (a proxy's error page) */
  json: unknown
  /** the body as sent */
  text: string
  /** `GET /catalog at http://…`: what was asked, for messages */
  what: string
}

/** A checker of one answer's body: the same TypeBox schema the server types its answer with. */
export type AnswerCheck<T extends TSchema> = (value: unknown, source: string) => Static<T>

/** Compile the check of one API answer once; a mismatch is OCLAB_ERR_BAD_RESPONSE naming the API and the problems, first first. */
export const answerCheck = <T extends TSchema>(schema: T, api: string): AnswerCheck<T> => makeValidator(schema, ErrorCodes.BAD_RESPONSE, api)

export class ApiClient {
  readonly base: string
  private readonly timeoutMs: number

  constructor(
    /** which server, for messages: `OCA a1`, `origin`, `steering` */
    readonly server: string,
    base: string,
    private readonly opts: ApiClientOptions = {},
  ) {
    this.base = base.replace(/\/+$/, '')
    this.timeoutMs = opts.timeoutMs ?? API_CLIENT_DEFAULTS.timeoutMs
  }

  /** One call. Unreachable or past the deadline: OCLAB_ERR_UPSTREAM_FAILED. Any status is returned: the caller decides which it expects. */
  async call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer> {
    const what = `${method} ${path} at ${this.server} ${this.base}`
    let text: string
    let status: number
    try {
      const res = await request(`${this.base}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(this.opts.token ? adminAuthHeader(this.opts.token) : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        ...(this.opts.dispatcher ? { dispatcher: this.opts.dispatcher } : {}),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: AbortSignal.timeout(this.timeoutMs),
      })
      status = res.statusCode
      text = await res.body.text()
    } catch (err) {
      const e = err as Error & { code?: string; cause?: { code?: string } }
      const why = e.name === 'TimeoutError' || e.name === 'AbortError' ? `no answer within ${this.timeoutMs} ms` : (e.code ?? e.cause?.code ?? e.message)
      throw new OclabError(ErrorCodes.UPSTREAM_FAILED, `${what} failed: ${why}`, undefined, { cause: err })
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = text
    }
    return { status, json, text, what }
  }

  /** The body of an answer with an expected status, checked; any other status is OCLAB_ERR_UPSTREAM_FAILED with the server's reason. */
  expect<T extends TSchema>(a: ApiAnswer, check: AnswerCheck<T>, statuses: readonly number[] = [200]): Static<T> {
    if (!statuses.includes(a.status)) throw ApiClient.failed(a)
    return check(a.json, a.what)
  }

  /** `GET /x at …: HTTP 503 draining`: the server's own `error` text when it gave one. */
  static failed(a: ApiAnswer): OclabError {
    const reason = a.json && typeof a.json === 'object' && 'error' in a.json ? ` ${String(a.json.error)}` : ''
    return new OclabError(ErrorCodes.UPSTREAM_FAILED, `${a.what}: HTTP ${a.status}${reason}`, { status: a.status, body: a.json })
  }
}
