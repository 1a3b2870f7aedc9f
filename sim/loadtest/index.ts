/** sim/loadtest's public API: what other stages and cli/ may use. */
export { bars, esc } from './charts.js'
export { consolePoster } from './console-post.js'
export { parseFault } from './faults.js'
export { type LoadOptions, type LoadProgress, type LoadReport, runLoad } from './harness.js'
export { loadHtml, REPORT_STYLE, timelineCharts } from './html-report.js'
export { formatLoadReport, progressLine } from './report.js'
