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

export function parseXml(text: string): { doc: Document | null; problems: XmlProblem[] } {
  const problems: XmlProblem[] = []
  const note = (msg: unknown) => {
    const s = String(msg)
    const m = /line:\s*(\d+)/.exec(s)
    problems.push({ ...(m ? { line: Number(m[1]) } : {}), message: s.replace(/\s*@#\[line:.*$/s, '').split('\n')[0]!.trim() })
  }
  let doc: Document | null = null
  try {
    doc = new DOMParser({ locator: {}, errorHandler: { warning: () => undefined, error: note, fatalError: note } }).parseFromString(text, 'text/xml')
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
    if (!parent || parent.nodeType !== 1) {
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
