package plots

import (
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Roof is one roofline: a device at one precision.
type Roof struct {
	Name      string  // e.g. "H100 fp16"
	Hardware  string  // the device, e.g. "H100"; "" = the first word of Name
	Precision string  // e.g. "fp16"; "" = the rest of Name
	Peak      float64 // peak compute, FLOP/s, at the precision
	MemBW     float64 // memory bandwidth, B/s
}

func (r Roof) hardware() string {
	if r.Hardware != "" {
		return r.Hardware
	}
	hw, _, _ := strings.Cut(r.Name, " ")
	return hw
}

func (r Roof) precision() string {
	if r.Precision != "" || r.Hardware != "" {
		return r.Precision
	}
	_, prec, _ := strings.Cut(r.Name, " ")
	return prec
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

// Roofline draws log-log rooflines, one per device: the memory roof and one
// compute ceiling per precision in the data, in the device's colour, the
// precisions told apart by line style, with each ridge point marked. The
// configurations of a sweep are drawn at (arithmetic intensity, FLOP/s),
// coloured by a parameter. When that parameter is the hardware, a device's
// roofs take the colour of its points; otherwise the roofs are dark grey and
// named at their right end. Points are thinned to one per cell of a
// 240 × 180 log grid and category, so millions of rows draw as a few
// thousand markers.
//
// Build it in two passes: observe the extents of the intensity and
// achieved-performance columns, call NewRoofline, then Add every row.
type Roofline struct {
	Roofs   []Roof
	ColorBy string // the parameter the categories are values of ("hardware")
	Cats    Categories
	// Note, if set, is added to the footnote (how the points were placed).
	Note string

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

// precisionOrder ranks precisions from the widest to the narrowest: the
// line style of a precision is that of its rank among those present.
var precisionOrder = []string{"fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp6", "fp4", "int4"}

func precisionRank(p string) int {
	if i := slices.Index(precisionOrder, strings.ToLower(p)); i >= 0 {
		return i
	}
	return len(precisionOrder)
}

// Figure draws the roofline in style st.
func (r *Roofline) Figure(st Style) *Figure {
	g := r.thin.Grid
	sy := DisplayScale("", "FLOP/s", g.Y1)
	pl := newPlot(st)
	setAxis(&pl.X, Axis{Name: "arithmetic_intensity", Unit: "FLOP/B", Log: true}, Scale{1, "FLOP/B"})
	setAxis(&pl.Y, Axis{Name: "achieved", Label: "Performance (" + sy.Unit + ")", Log: true}, sy)
	pl.X.Min, pl.X.Max = g.X0, g.X1
	pl.Y.Min, pl.Y.Max = g.Y0*sy.Factor, g.Y1*sy.Factor
	fig := &Figure{Plot: pl, Style: st, scale: [2]float64{1, sy.Factor}}
	colors, shapes := r.Cats.Styles()
	catColor := func(k int) color.Color {
		if r.ColorBy == "" || k >= len(colors) {
			return OkabeIto[0]
		}
		return colors[k]
	}
	catShape := func(k int) draw.GlyphDrawer {
		if r.ColorBy == "" || k >= len(shapes) {
			return draw.CircleGlyph{}
		}
		return shapes[k]
	}
	byHW := r.ColorBy == "hardware"

	// Points first, so the roofs stay on top.
	pl.Add(scatterLayer{x: r.thin.X, y: scaled(r.thin.Y, sy.Factor), cat: r.thin.Cat,
		shape: draw.CircleGlyph{}, shapes: catShape, radius: 1.3, colors: func(k int) color.Color { return fade(catColor(k), 0.8) }})

	// The devices and the precisions present, in display order.
	var hws, precs []string
	for _, rf := range r.Roofs {
		if rf.Peak <= 0 || rf.MemBW <= 0 {
			continue
		}
		if !slices.Contains(hws, rf.hardware()) {
			hws = append(hws, rf.hardware())
		}
		if !slices.Contains(precs, rf.precision()) {
			precs = append(precs, rf.precision())
		}
	}
	slices.SortStableFunc(hws, r.Cats.Identity.Compare)
	slices.SortStableFunc(precs, func(a, b string) int {
		if c := precisionRank(a) - precisionRank(b); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	dashOf := func(prec string) []vg.Length { return dashes[slices.Index(precs, prec)%len(dashes)] }
	hwColor := func(hw string) color.Color {
		if byHW {
			return catColor(r.Cats.Code(hw))
		}
		return color.Gray{0x44}
	}
	labelStyle := draw.TextStyle{Font: font.From(st.Font, st.TickSize-1), Handler: pl.X.Tick.Label.Handler,
		XAlign: draw.XRight, YAlign: draw.YBottom, Color: color.Gray{0x22}}
	var labelled []float64 // heights of the direct labels drawn, in data units
	for _, hw := range hws {
		var mine []Roof
		for _, rf := range r.Roofs {
			if rf.Peak > 0 && rf.MemBW > 0 && rf.hardware() == hw {
				mine = append(mine, rf)
			}
		}
		c := hwColor(hw)
		// The memory roof, up to the highest ceiling.
		top := slices.MaxFunc(mine, func(a, b Roof) int { return cmpFloat(a.Peak, b.Peak) })
		mem := lineStyle(c, 1.1)
		pl.Add(polyline{x: []float64{g.X0, top.Ridge()}, y: []float64{top.Attainable(g.X0) * sy.Factor, top.Peak * sy.Factor}, style: mem, noRng: true})
		// One ceiling per precision, widest last so that it shows where
		// precisions share a peak.
		slices.SortStableFunc(mine, func(a, b Roof) int { return precisionRank(b.precision()) - precisionRank(a.precision()) })
		for _, rf := range mine {
			ls := lineStyle(c, 1.1)
			ls.Dashes = dashOf(rf.precision())
			ridge := rf.Ridge()
			pl.Add(polyline{x: []float64{ridge, g.X1}, y: []float64{rf.Peak * sy.Factor, rf.Peak * sy.Factor}, style: ls, noRng: true})
			pl.Add(scatterLayer{x: []float64{ridge}, y: []float64{rf.Peak * sy.Factor}, cat: []int{0},
				shape: draw.PyramidGlyph{}, radius: 2.2, colors: func(int) color.Color { return c }})
		}
		if byHW {
			k := r.Cats.Code(hw)
			fig.AddLegend(hw, thumbLine{mem}, thumbGlyph{glyph(catShape(k), c, 2.0)})
			continue
		}
		// Not coloured by hardware: name the roof at its right end, above
		// the highest ceiling, unless a label is already there.
		y := top.Peak * sy.Factor
		if !slices.ContainsFunc(labelled, func(v float64) bool { return math.Abs(math.Log10(v/y)) < 0.12 }) {
			labelled = append(labelled, y)
			pl.Add(textLabel{x: g.X1, y: y, text: hw, style: labelStyle, dx: -2, dy: 0.8})
		}
	}
	if len(precs) > 1 || (len(precs) == 1 && precs[0] != "") {
		for _, p := range precs {
			ls := lineStyle(color.Gray{0x33}, 1.1)
			ls.Dashes = dashOf(p)
			fig.AddLegend(p, thumbLine{ls})
		}
	}
	if r.ColorBy != "" && !byHW {
		fig.AddLegend(r.ColorBy+":", thumbNone{})
		for _, k := range r.Cats.Sorted() {
			fig.AddLegend(r.Cats.Name(k), thumbGlyph{glyph(catShape(k), catColor(k), 2.0)})
		}
	}
	note := groupDigits(r.thin.N) + " configs"
	if r.Note != "" {
		note += " " + r.Note
	}
	fig.Footnote = note + "; ▲ ridge point"
	return fig
}
