import { createHash, timingSafeEqual } from 'node:crypto'

/**
 * The cluster's shared admin token guards fill/purge/drain endpoints. Sent as
 * `Authorization: Bearer <token>`. Missing → 401 (authenticate), present but
 * wrong → 403. Compared in constant time over fixed-length digests so neither
 * the content nor the length of the token leaks through timing.
 */
export type AdminCheck = 'ok' | 'missing' | 'wrong'

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

export function checkAdminToken(authorization: string | undefined, token: string): AdminCheck {
  if (!authorization) return 'missing'
  const m = /^Bearer\s+(.+)$/i.exec(authorization.trim())
  if (!m) return 'missing'
  return timingSafeEqual(digest(m[1]!), digest(token)) ? 'ok' : 'wrong'
}

export const adminAuthHeader = (token: string): { authorization: string } => ({ authorization: `Bearer ${token}` })
