import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Signed playback URLs. Steering hands a client a base URL
 *
 *   <oca>/t/<expiry>/<sig>/titles/<titleId>/master.m3u8
 *
 * where `expiry` is a Unix time in seconds and `sig` is
 * base64url(HMAC-SHA256(secret, "oclab-title-v1\n<titleId>\n<expiry>")).
 *
 * The token sits in the path, not the query, because hls.js and dash.js
 * resolve segment URIs relative to the manifest URL (RFC 3986 §5.2): a path
 * prefix carries over to every segment, a query string is dropped. The HMAC
 * covers the title scope, not the file, so one token serves a whole title
 * (manifests, inits, every segment) and nothing else.
 */
export const SIGNED_PREFIX = '/t/'

const message = (titleId: string, expiry: number): string => `oclab-title-v1\n${titleId}\n${expiry}`

export const signTitle = (secret: string, titleId: string, expiry: number): string =>
  createHmac('sha256', secret).update(message(titleId, expiry)).digest('base64url')

/** `/t/<expiry>/<sig>/titles/<titleId>/` — append a path inside the title. */
export function signedTitlePrefix(secret: string, titleId: string, expiry: number): string {
  return `${SIGNED_PREFIX}${expiry}/${signTitle(secret, titleId, expiry)}/titles/${titleId}/`
}

export type SignatureCheck = 'ok' | 'expired' | 'bad-signature' | 'malformed'

/** Check a token for a title at `nowSeconds` (pass the clock in: pure and testable). */
export function verifyTitleSignature(secret: string, titleId: string, expiry: string, sig: string, nowSeconds: number): SignatureCheck {
  if (!/^\d{1,12}$/.test(expiry) || !/^[A-Za-z0-9_-]{43}$/.test(sig)) return 'malformed'
  const want = Buffer.from(signTitle(secret, titleId, Number(expiry)), 'base64url')
  const got = Buffer.from(sig, 'base64url')
  // Check the MAC before the expiry, so a forged token never learns whether its expiry was acceptable.
  if (got.length !== want.length || !timingSafeEqual(got, want)) return 'bad-signature'
  return Number(expiry) < nowSeconds ? 'expired' : 'ok'
}
