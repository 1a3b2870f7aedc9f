import { resolve } from 'node:path'
import {
  encodeTitle,
  ladderSummary,
  parseAudioSpec,
  parseCodecList,
  parseLadderSpec,
  parseLanguageList,
  parseSubtitleSpec,
  progressRenderer,
  type RetryPolicy,
  VIDEO_CODECS,
} from '../encoder/index.js'
import type { Command, OptionValues } from './command.js'
import { choiceOption, listOption, numberOption, requiredString, stringOption, usageError } from './command.js'

/**
 * With --queue the chunk jobs go to the fleet as one BullMQ flow and this
 * process follows them (progress across all workers) and packages the title
 * once the flow's assembly job has verified every chunk in the shared store.
 */
async function fleetQueue(url: string, store: string, values: OptionValues, retry: RetryPolicy, signal: AbortSignal, onNotice: (message: string) => void) {
  const { parseQueueUrl, checkRedis } = await import('../encoder/fleet/index.js')
  const { sharedDirStorage } = await import('../encoder/fleet/index.js')
  const { bullmqQueue } = await import('../encoder/fleet/index.js')
  const target = parseQueueUrl(url)
  // before the inspection and ladder: an unreachable queue is a failure in seconds, not after the probe encodes
  await checkRedis(target)
  return bullmqQueue({
    target,
    storage: sharedDirStorage(store),
    queueName: stringOption(values, 'queue-name') ?? 'oclab-encode',
    retry,
    requireWorkers: values.wait !== true,
    signal,
    deadlineMs: (numberOption(values, 'queue-deadline', { min: 1, max: 86_400 }) ?? 60) * 1000,
    onNotice,
  })
}

export const command: Command = {
  name: 'encode',
  summary: 'Inspect a source, build its ladder, encode it in GOP-aligned chunks in parallel and write a CMAF title package (HLS + DASH).',
  usage: '<source> --out <store> [--title ID] [--ladder fixed|per-title|shot-based|WxH@rate,...] [options]',
  positionals: { min: 1, max: 1 },
  options: {
    out: { type: 'string', short: 'o', arg: '<store>', help: 'store directory; the package goes to <store>/titles/<id>/' },
    title: { type: 'string', arg: '<id>', help: 'title id (default: from the file name)' },
    ladder: {
      type: 'string',
      arg: '<kind|spec>',
      default: 'per-title',
      help: "'fixed', 'per-title', 'shot-based' (shot-aligned segments, a CRF per shot and rung), or rungs like 640x360@800k,1280x720@3M",
    },
    'segment-duration': { type: 'string', arg: '<s>', default: '4', help: 'segment duration in seconds (rounded to whole frames)' },
    'chunk-segments': { type: 'string', arg: '<n>', default: '2', help: 'segments per chunk job' },
    jobs: { type: 'string', short: 'j', arg: '<n>', help: 'chunk jobs at once (default: number of CPUs)' },
    retries: { type: 'string', arg: '<n>', default: '3', help: 'tries per chunk job before the title fails' },
    preset: { type: 'string', arg: '<preset>', default: 'veryfast', help: 'x264 preset' },
    codecs: {
      type: 'string',
      arg: '<list>',
      default: 'h264',
      help: 'video codecs, each with its own ladder: h264, hevc, av1 (comma-separated; the first is the main ladder)',
    },
    'hevc-preset': { type: 'string', arg: '<preset>', default: 'veryfast', help: 'x265 preset (--codecs hevc)' },
    'av1-preset': { type: 'string', arg: '<0-13>', default: '10', help: 'SVT-AV1 preset (--codecs av1)' },
    'encoder-ffmpeg': {
      type: 'string',
      arg: '<path>',
      help: "the ffmpeg that encodes video (default: $OCLAB_ENCODER_FFMPEG, else the first of the quality build and /usr/bin/ffmpeg that has the codec's encoder)",
    },
    'vmaf-model': { type: 'string', arg: '<file.pkl>', help: 'libvmaf model (default: $OCLAB_VMAF_MODEL; without one, SSIM/PSNR)' },
    'target-quality': { type: 'string', arg: '<q>', help: 'per-title: quality of the top rung (default VMAF 95, or 20 SSIM dB)' },
    gate: { type: 'string', arg: '<q>', help: 'fixed/custom ladders: minimum chunk quality; lower chunks are re-encoded at a higher rate' },
    'max-reencodes': { type: 'string', arg: '<n>', default: '2', help: 'quality-gate re-encodes per chunk' },
    'audio-lang': {
      type: 'string',
      arg: '<list>',
      help: "languages of the source's audio streams in order, e.g. en,fr (BCP 47; default: each stream's language tag, else und)",
    },
    audio: {
      type: 'string',
      multiple: true,
      arg: '<file:lang[:name]>',
      help: 'add an audio file as a rendition (repeatable), encoded to AAC on the same segments from the video start',
    },
    subtitles: {
      type: 'string',
      multiple: true,
      arg: '<file:lang[:name][:forced]>',
      help: 'add a WebVTT or SRT file as a subtitle rendition (repeatable): segmented WebVTT in HLS, the whole file in DASH',
    },
    'keep-work': { type: 'boolean', help: 'keep the chunk work directory after success' },
    json: { type: 'boolean', help: 'progress and result as JSON lines on stdout' },
    queue: {
      type: 'string',
      arg: '<redis-url>',
      help: 'encode the chunk jobs on the worker fleet of this Redis (`oclab worker`); --out must be the shared store the workers mount',
    },
    wait: { type: 'boolean', help: 'with --queue: queue the title even when no worker is connected yet, and wait for one' },
    'queue-name': { type: 'string', arg: '<name>', default: 'oclab-encode', help: 'BullMQ queue name' },
    'queue-deadline': {
      type: 'string',
      arg: '<s>',
      default: '60',
      help: "with --queue: how long the queue's Redis may stay unreachable mid-title before the encode fails (OCLAB_ERR_QUEUE_UNREACHABLE)",
    },
  },
  async run(values, [source]) {
    const store = resolve(requiredString(values, 'out'))
    const ladderOpt = stringOption(values, 'ladder') ?? 'per-title'
    let ladder: 'fixed' | 'per-title' | 'shot-based' | NonNullable<ReturnType<typeof parseLadderSpec>>
    if (ladderOpt === 'fixed' || ladderOpt === 'per-title' || ladderOpt === 'shot-based') ladder = ladderOpt
    else {
      const parsed = parseLadderSpec(ladderOpt)
      if (!parsed) throw usageError(`--ladder: expected fixed, per-title, shot-based or rungs like 640x360@800k,1280x720@3M; got "${ladderOpt}"`)
      ladder = parsed
    }
    const codecs = parseCodecList(stringOption(values, 'codecs') ?? 'h264')
    if (!codecs)
      throw usageError(`--codecs: expected a comma-separated list of ${Object.keys(VIDEO_CODECS).join(', ')}; got "${stringOption(values, 'codecs')}"`)
    const encoderFfmpeg = stringOption(values, 'encoder-ffmpeg')
    const audioLang = stringOption(values, 'audio-lang')
    const media = {
      ...(audioLang ? { audioLanguages: parseLanguageList(audioLang) } : {}),
      audioFiles: listOption(values, 'audio').map(parseAudioSpec),
      subtitles: listOption(values, 'subtitles').map(parseSubtitleSpec),
    }
    const queueUrl = stringOption(values, 'queue')
    if (values.wait === true && !queueUrl) throw usageError('--wait needs --queue')
    const retry = { attempts: numberOption(values, 'retries', { min: 1, max: 20, integer: true }) ?? 3, backoffMs: 250 }
    const json = values.json === true
    const render = progressRenderer(json ? 'json' : process.stderr.isTTY ? 'tty' : 'plain', json ? (s) => process.stdout.write(s) : undefined)
    const controller = new AbortController()
    const queue = queueUrl ? await fleetQueue(queueUrl, store, values, retry, controller.signal, (message) => render({ type: 'note', message })) : undefined
    const stop = () => controller.abort()
    process.once('SIGINT', stop)
    try {
      const { title, titleDir } = await encodeTitle({
        source: source!,
        store,
        titleId: stringOption(values, 'title'),
        ladder,
        segmentDuration: numberOption(values, 'segment-duration', { min: 1, max: 30 }),
        segmentsPerChunk: numberOption(values, 'chunk-segments', { min: 1, max: 1000, integer: true }),
        concurrency: numberOption(values, 'jobs', { min: 1, max: 256, integer: true }),
        retry,
        ...(queue ? { queue } : {}),
        h264: {
          preset:
            choiceOption(values, 'preset', ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow'] as const) ??
            'veryfast',
        },
        codecs,
        presets: {
          hevc: stringOption(values, 'hevc-preset') ?? VIDEO_CODECS.hevc.defaultPreset,
          av1: stringOption(values, 'av1-preset') ?? VIDEO_CODECS.av1.defaultPreset,
        },
        ...(encoderFfmpeg ? { encoderFfmpeg } : {}),
        vmafModel: stringOption(values, 'vmaf-model'),
        targetQuality: numberOption(values, 'target-quality', { min: 0, max: 100 }),
        gate: numberOption(values, 'gate', { min: 0, max: 100 }),
        maxReencodes: numberOption(values, 'max-reencodes', { min: 0, max: 10, integer: true }),
        ...media,
        keepWork: values['keep-work'] === true,
        onEvent: render,
        signal: controller.signal,
      })
      if (json)
        process.stdout.write(
          `${JSON.stringify({ type: 'result', titleDir, title: { id: title.id, duration: title.duration, video: title.video.length, audio: title.audio.length, text: title.text?.length ?? 0 } })}\n`,
        )
      else console.log(ladderSummary(title, titleDir))
    } finally {
      process.off('SIGINT', stop)
    }
  },
}
