/**
 * RFC 9530 `Repr-Digest`: the digest of the whole selected representation,
 * not of the bytes of one message. A 200, a 206 for any range and a HEAD of
 * the same object therefore all carry the same value, which is what lets a
 * child verify a fill no matter how the parent's answer was cut. The field is
 * a Structured Fields dictionary (RFC 8941) whose `sha-256` member is a byte
 * sequence: `sha-256=:<base64 of the 32 bytes>:`.
 */

/** The field value for a sha256 given in hex (as title.json lists it). */
export function reprDigest(sha256Hex: string): string {
  return `sha-256=:${Buffer.from(sha256Hex, 'hex').toString('base64')}:`
}

/**
 * The sha-256 member of a Repr-Digest value, as lowercase hex; undefined when
 * the field is absent, has no sha-256 member, or that member is not a 32-byte
 * byte sequence. Other members (sha-512, legacy algorithms) are ignored; a
 * repeated field line arrives joined with commas, as RFC 9110 §5.3 combines it.
 */
export function parseReprDigest(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined
  const joined = Array.isArray(value) ? value.join(',') : value
  let found: string | undefined
  for (const member of joined.split(',')) {
    const m = /^\s*([a-z*][a-z0-9_.*-]*)\s*=\s*:([A-Za-z0-9+/]*={0,2}):\s*(?:;.*)?$/.exec(member)
    if (m?.[1] !== 'sha-256') continue
    const bytes = Buffer.from(m[2]!, 'base64')
    // A dictionary's last duplicate key wins (RFC 8941 §4.2.2).
    found = bytes.length === 32 && bytes.toString('base64') === m[2] ? bytes.toString('hex') : undefined
  }
  return found
}
