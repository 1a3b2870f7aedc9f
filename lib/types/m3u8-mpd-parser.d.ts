// Minimal types for the parts of m3u8-parser and mpd-parser this project uses (neither ships types). Shared: the simulator, the encoder tests and the linter read manifests with them.
declare module 'm3u8-parser' {
  export interface M3u8Segment {
    uri: string
    duration?: number
    byterange?: { length: number; offset: number }
  }
  export interface M3u8Variant {
    uri: string
    attributes: { BANDWIDTH?: number; 'AVERAGE-BANDWIDTH'?: string | number; RESOLUTION?: { width: number; height: number }; CODECS?: string }
  }
  export interface M3u8Manifest {
    playlists?: M3u8Variant[]
    segments: M3u8Segment[]
    endList?: boolean
    /** EXT-X-MEDIA renditions by TYPE, then GROUP-ID, then NAME */
    mediaGroups?: { AUDIO?: Record<string, Record<string, unknown>> }
  }
  export class Parser {
    manifest: M3u8Manifest
    push(chunk: string): void
    end(): void
  }
}

declare module 'mpd-parser' {
  export interface MpdByteRange {
    length: number
    offset: number
  }
  export interface MpdSegment {
    uri: string
    resolvedUri: string
    duration: number
    byterange?: MpdByteRange
  }
  export interface MpdPlaylist {
    attributes: { NAME?: string; BANDWIDTH?: number; RESOLUTION?: { width: number; height: number }; CODECS?: string }
    segments: MpdSegment[]
    sidx?: { resolvedUri: string; byterange: MpdByteRange; duration: number }
  }
  export interface MpdManifest {
    playlists: MpdPlaylist[]
    /** audio AdaptationSets by group, then label */
    mediaGroups?: { AUDIO?: Record<string, Record<string, unknown>> }
    duration?: number
  }
  export function parse(text: string, options?: { manifestUri?: string }): MpdManifest
}
