/**
 * The AV1 codecs parameter string (AV1 Codec ISO Media File Format Binding
 * §"Codecs Parameter String") from the sequence header OBU (AV1 spec §5.5),
 * as the av1C box's configOBUs carry it. Pure: bytes in, string out.
 */

export interface Av1SequenceParams {
  profile: number
  /** seq_level_idx of operating point 0 */
  level: number
  /** seq_tier of operating point 0 (0 Main, 1 High) */
  tier: number
  bitDepth: number
  monochrome: boolean
  subsamplingX: number
  subsamplingY: number
  chromaSamplePosition: number
  colorPrimaries: number
  transferCharacteristics: number
  matrixCoefficients: number
  fullRange: boolean
}

/** MSB-first bit reader (the spec's f(n) and uvlc()). */
class Bits {
  private bit = 0
  constructor(
    private readonly buf: Buffer,
    private pos: number,
    private readonly end: number,
  ) {}
  f(n: number): number {
    let v = 0
    for (let i = 0; i < n; i++) {
      if (this.pos >= this.end) throw new Error('AV1: sequence header ends early')
      v = v * 2 + ((this.buf[this.pos]! >> (7 - this.bit)) & 1)
      if (++this.bit === 8) {
        this.bit = 0
        this.pos++
      }
    }
    return v
  }
  /** Read and discard fields of these widths, in order (fields this reader has no use for). */
  skip(...widths: number[]): void {
    for (const n of widths) this.f(n)
  }
  uvlc(): number {
    let zeros = 0
    while (!this.f(1)) if (++zeros >= 32) throw new Error('AV1: uvlc too long')
    return zeros ? this.f(zeros) + 2 ** zeros - 1 : 0
  }
}

/** leb128() (§4.10.5): value and bytes used. */
function leb128(buf: Buffer, p: number): { value: number; size: number } {
  let value = 0
  for (let i = 0; i < 8; i++) {
    const b = buf[p + i]
    if (b === undefined) throw new Error('AV1: OBU size ends early')
    value += (b & 0x7f) * 2 ** (7 * i)
    if (!(b & 0x80)) return { value, size: i + 1 }
  }
  throw new Error('AV1: OBU size longer than 8 bytes')
}

const OBU_SEQUENCE_HEADER = 1

/** The payload [start, end) of the first sequence header OBU in a run of OBUs (low-overhead format). */
export function findSequenceHeader(buf: Buffer, start = 0, end = buf.length): { start: number; end: number } {
  for (let p = start; p < end; ) {
    const header = buf[p]!
    const type = (header >> 3) & 0x0f
    const extension = (header >> 2) & 1
    const hasSize = (header >> 1) & 1
    let q = p + 1 + extension
    let size = end - q
    if (hasSize) {
      const s = leb128(buf, q)
      q += s.size
      size = s.value
    }
    if (q + size > end) throw new Error('AV1: OBU overruns its buffer')
    if (type === OBU_SEQUENCE_HEADER) return { start: q, end: q + size }
    p = q + size
  }
  throw new Error('AV1: no sequence header OBU')
}

/** sequence_header_obu() up to color_config(), §5.5.1–5.5.2. */
export function parseSequenceHeader(buf: Buffer, start: number, end: number): Av1SequenceParams {
  const r = new Bits(buf, start, end)
  const profile = r.f(3)
  r.f(1) // still_picture
  const reduced = r.f(1)
  let level: number
  let tier = 0
  if (reduced) level = r.f(5)
  else {
    let decoderModelInfo = 0
    let bufferDelayLength = 0
    if (r.f(1)) {
      // timing_info()
      r.skip(32, 32)
      if (r.f(1)) r.uvlc()
      decoderModelInfo = r.f(1)
      if (decoderModelInfo) {
        bufferDelayLength = r.f(5) + 1
        r.skip(32, 5, 5)
      }
    }
    const initialDisplayDelay = r.f(1)
    const points = r.f(5) + 1
    level = 0
    for (let i = 0; i < points; i++) {
      r.f(12) // operating_point_idc
      const lvl = r.f(5)
      const t = lvl > 7 ? r.f(1) : 0
      if (i === 0) {
        level = lvl
        tier = t
      }
      if (decoderModelInfo && r.f(1)) r.skip(bufferDelayLength, bufferDelayLength, 1)
      if (initialDisplayDelay && r.f(1)) r.f(4)
    }
  }
  const wBits = r.f(4) + 1
  const hBits = r.f(4) + 1
  r.skip(wBits, hBits)
  if (!reduced && r.f(1)) r.skip(4, 3) // frame_id_numbers_present_flag
  r.skip(1, 1, 1) // 128x128 superblocks, filter intra, intra edge filter
  if (!reduced) {
    r.skip(1, 1, 1, 1) // interintra, masked compound, warped motion, dual filter
    const orderHint = r.f(1)
    if (orderHint) r.skip(1, 1) // jnt_comp, ref_frame_mvs
    const forceScreen = r.f(1) ? 2 : r.f(1) // seq_choose_screen_content_tools
    if (forceScreen > 0 && !r.f(1)) r.f(1) // seq_choose_integer_mv, else seq_force_integer_mv
    if (orderHint) r.f(3)
  }
  r.skip(1, 1, 1) // superres, cdef, restoration
  // color_config()
  const high = r.f(1)
  const bitDepth = profile === 2 && high ? (r.f(1) ? 12 : 10) : high ? 10 : 8
  const monochrome = profile === 1 ? false : r.f(1) === 1
  let cp = 2
  let tc = 2
  let mc = 2
  if (r.f(1)) {
    cp = r.f(8)
    tc = r.f(8)
    mc = r.f(8)
  }
  let fullRange: boolean
  let sx = 1
  let sy = 1
  let csp = 0
  if (monochrome) fullRange = r.f(1) === 1
  else if (cp === 1 && tc === 13 && mc === 0) {
    fullRange = true
    sx = 0
    sy = 0
  } else {
    fullRange = r.f(1) === 1
    if (profile === 1) {
      sx = 0
      sy = 0
    } else if (profile === 2) {
      sx = bitDepth === 12 ? r.f(1) : 1
      sy = bitDepth === 12 && sx ? r.f(1) : 0
    }
    if (sx && sy) csp = r.f(2)
  }
  return {
    profile,
    level,
    tier,
    bitDepth,
    monochrome,
    subsamplingX: sx,
    subsamplingY: sy,
    chromaSamplePosition: csp,
    colorPrimaries: cp,
    transferCharacteristics: tc,
    matrixCoefficients: mc,
    fullRange,
  }
}

const d2 = (n: number): string => String(n).padStart(2, '0')

/**
 * `av01.P.LLT.DD`, with the optional `.M.CCC.cc.tt.mm.F` tail only when a
 * field differs from the binding's defaults (0, 110, 01, 01, 01, 0): the
 * short form is what players' isTypeSupported checks know best. The tail
 * carries the bitstream's own values (2 = unspecified stays 2).
 */
export function av1CodecsString(p: Av1SequenceParams, entry = 'av01'): string {
  const base = `${entry}.${p.profile}.${d2(p.level)}${p.tier ? 'H' : 'M'}.${d2(p.bitDepth)}`
  const chroma = `${p.subsamplingX}${p.subsamplingY}${p.chromaSamplePosition}`
  const tail = [p.monochrome ? '1' : '0', chroma, d2(p.colorPrimaries), d2(p.transferCharacteristics), d2(p.matrixCoefficients), p.fullRange ? '1' : '0']
  return tail.join('.') === '0.110.01.01.01.0' ? base : `${base}.${tail.join('.')}`
}

/**
 * The codecs string of an av1C box body (4 bytes of AV1CodecConfigurationRecord,
 * then configOBUs): from the sequence header OBU, checked against the
 * record's own copy of profile, level and tier.
 */
export function av1cCodecs(buf: Buffer, body: number, end: number, entry = 'av01'): string {
  if (buf[body]! !== 0x81) throw new Error('AV1: av1C is not marker 1, version 1')
  const seq = findSequenceHeader(buf, body + 4, end)
  const p = parseSequenceHeader(buf, seq.start, seq.end)
  const recProfile = buf[body + 1]! >> 5
  const recLevel = buf[body + 1]! & 0x1f
  const recTier = buf[body + 2]! >> 7
  if (recProfile !== p.profile || recLevel !== p.level || recTier !== p.tier) {
    throw new Error(`AV1: av1C says profile ${recProfile} level ${recLevel} tier ${recTier}, its sequence header ${p.profile}/${p.level}/${p.tier}`)
  }
  return av1CodecsString(p, entry)
}
