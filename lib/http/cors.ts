/**
 * CORS for media served to browser players (hls.js, dash.js fetch with XHR or
 * fetch from another origin). Segments are public; no credentials, so `*` is
 * allowed (Fetch standard §3.2.5). Range must be an allowed request header and
 * Content-Range/Content-Length exposed, or players cannot do byte-range reads.
 */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified, Age, X-Cache, X-Request-Id',
}

export const CORS_PREFLIGHT_HEADERS: Readonly<Record<string, string>> = {
  ...CORS_HEADERS,
  'access-control-allow-methods': 'GET, HEAD, OPTIONS',
  'access-control-allow-headers': 'Range, If-Range, If-None-Match, If-Modified-Since, Origin, Accept, Content-Type',
  'access-control-max-age': '86400',
}
