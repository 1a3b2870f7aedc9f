/**
 * Segment file names inside a rendition's directory: `seg-00001.m4s`,
 * `seg-00002.vtt`…, numbered from 1 (DASH's startNumber). The DASH
 * SegmentTemplate addresses media segments by the same pattern, so the name
 * and the template live together: a change to one is a change to both.
 */
const DIGITS = 5

/** The n-th segment's file name (n from 1). */
export const segmentFileName = (n: number, extension: 'm4s' | 'vtt'): string => `seg-${String(n).padStart(DIGITS, '0')}.${extension}`

/** The SegmentTemplate `media` pattern of CMAF segments (ISO/IEC 23009-1 §5.3.9.4.4: `$Number%0<w>d$`). */
export const DASH_MEDIA_PATTERN = `seg-$Number%0${DIGITS}d$.m4s`
