import { DOMParser } from '@xmldom/xmldom'

/**
 * A real XML parse with positions, for MPDs: @xmldom/xmldom (already what
 * mpd-parser parses with) records each element's line, and lets us build an
 * XPath for every finding.
 */
export interface XmlProblem {
  line?: number
  message: string
}

/** Element line numbers recorded by xmldom's locator. */
export const lineOf = (n: Node): number | undefined => (n as Node & { lineNumber?: number }).lineNumber

/** xmldom reports unclosed and mismatched tags as warnings; for a linter they are well-formedness errors, so every report counts. */
export function parseXml(text: string): { doc: Document | null; problems: XmlProblem[] } {
  const problems: XmlProblem[] = []
  const note = (msg: unknown) => {
    const s = String(msg)
    const m = /line:\s*(\d+)/.exec(s)
    problems.push({
      ...(m ? { line: Number(m[1]) } : {}),
      message: s
        .replace(/\s*@#\[line:.*$/s, '')
        .split('\n')[0]!
        .trim(),
    })
  }
  const unbalanced = tagBalanceProblem(text)
  if (unbalanced) problems.push(unbalanced)
  let doc: Document | null = null
  try {
    doc = new DOMParser({ locator: {}, errorHandler: { warning: note, error: note, fatalError: note } }).parseFromString(text, 'text/xml')
  } catch (err) {
    note((err as Error).message)
  }
  if (!doc?.documentElement) return { doc: null, problems: problems.length ? problems : [{ message: 'no root element' }] }
  return { doc, problems }
}

/** Element children with a local name (namespaces ignored: MPDs use the default namespace). */
export function childElements(el: Element, name?: string): Element[] {
  const out: Element[] = []
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (!name || (n as Element).localName === name)) out.push(n as Element)
  }
  return out
}

/** /MPD/Period[1]/AdaptationSet[2]/Representation[1], optionally /@attr. */
export function xpathOf(el: Element, attr?: string): string {
  const steps: string[] = []
  for (let n: Element | null = el; n && n.nodeType === 1; n = n.parentNode as Element | null) {
    const parent = n.parentNode
    if (parent?.nodeType !== 1) {
      steps.unshift(n.localName)
      break
    }
    const same = childElements(parent as Element, n.localName)
    steps.unshift(`${n.localName}[${same.indexOf(n) + 1}]`)
  }
  return `/${steps.join('/')}${attr ? `/@${attr}` : ''}`
}

export const attrOf = (el: Element, name: string): string | undefined => (el.hasAttribute(name) ? el.getAttribute(name)! : undefined)

/** Every descendant element with a local name, in document order. */
export function descendants(el: Element, name: string): Element[] {
  const out: Element[] = []
  for (const c of childElements(el)) {
    if (c.localName === name) out.push(c)
    out.push(...descendants(c, name))
  }
  return out
}

const TOKEN = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>|<(\/?)([A-Za-z_][\w:.-]*)(?:[^>"']|"[^"]*"|'[^']*')*?(\/?)>/g

/**
 * Start and end tags must nest (XML 1.0 §3, element well-formedness). xmldom
 * closes a forgotten end tag silently when an ancestor's end tag comes, as an
 * HTML parser would; a linter must not.
 */
export function tagBalanceProblem(text: string): XmlProblem | null {
  const stack: Array<{ name: string; line: number }> = []
  let line = 1
  let last = 0
  const lineAt = (i: number) => {
    for (; last < i; last++) if (text.charCodeAt(last) === 10) line++
    return line
  }
  const re = new RegExp(TOKEN)
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const name = m[2]
    if (!name || m[3]) continue
    const at = lineAt(m.index)
    if (!m[1]) {
      stack.push({ name, line: at })
      continue
    }
    const open = stack.pop()
    if (!open) return { line: at, message: `end tag </${name}> has no start tag` }
    if (open.name !== name) return { line: at, message: `end tag </${name}> does not match <${open.name}> opened on line ${open.line}` }
  }
  const open = stack.pop()
  return open ? { line: open.line, message: `<${open.name}> is never closed` } : null
}
