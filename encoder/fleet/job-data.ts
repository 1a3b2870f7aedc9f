import type { ChunkBatch, ChunkJob, ChunkResult } from '../jobs/chunk-job.js'

/**
 * What travels through the fleet's queue. A chunk job carries a `ChunkBatch`
 * exactly as the local pool runs it (one chunk with all its rungs; each inner
 * job is one chunk × one rung), except that every file in it is a storage key
 * instead of a path: a worker resolves the keys against its own mount.
 */
export const DEFAULT_QUEUE_NAME = 'oclab-encode'
export const CHUNK_JOB = 'chunk'
export const ASSEMBLE_JOB = 'assemble'

export interface ChunkJobData {
  titleId: string
  /** One submission of a title; job ids start with it so a resubmit never collides with an old, failed run. */
  run: string
  /** source, vmafModel and workDir are storage keys */
  batch: ChunkBatch
}

export interface ChunkJobReturn {
  /** which worker ran it (`oclab-worker@host:pid`) */
  worker: string
  /** time inside the handler, for the benchmark's overhead figure */
  handlerMs: number
  /** `file` is a storage key */
  results: ChunkResult[]
}

export interface AssembleJobData {
  titleId: string
  run: string
  /** the chunk jobs' ids in the submitter's batch order */
  children: string[]
}

export interface AssembleJobReturn {
  /** in the order of AssembleJobData.children */
  chunks: ChunkJobReturn[]
}

/** Rewrite the files a job names (source, VMAF model, work dir) with `f`: paths to keys on submit, keys to paths on a worker. */
export function mapJobFiles(job: ChunkJob, f: (pathOrKey: string) => string): ChunkJob {
  return { ...job, source: f(job.source), vmafModel: job.vmafModel === null ? null : f(job.vmafModel), workDir: f(job.workDir) }
}

export const mapBatchFiles = (b: ChunkBatch, f: (pathOrKey: string) => string): ChunkBatch => ({ key: b.key, jobs: b.jobs.map((j) => mapJobFiles(j, f)) })

export const chunkJobId = (run: string, batchKey: string): string => `${run}.${batchKey}`
