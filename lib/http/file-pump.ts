import { read } from 'node:fs'
import type { ServerResponse } from 'node:http'

/**
 * Send bytes [start, end] of an open file to a response with one reusable
 * chunk Buffer per answer, taken from a shared pool: read a chunk, write it,
 * and read the next into the same Buffer once the socket has taken the last
 * (the write's callback). A fs.ReadStream allocates a new Buffer for every
 * read, and under a churn of multi-MB disk hits the garbage collector was a
 * fifth of the OCA's CPU. Backpressure is the write callback itself: an
 * answer holds one chunk whatever the client's speed.
 */
export class ChunkPool {
  private readonly free: Buffer[] = []

  constructor(
    readonly chunkBytes: number,
    /** chunks kept for reuse when answers end; more live at once are allocated and dropped */
    private readonly keep = 64,
  ) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.chunkBytes)
  }

  give(b: Buffer): void {
    if (this.free.length < this.keep) this.free.push(b)
  }
}

/**
 * Pump bytes [start, end] (inclusive) of `fd` into `res`, then end it. `writeHead` is called just before the
 * first chunk is written, so a file that cannot be read at all fails before any header is sent and the caller can
 * still answer with an error status. `done` is called once: with no error when the last byte was handed to the
 * socket, or with the error that stopped the answer (a read that failed or came up short, a client that went
 * away). Once headers are out, a failure destroys the response: the client sees a cut connection, never a short
 * body passed off as whole; before that, `res` is left for the caller (res.headersSent is false).
 */
export function pumpFile(
  fd: number,
  start: number,
  end: number,
  res: ServerResponse,
  pool: ChunkPool,
  writeHead: () => void,
  done: (err?: Error) => void,
): void {
  let pos = start
  let buf: Buffer | undefined = pool.take()
  let finished = false
  let started = false
  const finish = (err?: Error): void => {
    if (finished) return
    finished = true
    res.off('close', onClose)
    // The Buffer goes back only when no write still holds it: after a write's callback, or when none was made.
    if (buf) pool.give(buf)
    buf = undefined
    if (err && started && !res.destroyed) res.destroy(err)
    done(err)
  }
  const onClose = (): void => {
    // Closed before the last byte was handed over: the client went away. A write in flight may still hold the
    // Buffer, so it is not returned to the pool.
    buf = undefined
    finish(new Error('the client closed the connection'))
  }
  res.on('close', onClose)
  const step = (): void => {
    if (finished || !buf) return
    if (pos > end) {
      if (!started) writeHead() // an empty range
      res.end()
      finish()
      return
    }
    const chunk = buf
    read(fd, chunk, 0, Math.min(chunk.length, end - pos + 1), pos, (err, got) => {
      if (finished) return
      if (err || got === 0) return finish(err ?? new Error(`the file ended at byte ${pos}, before byte ${end}`))
      pos += got
      if (!started) {
        started = true
        writeHead()
      }
      res.write(got === chunk.length ? chunk : chunk.subarray(0, got), (werr) => (werr ? finish(werr) : step()))
    })
  }
  step()
}

/** The first `bytes` bytes of `fd`, read whole (a promotion to the hot tier), in one Buffer. */
export function readWhole(fd: number, bytes: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafeSlow(bytes)
  return new Promise((resolve, reject) => {
    const next = (pos: number): void => {
      if (pos >= bytes) {
        resolve(buf)
        return
      }
      read(fd, buf, pos, bytes - pos, pos, (err, got) => {
        if (err) reject(err)
        else if (got === 0) reject(new Error(`the file ended at byte ${pos} of ${bytes}`))
        else next(pos + got)
      })
    }
    next(0)
  })
}
