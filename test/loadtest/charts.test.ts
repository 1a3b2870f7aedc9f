import t from 'tap'
import { bars, esc, lineChart, linePath, plotBox, scaleLinear } from '../../sim/loadtest/charts.js'

const coords = (d: string) => [...d.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const)
const paths = (svg: string) => [...svg.matchAll(/<path d="([^"]*)"/g)].map((m) => m[1]!)

t.test('scaleLinear maps the domain onto the range, a flat domain onto its start', async (t) => {
  const s = scaleLinear([0, 10], [100, 200])
  t.equal(s(0), 100)
  t.equal(s(5), 150)
  t.equal(s(10), 200)
  const inv = scaleLinear([0, 4], [180, 20])
  t.equal(inv(1), 140, 'y axes run downwards')
  t.equal(scaleLinear([3, 3], [7, 9])(3), 7)
})

t.test('linePath breaks the line at null and NaN', async (t) => {
  const id = (x: number) => x
  t.equal(
    linePath(
      [
        [0, 1],
        [1, 2],
        [2, 3],
      ],
      id,
      id,
    ),
    'M0.0,1.0L1.0,2.0L2.0,3.0',
  )
  t.equal(
    linePath(
      [
        [0, 1],
        [1, null],
        [2, 3],
        [3, Number.NaN],
        [4, 5],
        [5, 6],
      ],
      id,
      id,
    ),
    'M0.0,1.0M2.0,3.0M4.0,5.0L5.0,6.0',
  )
  t.equal(linePath([], id, id), '')
  t.equal(linePath([[0, null]], id, id), '')
})

t.test('lineChart scales every point into the plot box, the extremes onto its edges', async (t) => {
  const box = plotBox(640, 200)
  const svg = lineChart({
    title: 'req/s',
    unit: 'req/s',
    series: [
      {
        name: 'a',
        points: [
          [0, 0],
          [5, 50],
          [10, 100],
        ],
      },
    ],
  })
  t.match(svg, /^<h3>req\/s<\/h3><svg[^>]*width="640" height="200"/)
  const pts = coords(paths(svg)[0]!)
  t.equal(pts.length, 3)
  for (const [x, y] of pts) t.ok(x >= box.x0 && x <= box.x1 && y >= box.y0 && y <= box.y1, `${x},${y} inside`)
  t.equal(pts[0]![0], box.x0, 'first x on the left edge')
  t.equal(pts[2]![0], box.x1, 'last x on the right edge')
  t.equal(pts[0]![1], box.y1, 'zero on the bottom')
  // the y axis tops out 5% above the largest value
  t.ok(Math.abs(pts[2]![1] - (box.y1 - (box.y1 - box.y0) / 1.05)) < 0.1)
  t.ok(pts[1]![1] < pts[0]![1] && pts[1]![1] > pts[2]![1], 'larger values higher up')
})

t.test('lineChart: gaps, several series, markers with labels, escaping', async (t) => {
  const svg = lineChart({
    title: 'latency <ms>',
    unit: 'ms',
    series: [
      {
        name: 'p50',
        points: [
          [0, 1],
          [1, null],
          [2, 3],
        ],
      },
      {
        name: 'p99',
        points: [
          [0, 4],
          [1, 5],
          [2, 6],
        ],
      },
    ],
    markers: [{ x: 1, label: 'kill:oca-1@1' }],
  })
  const [p50, p99] = paths(svg)
  t.equal(p50!.split('M').length - 1, 2, 'the null splits p50 into two pieces')
  t.equal(p99!.split('M').length - 1, 1)
  t.match(svg, /stroke-dasharray[^>]*\/><text[^>]*>kill:oca-1@1<\/text>/, 'a dashed marker with its label')
  const box = plotBox()
  const mx = Number(/<line x1="([\d.]+)" x2="\1" y1="22"/.exec(svg)![1])
  t.ok(Math.abs(mx - (box.x0 + box.x1) / 2) < 0.1, 'the marker sits at x=1 of 0..2')
  t.match(svg, /latency &lt;ms&gt;/)
  t.notMatch(svg, /<ms>/)
})

t.test('lineChart with no data says so and draws no line', async (t) => {
  for (const series of [
    [],
    [{ name: 'x', points: [] }],
    [
      {
        name: 'x',
        points: [
          [0, null],
          [1, Number.NaN],
        ] as Array<[number, number | null]>,
      },
    ],
  ]) {
    const svg = lineChart({ title: 'empty', unit: '', series })
    t.match(svg, /<svg[^>]*>.*no data.*<\/svg>$/)
    t.equal(paths(svg).length, 0)
  }
})

t.test('bars are as long as their share of the largest value', async (t) => {
  const svg = bars(
    'MB per OCA',
    [
      ['a', 10],
      ['b <c>', 5],
    ],
    'MB',
  )
  const widths = [...svg.matchAll(/<rect[^>]*width="([\d.]+)"/g)].map((m) => Number(m[1]))
  t.same(widths, [360, 180])
  t.match(svg, /b &lt;c&gt;/)
  t.equal(esc('"&"'), '&quot;&amp;&quot;')
})
