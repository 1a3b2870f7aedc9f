import type { Inspection } from '../../lib/title-package.js'
import type { Rung } from '../ladder/ladder.js'

/** What an encode reports as it goes; the CLI renders these (live line, plain lines or JSON). */
export type EncodeEvent =
  | { type: 'inspected'; report: Inspection }
  | { type: 'probing'; done: number; total: number }
  | { type: 'ladder'; kind: 'fixed' | 'per-title' | 'shot-based' | 'custom'; rungs: Rung[]; notes: string[] }
  | { type: 'jobs'; total: number }
  | {
      type: 'job'
      state: 'start' | 'retry' | 'done'
      key: string
      done: number
      total: number
      frames: number
      fps: number
      etaSeconds: number | null
      error?: string
      resumed?: boolean
      reencodes?: number
    }
  | { type: 'packaging'; rendition: string }
  | { type: 'note'; message: string }
  | { type: 'done'; titleDir: string; seconds: number }
