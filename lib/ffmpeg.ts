import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { ErrorCodes, OclabError } from './errors.js'

const require = createRequire(import.meta.url)

/** ffmpeg: `FFMPEG_PATH`, else the static build from @ffmpeg-installer/ffmpeg. */
export function ffmpegPath(): string {
  return process.env.FFMPEG_PATH || (require('@ffmpeg-installer/ffmpeg') as { path: string }).path
}

/** ffprobe: `FFPROBE_PATH`, else the static build from @ffprobe-installer/ffprobe. */
export function ffprobePath(): string {
  return process.env.FFPROBE_PATH || (require('@ffprobe-installer/ffprobe') as { path: string }).path
}

export interface RunResult {
  stdout: string
  stderr: string
  code: number | null
  signal: NodeJS.Signals | null
}

export interface RunOptions {
  signal?: AbortSignal
  /** Called with each stderr chunk (ffmpeg writes progress there). */
  onStderr?: (text: string) => void
  /** Called with `-progress pipe:1` key=value blocks, when the caller asks for them. */
  onProgress?: (fields: Record<string, string>) => void
  /** Keep at most this many bytes of stderr (the tail is what explains a failure). */
  maxStderr?: number
}

/** Run a binary to completion, collecting output; never throws on a non-zero exit. */
export function runProcess(bin: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], signal: opts.signal })
    const out: Buffer[] = []
    let err = ''
    const maxErr = opts.maxStderr ?? 256 * 1024
    let progress: Record<string, string> = {}
    let partial = ''
    child.stdout.on('data', (b: Buffer) => {
      if (!opts.onProgress) {
        out.push(b)
        return
      }
      partial += b.toString()
      const lines = partial.split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) {
        const eq = line.indexOf('=')
        if (eq < 0) continue
        const k = line.slice(0, eq).trim()
        progress[k] = line.slice(eq + 1).trim()
        if (k === 'progress') {
          opts.onProgress(progress)
          progress = {}
        }
      }
    })
    child.stderr.on('data', (b: Buffer) => {
      const s = b.toString()
      opts.onStderr?.(s)
      err += s
      if (err.length > maxErr) err = err.slice(err.length - maxErr)
    })
    child.on('error', (e) => {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new OclabError(ErrorCodes.FFMPEG, `cannot run ${bin}: not found (set FFMPEG_PATH/FFPROBE_PATH)`))
      } else reject(e)
    })
    child.on('close', (code, signal) => resolve({ stdout: Buffer.concat(out).toString(), stderr: err, code, signal }))
  })
}

/** The last few meaningful lines of ffmpeg's stderr, for an error message. */
export const stderrTail = (stderr: string, lines = 4): string =>
  stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('frame=') && !l.startsWith('size='))
    .slice(-lines)
    .join(' | ')

/**
 * Run ffmpeg and throw an OclabError carrying the tail of stderr when it fails.
 * `bin` picks another build (an encoder build, lib/ffmpeg-builds.ts); default `ffmpegPath()`.
 */
export async function ffmpeg(args: string[], opts: RunOptions & { bin?: string } = {}): Promise<RunResult> {
  const r = await runProcess(opts.bin ?? ffmpegPath(), ['-hide_banner', '-nostdin', '-y', ...args], opts)
  if (r.code !== 0) {
    throw new OclabError(ErrorCodes.FFMPEG, `ffmpeg failed (${r.signal ?? `exit ${r.code}`}): ${stderrTail(r.stderr)}`)
  }
  return r
}

/** Run ffprobe with JSON output and parse it. */
export async function ffprobeJson<T = unknown>(args: string[], opts: RunOptions = {}): Promise<T> {
  const r = await runProcess(ffprobePath(), ['-v', 'error', '-of', 'json', ...args], opts)
  if (r.code !== 0) {
    throw new OclabError(ErrorCodes.FFMPEG, `ffprobe failed: ${stderrTail(r.stderr) || `exit ${r.code}`}`)
  }
  return JSON.parse(r.stdout) as T
}
