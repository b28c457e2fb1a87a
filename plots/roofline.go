package plots

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Roof is one roofline: a device at one precision.
type Roof struct {
	Name  string  // e.g. "H100 fp16"
	Peak  float64 // peak compute, FLOP/s, at the precision
	MemBW float64 // memory bandwidth, B/s
}

// Ridge returns the ridge point, the arithmetic intensity where the roofs
// meet, in FLOP/B:
//
//	I* = P / B
func (r Roof) Ridge() float64 { return r.Peak / r.MemBW }

// Attainable returns the attainable performance at arithmetic intensity ai
// (FLOP/B), in FLOP/s (Williams, Waterman and Patterson 2009):
//
//	P(I) = min(I·B, P_peak)
func (r Roof) Attainable(ai float64) float64 { return math.Min(ai*r.MemBW, r.Peak) }

// Roofline draws log-log rooflines, one per device and precision, with each
// ridge point marked, and the configurations of a sweep at (arithmetic
// intensity, achieved FLOP/s), coloured by a parameter or by bottleneck.
// Points are thinned to one per cell of a 240 × 180 log grid and category,
// so millions of rows draw as a few thousand markers.
//
// Build it in two passes: observe the extents of the intensity and
// achieved-performance columns, call NewRoofline, then Add every row.
type Roofline struct {
	Roofs   []Roof
	ColorBy string // the parameter the categories are values of ("bottleneck")
	Cats    Categories
	// RoofCategory, if set, gives for each roof the category whose colour
	// it takes (its hardware, when ColorBy is "hardware"); other roofs are
	// black with distinct dash patterns.
	RoofCategory []string

	thin *Thin
}

// NewRoofline returns a roofline over the extents of the arithmetic
// intensity (FLOP/B) and achieved performance (FLOP/s) of the points; the
// range is widened to show every roof's ridge and peak.
func NewRoofline(roofs []Roof, ai, perf Extent) *Roofline {
	ai.Log, perf.Log = true, true
	for _, r := range roofs {
		if r.Peak <= 0 || r.MemBW <= 0 {
			continue
		}
		ai.Observe(r.Ridge() / 8)
		ai.Observe(r.Ridge() * 8)
		perf.Observe(r.Peak * 1.6)
	}
	if ai.N > 0 {
		for _, r := range roofs {
			if r.Peak > 0 && r.MemBW > 0 {
				perf.Observe(r.Attainable(ai.Min))
			}
		}
	}
	return &Roofline{Roofs: roofs, thin: NewThin(NewGrid(ai, perf, 240, 180))}
}

// Add adds a configuration at arithmetic intensity ai (FLOP/B) and achieved
// performance perf (FLOP/s) whose colour parameter has the value cat.
func (r *Roofline) Add(ai, perf float64, cat string) {
	k := 0
	if r.ColorBy != "" {
		k = r.Cats.Code(cat)
	}
	r.thin.Add(ai, perf, k)
}

// Points returns the number of points added inside the figure's range.
func (r *Roofline) Points() int64 { return r.thin.N }

var dashes = [][]vg.Length{nil, {4, 2}, {1.5, 1.5}, {5, 1.5, 1.5, 1.5}, {2.5, 2.5}, {6, 2}}

// Figure draws the roofline in style st.
func (r *Roofline) Figure(st Style) *Figure {
	g := r.thin.Grid
	sy := DisplayScale("", "FLOP/s", g.Y1)
	pl := newPlot(st)
	setAxis(&pl.X, Axis{Name: "arithmetic_intensity", Unit: "FLOP/B", Log: true}, Scale{1, "FLOP/B"})
	setAxis(&pl.Y, Axis{Name: "achieved", Label: "Performance (" + sy.Unit + ")", Log: true}, sy)
	pl.X.Min, pl.X.Max = g.X0, g.X1
	pl.Y.Min, pl.Y.Max = g.Y0*sy.Factor, g.Y1*sy.Factor
	fig := &Figure{Plot: pl, Style: st}
	catColor := func(k int) color.Color {
		if r.ColorBy == "" {
			return OkabeIto[0]
		}
		return CategoryColor(k)
	}

	// Points first, so the roofs stay on top.
	pl.Add(scatterLayer{x: r.thin.X, y: scaled(r.thin.Y, sy.Factor), cat: r.thin.Cat,
		shape: draw.CircleGlyph{}, radius: 1.3, colors: func(k int) color.Color { return fade(catColor(k), 0.8) }})

	for i, rf := range r.Roofs {
		if rf.Peak <= 0 || rf.MemBW <= 0 {
			continue
		}
		ls := lineStyle(color.Black, 1.1)
		ls.Dashes = dashes[i%len(dashes)]
		if i < len(r.RoofCategory) && r.ColorBy != "" && r.RoofCategory[i] != "" {
			ls.Color = catColor(r.Cats.Code(r.RoofCategory[i]))
			ls.Dashes = nil
		}
		ridge := rf.Ridge()
		x := []float64{g.X0, ridge, g.X1}
		y := []float64{rf.Attainable(g.X0) * sy.Factor, rf.Peak * sy.Factor, rf.Peak * sy.Factor}
		pl.Add(polyline{x: x, y: y, style: ls, noRng: true})
		pl.Add(scatterLayer{x: []float64{ridge}, y: []float64{rf.Peak * sy.Factor}, cat: []int{0},
			shape: draw.PyramidGlyph{}, radius: 2.4, colors: func(int) color.Color { return ls.Color }})
		// The roof's name and ridge go in the legend: text on the roofs
		// collides when they are close.
		fig.AddLegend(fmt.Sprintf("%s, ridge %s", rf.Name, strconv.FormatFloat(ridge, 'f', 0, 64)), thumbLine{ls})
	}
	if r.ColorBy != "" {
		fig.AddLegend(r.ColorBy+":", thumbNone{})
		for _, k := range r.Cats.Sorted() {
			fig.AddLegend(r.Cats.Name(k), thumbGlyph{glyph(draw.CircleGlyph{}, catColor(k), 2.2)})
		}
	}
	fig.Footnote = fmt.Sprintf("%s configs; ▲ ridge point (FLOP/B)", groupDigits(r.thin.N))
	return fig
}
