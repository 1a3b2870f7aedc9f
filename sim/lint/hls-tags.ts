import type { AttributeType } from '../../lib/media/hls-attributes.js'

/**
 * The tags we know (RFC 8216 §4.3 and draft-pantos-hls-rfc8216bis §4.4),
 * where they may appear, and the attributes whose presence and type we check.
 */
export type TagScope = 'media' | 'multivariant' | 'both'

export interface AttributeSpec {
  type: AttributeType
  required?: boolean
  /** allowed values of an enumerated-string */
  values?: readonly string[]
  /** enumerated-string values also accepted where the type is quoted-string (CLOSED-CAPTIONS=NONE) */
  alsoEnumerated?: readonly string[]
}

export interface TagSpec {
  scope: TagScope
  /** RFC 8216 section (8216bis numbering where the tag is newer) */
  section: string
  attributes?: Record<string, AttributeSpec>
}

const YES_NO = ['YES', 'NO'] as const
const int: AttributeSpec = { type: 'decimal-integer' }
const str: AttributeSpec = { type: 'quoted-string' }
const float: AttributeSpec = { type: 'decimal-floating-point' }

const variantCommon: Record<string, AttributeSpec> = {
  BANDWIDTH: { type: 'decimal-integer', required: true },
  'AVERAGE-BANDWIDTH': int,
  SCORE: float,
  CODECS: str,
  'SUPPLEMENTAL-CODECS': str,
  RESOLUTION: { type: 'decimal-resolution' },
  'HDCP-LEVEL': { type: 'enumerated-string', values: ['TYPE-0', 'TYPE-1', 'NONE'] },
  'ALLOWED-CPC': str,
  'VIDEO-RANGE': { type: 'enumerated-string', values: ['SDR', 'HLG', 'PQ'] },
  'REQ-VIDEO-LAYOUT': str,
  'STABLE-VARIANT-ID': str,
  VIDEO: str,
  'PATHWAY-ID': str,
  'PROGRAM-ID': int,
}

export const TAGS: Record<string, TagSpec> = {
  EXTM3U: { scope: 'both', section: 'RFC 8216 §4.3.1.1' },
  'EXT-X-VERSION': { scope: 'both', section: 'RFC 8216 §4.3.1.2' },
  'EXT-X-INDEPENDENT-SEGMENTS': { scope: 'both', section: 'RFC 8216 §4.3.5.1' },
  'EXT-X-START': {
    scope: 'both',
    section: 'RFC 8216 §4.3.5.2',
    attributes: { 'TIME-OFFSET': { type: 'signed-decimal-floating-point', required: true }, PRECISE: { type: 'enumerated-string', values: YES_NO } },
  },
  'EXT-X-DEFINE': { scope: 'both', section: 'RFC 8216bis §4.4.2.3' },
  EXTINF: { scope: 'media', section: 'RFC 8216 §4.3.2.1' },
  'EXT-X-BYTERANGE': { scope: 'media', section: 'RFC 8216 §4.3.2.2' },
  'EXT-X-DISCONTINUITY': { scope: 'media', section: 'RFC 8216 §4.3.2.3' },
  'EXT-X-KEY': {
    scope: 'media',
    section: 'RFC 8216 §4.3.2.4',
    attributes: {
      METHOD: { type: 'enumerated-string', required: true, values: ['NONE', 'AES-128', 'SAMPLE-AES', 'SAMPLE-AES-CTR'] },
      URI: str,
      IV: { type: 'hexadecimal-sequence' },
      KEYFORMAT: str,
      KEYFORMATVERSIONS: str,
    },
  },
  'EXT-X-MAP': { scope: 'media', section: 'RFC 8216 §4.3.2.5', attributes: { URI: { type: 'quoted-string', required: true }, BYTERANGE: str } },
  'EXT-X-PROGRAM-DATE-TIME': { scope: 'media', section: 'RFC 8216 §4.3.2.6' },
  'EXT-X-DATERANGE': {
    scope: 'media',
    section: 'RFC 8216 §4.3.2.7',
    attributes: { ID: { type: 'quoted-string', required: true }, CLASS: str, 'START-DATE': str, 'END-DATE': str },
  },
  'EXT-X-GAP': { scope: 'media', section: 'RFC 8216bis §4.4.4.7' },
  'EXT-X-BITRATE': { scope: 'media', section: 'RFC 8216bis §4.4.4.8' },
  'EXT-X-PART': { scope: 'media', section: 'RFC 8216bis §4.4.4.9' },
  'EXT-X-TARGETDURATION': { scope: 'media', section: 'RFC 8216 §4.3.3.1' },
  'EXT-X-MEDIA-SEQUENCE': { scope: 'media', section: 'RFC 8216 §4.3.3.2' },
  'EXT-X-DISCONTINUITY-SEQUENCE': { scope: 'media', section: 'RFC 8216 §4.3.3.3' },
  'EXT-X-ENDLIST': { scope: 'media', section: 'RFC 8216 §4.3.3.4' },
  'EXT-X-PLAYLIST-TYPE': { scope: 'media', section: 'RFC 8216 §4.3.3.5' },
  'EXT-X-I-FRAMES-ONLY': { scope: 'media', section: 'RFC 8216 §4.3.3.6' },
  'EXT-X-PART-INF': { scope: 'media', section: 'RFC 8216bis §4.4.3.7' },
  'EXT-X-SERVER-CONTROL': { scope: 'media', section: 'RFC 8216bis §4.4.3.8' },
  'EXT-X-SKIP': { scope: 'media', section: 'RFC 8216bis §4.4.5.2' },
  'EXT-X-PRELOAD-HINT': { scope: 'media', section: 'RFC 8216bis §4.4.5.3' },
  'EXT-X-RENDITION-REPORT': { scope: 'media', section: 'RFC 8216bis §4.4.5.4' },
  'EXT-X-ALLOW-CACHE': { scope: 'media', section: 'RFC 8216 §7 (removed in version 7)' },
  'EXT-X-MEDIA': {
    scope: 'multivariant',
    section: 'RFC 8216 §4.3.4.1',
    attributes: {
      TYPE: { type: 'enumerated-string', required: true, values: ['AUDIO', 'VIDEO', 'SUBTITLES', 'CLOSED-CAPTIONS'] },
      URI: str,
      'GROUP-ID': { type: 'quoted-string', required: true },
      LANGUAGE: str,
      'ASSOC-LANGUAGE': str,
      NAME: { type: 'quoted-string', required: true },
      'STABLE-RENDITION-ID': str,
      DEFAULT: { type: 'enumerated-string', values: YES_NO },
      AUTOSELECT: { type: 'enumerated-string', values: YES_NO },
      FORCED: { type: 'enumerated-string', values: YES_NO },
      'INSTREAM-ID': str,
      'BIT-DEPTH': int,
      'SAMPLE-RATE': int,
      CHARACTERISTICS: str,
      CHANNELS: str,
    },
  },
  'EXT-X-STREAM-INF': {
    scope: 'multivariant',
    section: 'RFC 8216 §4.3.4.2',
    attributes: { ...variantCommon, 'FRAME-RATE': float, AUDIO: str, SUBTITLES: str, 'CLOSED-CAPTIONS': { type: 'quoted-string', alsoEnumerated: ['NONE'] } },
  },
  'EXT-X-I-FRAME-STREAM-INF': {
    scope: 'multivariant',
    section: 'RFC 8216 §4.3.4.3',
    attributes: { ...variantCommon, URI: { type: 'quoted-string', required: true } },
  },
  'EXT-X-SESSION-DATA': {
    scope: 'multivariant',
    section: 'RFC 8216 §4.3.4.4',
    attributes: { 'DATA-ID': { type: 'quoted-string', required: true }, VALUE: str, URI: str, LANGUAGE: str },
  },
  'EXT-X-SESSION-KEY': {
    scope: 'multivariant',
    section: 'RFC 8216 §4.3.4.5',
    attributes: { METHOD: { type: 'enumerated-string', required: true, values: ['AES-128', 'SAMPLE-AES', 'SAMPLE-AES-CTR'] }, URI: str },
  },
  'EXT-X-CONTENT-STEERING': {
    scope: 'multivariant',
    section: 'RFC 8216bis §4.4.6.6',
    attributes: { 'SERVER-URI': { type: 'quoted-string', required: true }, 'PATHWAY-ID': str },
  },
}

/** Tags that may appear at most once in a playlist. */
export const ONCE = new Set([
  'EXTM3U',
  'EXT-X-VERSION',
  'EXT-X-TARGETDURATION',
  'EXT-X-MEDIA-SEQUENCE',
  'EXT-X-DISCONTINUITY-SEQUENCE',
  'EXT-X-ENDLIST',
  'EXT-X-PLAYLIST-TYPE',
  'EXT-X-I-FRAMES-ONLY',
  'EXT-X-INDEPENDENT-SEGMENTS',
  'EXT-X-START',
  'EXT-X-CONTENT-STEERING',
  'EXT-X-PART-INF',
  'EXT-X-SERVER-CONTROL',
])

/** RFC 8216 §7: the lowest EXT-X-VERSION a feature needs. */
export const VERSION_FEATURES = {
  keyIv: { version: 2, what: 'the IV attribute of EXT-X-KEY' },
  floatExtinf: { version: 3, what: 'floating-point EXTINF durations' },
  byterange: { version: 4, what: 'EXT-X-BYTERANGE' },
  iframesOnly: { version: 4, what: 'EXT-X-I-FRAMES-ONLY' },
  keyformat: { version: 5, what: 'KEYFORMAT/KEYFORMATVERSIONS of EXT-X-KEY' },
  mapIframes: { version: 5, what: 'EXT-X-MAP in an I-frame playlist' },
  map: { version: 6, what: 'EXT-X-MAP in a playlist that is not I-frames only' },
  instreamService: { version: 7, what: 'INSTREAM-ID="SERVICEn" of EXT-X-MEDIA' },
  define: { version: 8, what: 'EXT-X-DEFINE' },
} as const
