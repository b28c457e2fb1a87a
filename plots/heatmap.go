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

// Heatmap draws an output over two parameters (tp × pp → step time): one
// cell per pair of parameter values, coloured on a colour-blind-safe
// sequential ramp (logarithmic when the values span more than a factor of
// 20) and with the value printed in it. A cell holds the output reduced by
// Agg over the rows that share the pair; pairs without a row are blank.
// At most MaxValues distinct values per axis are kept (default 24).
type Heatmap struct {
	X, Y, Z   Axis
	Agg       Agg
	MaxValues int

	cells map[[2]float64]*acc
	xs    map[float64]bool
	ys    map[float64]bool
	n     int64
	drop  int64
}

// NewHeatmap returns an empty heatmap of z over x and y.
func NewHeatmap(x, y, z Axis, agg Agg) *Heatmap {
	return &Heatmap{X: x, Y: y, Z: z, Agg: agg, MaxValues: 24,
		cells: map[[2]float64]*acc{}, xs: map[float64]bool{}, ys: map[float64]bool{}}
}

// Add adds a row with parameter values x, y and output z. Rows with a
// non-finite value are skipped, as are rows that would add an axis value
// beyond MaxValues.
func (h *Heatmap) Add(x, y, z float64) {
	if math.IsNaN(x) || math.IsNaN(y) || math.IsNaN(z) || math.IsInf(z, 0) {
		return
	}
	if (!h.xs[x] && len(h.xs) >= h.MaxValues) || (!h.ys[y] && len(h.ys) >= h.MaxValues) {
		h.drop++
		return
	}
	h.xs[x], h.ys[y] = true, true
	a := h.cells[[2]float64{x, y}]
	if a == nil {
		a = &acc{}
		h.cells[[2]float64{x, y}] = a
	}
	a.add(h.Agg, z)
	h.n++
}

// heatLayer draws the cells at integer positions.
type heatLayer struct {
	xs, ys []float64
	val    map[[2]float64]float64
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
			v, ok := l.val[[2]float64{x, y}]
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

func sortedKeys(m map[float64]bool) []float64 {
	out := make([]float64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Figure draws the heatmap in style st. The output's name, unit and
// reduction are in the legend strip with a colour bar.
func (h *Heatmap) Figure(st Style) *Figure {
	xs, ys := sortedKeys(h.xs), sortedKeys(h.ys)
	val := make(map[[2]float64]float64, len(h.cells))
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
	pl.X.Tick.Length, pl.Y.Tick.Length = 0, 0
	pl.X.LineStyle.Width, pl.Y.LineStyle.Width = 0, 0
	pl.X.Padding, pl.Y.Padding = 0, 0
	text := draw.TextStyle{Font: font.From(st.Font, st.TickSize-0.5), Handler: pl.X.Tick.Label.Handler,
		XAlign: draw.XCenter, YAlign: draw.YCenter}
	pl.Add(heatLayer{xs: xs, ys: ys, val: val, lo: ze.Min, hi: ze.Max, log: log, factor: sz.Factor, text: text})
	fig := &Figure{Plot: pl, Style: st}
	title := AxisLabel(h.Z.Name, sz)
	fig.AddLegend(title, thumbNone{})
	steps := 5
	for i := steps - 1; i >= 0; i-- {
		t := float64(i) / float64(steps-1)
		v := ze.Min + t*(ze.Max-ze.Min)
		if log {
			v = math.Exp(math.Log(ze.Min) + t*(math.Log(ze.Max)-math.Log(ze.Min)))
		}
		fig.AddLegend(shortNumber(v*sz.Factor), thumbSwatch{Sequential(t)})
	}
	note := fmt.Sprintf("%s of %s rows per cell", h.Agg, groupDigits(h.n))
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
func indexTicks(vals []float64) plot.ConstantTicks {
	ts := make(plot.ConstantTicks, len(vals))
	for i, v := range vals {
		ts[i] = plot.Tick{Value: float64(i), Label: strconv.FormatFloat(v, 'g', 6, 64)}
	}
	return ts
}
