package plots

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Heatmap draws an output over two parameters (tp × pp → step time,
// precision × hardware → ITL): one cell per pair of parameter values,
// coloured on a colour-blind-safe sequential ramp (logarithmic when the
// values span more than a factor of 20) and with the value printed in it.
// A cell holds the output reduced by Agg over the rows that share the pair;
// pairs without a row are grey. An axis is numeric (Add: values in numeric
// order) or categorical (AddLabels: values in order of first sight, which
// is the sweep file's order). At most MaxValues distinct values per axis
// are kept (default 24).
type Heatmap struct {
	X, Y, Z   Axis
	Agg       Agg
	MaxValues int

	cells  map[[2]string]*acc
	xs, ys axisValues
	n      int64
	drop   int64
}

// axisValues are the distinct values of a heatmap axis, by label.
type axisValues struct {
	index   map[string]int
	labels  []string
	nums    []float64
	numeric bool // every value came from Add
}

func (a *axisValues) has(l string) bool { _, ok := a.index[l]; return ok }

func (a *axisValues) add(l string, v float64, numeric bool) {
	if a.index == nil {
		a.index = map[string]int{}
		a.numeric = true
	}
	if a.has(l) {
		return
	}
	a.index[l] = len(a.labels)
	a.labels = append(a.labels, l)
	a.nums = append(a.nums, v)
	a.numeric = a.numeric && numeric
}

// order returns the labels in display order: numeric order for a numeric
// axis, else order of first sight.
func (a *axisValues) order() []string {
	ks := make([]int, len(a.labels))
	for i := range ks {
		ks[i] = i
	}
	if a.numeric {
		slices.SortStableFunc(ks, func(x, y int) int { return cmpFloat(a.nums[x], a.nums[y]) })
	}
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = a.labels[k]
	}
	return out
}

// NewHeatmap returns an empty heatmap of z over x and y.
func NewHeatmap(x, y, z Axis, agg Agg) *Heatmap {
	return &Heatmap{X: x, Y: y, Z: z, Agg: agg, MaxValues: 24, cells: map[[2]string]*acc{}}
}

// Add adds a row with numeric parameter values x, y and output z. Rows with
// a non-finite value are skipped, as are rows that would add an axis value
// beyond MaxValues.
func (h *Heatmap) Add(x, y, z float64) {
	if math.IsNaN(x) || math.IsNaN(y) {
		return
	}
	h.add(strconv.FormatFloat(x, 'g', 6, 64), x, true, strconv.FormatFloat(y, 'g', 6, 64), y, true, z)
}

// AddLabels adds a row with categorical parameter values x, y (hardware
// names, precisions) and output z.
func (h *Heatmap) AddLabels(x, y string, z float64) {
	h.add(x, 0, false, y, 0, false, z)
}

// AddMixed adds a row whose x and y are each a label or a number: a
// non-empty label makes the value categorical.
func (h *Heatmap) AddMixed(xl string, x float64, yl string, y float64, z float64) {
	xn, yn := xl == "", yl == ""
	if xn {
		if math.IsNaN(x) {
			return
		}
		xl = strconv.FormatFloat(x, 'g', 6, 64)
	}
	if yn {
		if math.IsNaN(y) {
			return
		}
		yl = strconv.FormatFloat(y, 'g', 6, 64)
	}
	h.add(xl, x, xn, yl, y, yn, z)
}

func (h *Heatmap) add(xl string, x float64, xn bool, yl string, y float64, yn bool, z float64) {
	if math.IsNaN(z) || math.IsInf(z, 0) {
		return
	}
	if (!h.xs.has(xl) && len(h.xs.labels) >= h.MaxValues) || (!h.ys.has(yl) && len(h.ys.labels) >= h.MaxValues) {
		h.drop++
		return
	}
	h.xs.add(xl, x, xn)
	h.ys.add(yl, y, yn)
	k := [2]string{xl, yl}
	a := h.cells[k]
	if a == nil {
		a = &acc{}
		h.cells[k] = a
	}
	a.add(h.Agg, z)
	h.n++
}

// heatLayer draws the cells at integer positions.
type heatLayer struct {
	xs, ys []string
	val    map[[2]string]float64
	lo, hi float64
	log    bool
	factor float64
	text   draw.TextStyle
}

func (l heatLayer) frac(v float64) float64 {
	if l.hi == l.lo {
		return 0.5
	}
	if l.log {
		return (math.Log(v) - math.Log(l.lo)) / (math.Log(l.hi) - math.Log(l.lo))
	}
	return (v - l.lo) / (l.hi - l.lo)
}

func (l heatLayer) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for i, x := range l.xs {
		for j, y := range l.ys {
			r := vg.Rectangle{
				Min: vg.Point{X: trX(float64(i) - 0.5), Y: trY(float64(j) - 0.5)},
				Max: vg.Point{X: trX(float64(i) + 0.5), Y: trY(float64(j) + 0.5)},
			}
			v, ok := l.val[[2]string{x, y}]
			if !ok {
				c.SetColor(color.Gray{0xF2})
				c.Fill(r.Path())
				continue
			}
			t := l.frac(v)
			c.SetColor(Sequential(t))
			c.Fill(r.Path())
			ts := l.text
			ts.Color = color.Black
			if t < 0.55 { // dark end of the ramp
				ts.Color = color.White
			}
			label := shortNumber(v * l.factor)
			if ts.Width(label) > (r.Max.X-r.Min.X)*0.95 {
				ts.Font.Size *= 0.8
			}
			if ts.Width(label) <= (r.Max.X-r.Min.X)*0.98 && ts.Height(label) <= (r.Max.Y-r.Min.Y) {
				c.FillText(ts, vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: (r.Min.Y + r.Max.Y) / 2}, label)
			}
		}
	}
	// Cell borders in white keep the grid readable in grey-scale print.
	ls := lineStyle(color.White, 0.6)
	for i := 0; i <= len(l.xs); i++ {
		x := trX(float64(i) - 0.5)
		c.StrokeLine2(ls, x, trY(-0.5), x, trY(float64(len(l.ys))-0.5))
	}
	for j := 0; j <= len(l.ys); j++ {
		y := trY(float64(j) - 0.5)
		c.StrokeLine2(ls, trX(-0.5), y, trX(float64(len(l.xs))-0.5), y)
	}
}

func (l heatLayer) DataRange() (xmin, xmax, ymin, ymax float64) {
	return -0.5, float64(len(l.xs)) - 0.5, -0.5, float64(len(l.ys)) - 0.5
}

// Figure draws the heatmap in style st. The output's name, unit and
// reduction are in the legend strip with a colour bar.
func (h *Heatmap) Figure(st Style) *Figure {
	xs, ys := h.xs.order(), h.ys.order()
	if !h.ys.numeric {
		// Categories read from the top down, in the sweep file's order.
		slices.Reverse(ys)
	}
	val := make(map[[2]string]float64, len(h.cells))
	var ze Extent
	for k, a := range h.cells {
		v := a.value(h.Agg)
		val[k] = v
		ze.Observe(v)
	}
	sz := DisplayScale(h.Z.Name, h.Z.Unit, math.Max(math.Abs(ze.Min), math.Abs(ze.Max)))
	log := ze.N > 0 && ze.Min > 0 && ze.Max/ze.Min > 20
	pl := newPlot(st)
	setAxis(&pl.X, h.X, Scale{1, ""})
	setAxis(&pl.Y, h.Y, Scale{1, ""})
	pl.X.Tick.Marker = indexTicks(xs)
	pl.Y.Tick.Marker = indexTicks(ys)
	// Category names too wide for their cells are set at 45°.
	var widest vg.Length
	for _, l := range xs {
		widest = max(widest, pl.X.Tick.Label.Width(l))
	}
	if widest > 0 && vg.Length(len(xs))*widest > 0.8*(st.Width-1.3*vg.Inch) {
		pl.X.Tick.Label.Rotation = math.Pi / 4
		pl.X.Tick.Label.XAlign, pl.X.Tick.Label.YAlign = draw.XRight, draw.YTop
	}
	pl.X.Tick.Length, pl.Y.Tick.Length = 0, 0
	pl.X.LineStyle.Width, pl.Y.LineStyle.Width = 0, 0
	pl.X.Padding, pl.Y.Padding = 0, 0
	text := draw.TextStyle{Font: font.From(st.Font, st.TickSize-0.5), Handler: pl.X.Tick.Label.Handler,
		XAlign: draw.XCenter, YAlign: draw.YCenter}
	hl := &heatLayer{xs: xs, ys: ys, val: val, lo: ze.Min, hi: ze.Max, log: log, factor: sz.Factor, text: text}
	pl.Add(hl)
	fig := &Figure{Plot: pl, Style: st, heat: hl, heatZ: h.Z}
	fig.legend = heatLegend(h.Z, sz, hl)
	note := fmt.Sprintf("cell: %s of its rows; %s rows", h.Agg, groupDigits(h.n))
	if log {
		note += "; log colour scale"
	}
	if h.drop > 0 {
		note += fmt.Sprintf("; %s rows beyond %d values per axis not shown", groupDigits(h.drop), h.MaxValues)
	}
	fig.Footnote = note
	return fig
}

// indexTicks labels positions 0, 1, … with the values.
func indexTicks(vals []string) plot.ConstantTicks {
	ts := make(plot.ConstantTicks, len(vals))
	for i, v := range vals {
		ts[i] = plot.Tick{Value: float64(i), Label: v}
	}
	return ts
}

// heatLegend returns the colour bar of hl: the output's name and unit, and
// five swatches from its highest value to its lowest.
func heatLegend(z Axis, sz Scale, hl *heatLayer) []legendItem {
	items := []legendItem{{AxisLabel(z.Name, sz), []plot.Thumbnailer{thumbNone{}}}}
	const steps = 5
	for i := steps - 1; i >= 0; i-- {
		t := float64(i) / float64(steps-1)
		v := hl.lo + t*(hl.hi-hl.lo)
		if hl.log {
			v = math.Exp(math.Log(hl.lo) + t*(math.Log(hl.hi)-math.Log(hl.lo)))
		}
		items = append(items, legendItem{shortNumber(v * sz.Factor), []plot.Thumbnailer{thumbSwatch{Sequential(t)}}})
	}
	return items
}

// shareHeat gives heatmap panels one colour scale (the range of all their
// cells) and one display unit, and returns its colour bar; false when a
// panel is not a heatmap of the same output.
func shareHeat(panels []*Figure) ([]legendItem, bool) {
	var ze Extent
	for _, p := range panels {
		if p.heat == nil || p.heatZ.Name != panels[0].heatZ.Name {
			return nil, false
		}
		ze.Observe(p.heat.lo)
		ze.Observe(p.heat.hi)
	}
	z := panels[0].heatZ
	sz := DisplayScale(z.Name, z.Unit, math.Max(math.Abs(ze.Min), math.Abs(ze.Max)))
	log := ze.Min > 0 && ze.Max/ze.Min > 20
	for _, p := range panels {
		p.heat.lo, p.heat.hi, p.heat.log, p.heat.factor = ze.Min, ze.Max, log, sz.Factor
	}
	return heatLegend(z, sz, panels[0].heat), true
}
