package plots

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Agg reduces the values of one output that share a figure position (a
// line point, a heatmap cell) over the parameters the figure does not show.
type Agg uint8

// The reductions.
const (
	AggMin  Agg = iota // the best of a minimised output (latency)
	AggMax             // the best of a maximised output (throughput)
	AggMean            // the arithmetic mean
)

// ParseAgg maps "min", "max" or "mean" to an Agg.
func ParseAgg(s string) (Agg, error) {
	switch strings.ToLower(s) {
	case "min":
		return AggMin, nil
	case "max":
		return AggMax, nil
	case "mean":
		return AggMean, nil
	}
	return 0, fmt.Errorf("aggregate %q is not min, max or mean", s)
}

func (a Agg) String() string { return [...]string{"min", "max", "mean"}[a] }

// acc accumulates one aggregate, and the error band of the value it
// keeps: the band of the row that gave the min or max, the mean of the
// bands for a mean (bands of rows that have one).
type acc struct {
	v      float64
	sum    float64
	n      int64
	lo, hi float64 // the kept row's band (min, max); sums (mean)
	nb     int64   // rows with a band (mean)
}

func (a *acc) add(agg Agg, v float64) { a.addBand(agg, v, math.NaN(), math.NaN()) }

func (a *acc) addBand(agg Agg, v, lo, hi float64) {
	band := !math.IsNaN(lo) && !math.IsNaN(hi)
	if a.n == 0 {
		a.v, a.lo, a.hi = v, math.NaN(), math.NaN()
		if agg != AggMean {
			a.lo, a.hi = lo, hi
		}
	}
	switch agg {
	case AggMin, AggMax:
		if (agg == AggMin && v < a.v) || (agg == AggMax && v > a.v) {
			a.v, a.lo, a.hi = v, lo, hi
		}
	case AggMean:
		if band {
			if a.nb == 0 {
				a.lo, a.hi = 0, 0
			}
			a.lo, a.hi = a.lo+lo, a.hi+hi
			a.nb++
		}
	}
	a.sum += v
	a.n++
}

// band returns the kept value's band, NaN where it has none.
func (a *acc) band(agg Agg) (lo, hi float64) {
	if agg == AggMean {
		if a.nb == 0 {
			return math.NaN(), math.NaN()
		}
		return a.lo / float64(a.nb), a.hi / float64(a.nb)
	}
	return a.lo, a.hi
}

func (a *acc) value(agg Agg) float64 {
	if agg == AggMean {
		return a.sum / float64(a.n)
	}
	return a.v
}

// Lines draws an output against a parameter, one line per value of a group
// parameter: for each group and x, the output reduced by Agg over the rows
// that share them (the best latency at each batch size, per hardware). It
// takes rows one at a time and keeps one aggregate per (group, x).
//
// The x axis is logarithmic when the parameter's values are a power series
// (positive, spanning a factor of 16 or more), with ticks at the values
// themselves when there are at most 12; the y axis when the values span
// more than two decades.
type Lines struct {
	X, Y  Axis
	Group string // the group parameter; "" = one line
	Agg   Agg
	Limit int // most lines drawn (default 7, or MaxIdentities with an Identity); further groups are dropped and counted
	// Identity, if set, orders and styles the lines by the ranks of their
	// groups, shared by the figures of a run.
	Identity *Identity
	// Ideal draws, for each line, the ideal scaling from its first point
	// (x₀, y₀) as a thin dashed line: y₀·x/x₀ when Ideal > 0 (throughput
	// against GPUs), y₀·x₀/x when Ideal < 0 (time against GPUs).
	Ideal int
	// bands is set once a row came with an error band (AddBand): each
	// point then draws its band as an error bar.
	bands  bool
	groups []string
	byKey  map[string]int
	points []map[float64]*acc
	drop   map[string]bool
	n      int64
}

// NewLines returns an empty line figure of y against x.
func NewLines(x, y Axis, group string, agg Agg) *Lines {
	return &Lines{X: x, Y: y, Group: group, Agg: agg, Limit: len(OkabeIto), byKey: map[string]int{}, drop: map[string]bool{}}
}

// Add adds a row: parameter value x, output value y, group value group.
// Rows with a non-finite x or y are skipped.
func (l *Lines) Add(x, y float64, group string) { l.AddBand(x, y, math.NaN(), math.NaN(), group) }

// AddBand adds a row whose output has an error band [lo, hi] (the
// calibrated fidelity's latency_s_lo, latency_s_hi): each point of the
// figure draws the band of the row its aggregate kept (min, max) or the
// mean band (mean) as a vertical error bar. A NaN, infinite or inverted
// band is none.
func (l *Lines) AddBand(x, y, lo, hi float64, group string) {
	if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
		return
	}
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) || !(lo <= hi) {
		lo, hi = math.NaN(), math.NaN()
	}
	k, ok := l.byKey[group]
	if !ok {
		if l.Identity != nil && l.Limit == len(OkabeIto) {
			l.Limit = MaxIdentities
		}
		if len(l.groups) >= l.Limit {
			l.drop[group] = true
			return
		}
		k = len(l.groups)
		l.byKey[group] = k
		l.groups = append(l.groups, group)
		l.points = append(l.points, map[float64]*acc{})
	}
	a := l.points[k][x]
	if a == nil {
		a = &acc{}
		l.points[k][x] = a
	}
	a.addBand(l.Agg, y, lo, hi)
	l.bands = l.bands || !math.IsNaN(lo)
	l.n++
}

// Rows returns the number of rows added (and drawn).
func (l *Lines) Rows() int64 { return l.n }

// Series returns the sorted x values, aggregated y values and their
// bands (NaN: none) of group k.
func (l *Lines) series(k int) (xs, ys, los, his []float64) {
	for x := range l.points[k] {
		xs = append(xs, x)
	}
	slices.Sort(xs)
	ys, los, his = make([]float64, len(xs)), make([]float64, len(xs)), make([]float64, len(xs))
	for i, x := range xs {
		a := l.points[k][x]
		ys[i] = a.value(l.Agg)
		los[i], his[i] = a.band(l.Agg)
	}
	return xs, ys, los, his
}

var lineShapes = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.BoxGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{}, draw.RingGlyph{}}

// Figure draws the lines in style st.
func (l *Lines) Figure(st Style) *Figure {
	var xe, ye Extent
	xset := map[float64]bool{}
	order := groupOrder(l.groups, l.Identity)
	type ser struct{ x, y, lo, hi []float64 }
	all := make([]ser, len(l.groups))
	for k := range l.groups {
		xs, ys, los, his := l.series(k)
		all[k] = ser{xs, ys, los, his}
		for i := range xs {
			xe.Observe(xs[i])
			ye.Observe(ys[i])
			if !math.IsNaN(los[i]) {
				ye.Observe(los[i])
				ye.Observe(his[i])
			}
			xset[xs[i]] = true
		}
	}
	xa, ya := l.X, l.Y
	if !xa.Log && xe.N > 0 && xe.Min > 0 && xe.Max/xe.Min >= 16 {
		xa.Log = true
	}
	if !ya.Log && ye.N > 0 && ye.Min > 0 && ye.Max/ye.Min > 100 {
		ya.Log = true
	}
	sx := DisplayScale(xa.Name, xa.Unit, math.Max(math.Abs(xe.Min), math.Abs(xe.Max)))
	sy := DisplayScale(ya.Name, ya.Unit, math.Max(math.Abs(ye.Min), math.Abs(ye.Max)))
	pl := newPlot(st)
	setAxis(&pl.X, xa, sx)
	setAxis(&pl.Y, ya, sy)
	if len(xset) <= 12 && len(xset) > 0 {
		var ticks plot.ConstantTicks
		for x := range xset {
			ticks = append(ticks, plot.Tick{Value: x * sx.Factor, Label: shortNumber(x * sx.Factor)})
		}
		slices.SortFunc(ticks, func(a, b plot.Tick) int { return cmpFloat(a.Value, b.Value) })
		pl.X.Tick.Marker = ticks
	}
	xlo, xhi := (&Extent{Min: xe.Min, Max: xe.Max, N: xe.N, Log: xa.Log}).padded()
	pl.X.Min, pl.X.Max = xlo*sx.Factor, xhi*sx.Factor
	ylo, yhi := (&Extent{Min: ye.Min, Max: ye.Max, N: ye.N, Log: ya.Log}).padded()
	pl.Y.Min, pl.Y.Max = ylo*sy.Factor, yhi*sy.Factor
	fig := &Figure{Plot: pl, Style: st, scale: [2]float64{sx.Factor, sy.Factor}}
	for i, k := range order {
		c, shape := CategoryColor(i), lineShapes[i%len(lineShapes)]
		r := i
		if l.Identity != nil {
			if ir, ok := l.Identity.Rank(l.groups[k]); ok {
				r = ir
			} else {
				r = l.Identity.Len() + i
			}
			c, shape = RankStyle(r)
		}
		ls := lineStyle(c, 1.2)
		ls.Dashes = dashes[r%len(dashes)]
		s := all[k]
		xs, ys := scaled(s.x, sx.Factor), scaled(s.y, sy.Factor)
		pl.Add(polyline{x: xs, y: ys, style: ls})
		if l.Ideal != 0 && len(xs) > 1 && xs[0] > 0 {
			ix, iy := make([]float64, len(xs)), make([]float64, len(xs))
			for j := range xs {
				ix[j], iy[j] = xs[j], ys[0]*xs[j]/xs[0]
				if l.Ideal < 0 {
					iy[j] = ys[0] * xs[0] / xs[j]
				}
			}
			ils := lineStyle(fade(c, 0.7), 0.6)
			ils.Dashes = []vg.Length{1.5, 1.5}
			pl.Add(polyline{x: ix, y: iy, style: ils, noRng: true})
		}
		if l.bands {
			bs := lineStyle(c, 0.8)
			for j := range xs {
				if lo, hi := s.lo[j], s.hi[j]; !math.IsNaN(lo) {
					pl.Add(polyline{x: []float64{xs[j], xs[j]}, y: []float64{lo * sy.Factor, hi * sy.Factor}, style: bs})
				}
			}
		}
		cats := make([]int, len(xs))
		pl.Add(scatterLayer{x: xs, y: ys, cat: cats, shape: shape, radius: 1.8, colors: func(int) color.Color { return c }})
		if l.Group != "" {
			fig.AddLegend(l.groups[k], thumbLine{ls}, thumbGlyph{glyph(shape, c, 1.8)})
		}
	}
	note := fmt.Sprintf("%s of %s rows", l.Agg, groupDigits(l.n))
	if len(l.drop) > 0 {
		note += fmt.Sprintf("; %d more %s not shown", len(l.drop), l.Group)
	}
	if l.Group != "" {
		note = "by " + l.Group + "; " + note
	}
	if l.Ideal != 0 {
		note += "; thin: ideal scaling"
	}
	if l.bands {
		note += "; bars: error band"
	}
	fig.Footnote = note
	return fig
}

// groupOrder returns group positions sorted by their rank in id, else by
// label (numerically when all are numbers).
func groupOrder(labels []string, id *Identity) []int {
	c := Categories{Identity: id}
	c.Limit = len(labels) + 1
	for _, l := range labels {
		c.Code(l)
	}
	return c.Sorted()
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
