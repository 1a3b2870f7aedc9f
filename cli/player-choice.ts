import type { PlayerChoice } from '../sim/index.js'
import type { OptionSpec, OptionValues } from './command.js'
import { stringOption, usageError } from './command.js'

/**
 * What a simulated player decodes and fetches beside the video: shared by `oclab sim` and `oclab load`. The
 * profiles are spelled out here rather than read from sim/manifest/device.ts so that `oclab load --help` does not
 * load the simulator; test/sim/device.test.ts holds the two to the same list.
 */
export const playerChoiceSpecs: Record<string, OptionSpec> = {
  device: {
    type: 'string',
    arg: '<chrome|safari|tv-2020|legacy>',
    help: "the device the player runs on; it plays the first codec it decodes that the title offers (chrome: av1, h264; safari: hevc, h264; tv-2020: av1, hevc, h264; legacy: h264). Default: the title's main codec",
  },
  codecs: { type: 'string', arg: '<av1,h264,…>', help: 'the codecs the device decodes, best first, instead of --device' },
  'audio-lang': {
    type: 'string',
    arg: '<lang>',
    help: 'fetch the audio rendition in this language (RFC 4647 range: en matches en-GB); default the first (DEFAULT) one',
  },
  'no-audio': { type: 'boolean', help: 'fetch video only (title.json input fetches audio by default, as a player does)' },
  subtitles: { type: 'string', arg: '<lang>', help: 'also fetch the subtitles in this language (segmented WebVTT) on the same link' },
}

export async function playerChoice(values: OptionValues): Promise<PlayerChoice> {
  const device = stringOption(values, 'device')
  const codecs = stringOption(values, 'codecs')
  if (device && codecs) throw usageError('give --device or --codecs, not both')
  const lang = stringOption(values, 'audio-lang')
  if (lang && values['no-audio'] === true) throw usageError('give --audio-lang or --no-audio, not both')
  const subtitles = stringOption(values, 'subtitles')
  const { deviceCodecs, parseCodecList } = await import('../sim/index.js')
  return {
    ...(device ? { decodes: deviceCodecs(device), device: `device "${device}"` } : {}),
    ...(codecs ? { decodes: parseCodecList(codecs), device: `--codecs ${codecs}` } : {}),
    ...(values['no-audio'] === true ? { audio: false } : lang ? { audio: lang } : {}),
    ...(subtitles ? { subtitles } : {}),
  }
}
