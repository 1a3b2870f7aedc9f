import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { repoRoot } from '../lib/repo-root.js'

const PAGE = join(repoRoot, 'console', 'public', 'console.html')

export interface PageOptions {
  /** how often the page polls the console's API, ms */
  refreshMs: number
}

/**
 * The console page: console/public/console.html (plain HTML, CSS and
 * script, no build step, no library but hls.js from /lib/) with its settings
 * filled in.
 */
export async function consolePage(o: PageOptions): Promise<string> {
  const html = await readFile(PAGE, 'utf8')
  return html.replace('__CONSOLE_SETTINGS__', JSON.stringify({ refreshMs: o.refreshMs }))
}
