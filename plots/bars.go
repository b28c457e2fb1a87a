package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Bars draws one bar per category (a configuration, a GPU) on a linear
// value axis: stacked, a bar of Series segments that add up (the parts of
// a step time), or grouped, one bar per series side by side (an output per
// GPU and precision). Values[s][k] is series s of category k; NaN or a
// value ≤ 0 draws nothing. Series are coloured by Identity when set (the
// ranks shared by the run's figures), else in order.
type Bars struct {
	Y          Axis
	Categories []string    // the bars (stacked) or groups (grouped), left to right
	Series     []string    // the segments (stacked, bottom up) or the bars of a group
	Values     [][]float64 // [series][category]
	Stacked    bool
	// Totals, if set (stacked), marks each bar's total with a short black
	// line: where the segments do not add up to it (a straggler factor),
	// the gap shows.
	Totals   []float64
	Identity *Identity
	Note     string // added to the footnote
}

// Figure draws the bars in style st.
func (b *Bars) Figure(st Style) *Figure {
	var top float64
	for k := range b.Categories {
		sum := 0.0
		for s := range b.Series {
			v := b.Values[s][k]
			if !(v > 0) || math.IsInf(v, 0) {
				continue
			}
			if b.Stacked {
				sum += v
			} else {
				top = math.Max(top, v)
			}
		}
		top = math.Max(top, sum)
		if b.Totals != nil && b.Totals[k] > 0 && !math.IsInf(b.Totals[k], 0) {
			top = math.Max(top, b.Totals[k])
		}
	}
	sy := DisplayScale(b.Y.Name, b.Y.Unit, top)
	pl := newPlot(st)
	ya := b.Y
	ya.Log = false
	setAxis(&pl.Y, ya, sy)
	pl.X.Label.Text = ""
	pl.X.Tick.Marker = indexTicks(b.Categories)
	pl.X.Tick.Length = 0
	if len(b.Categories) > 4 || longest(b.Categories) > 8 {
		pl.X.Tick.Label.Rotation = math.Pi / 4
		pl.X.Tick.Label.XAlign, pl.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	}
	pl.X.Min, pl.X.Max = -0.6, float64(len(b.Categories))-0.4
	pl.Y.Min, pl.Y.Max = 0, math.Max(top*sy.Factor*1.05, 1e-300)
	fig := &Figure{Plot: pl, Style: st}
	colors := make([]color.Color, len(b.Series))
	for s, name := range b.Series {
		r := s
		if ir, ok := b.Identity.Rank(name); ok {
			r = ir
		}
		colors[s], _ = RankStyle(r)
	}
	pl.Add(barLayer{b: b, colors: colors, scale: sy.Factor})
	if len(b.Series) > 1 || !b.Stacked {
		order := make([]int, len(b.Series))
		for s := range order {
			order[s] = s
		}
		if b.Stacked { // the legend reads top down, as the segments
			for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
				order[i], order[j] = order[j], order[i]
			}
		}
		for _, s := range order {
			fig.AddLegend(b.Series[s], thumbSwatch{colors[s]})
		}
	}
	if b.Totals != nil {
		fig.AddLegend("total", thumbLine{lineStyle(color.Black, 1)})
	}
	fig.Footnote = b.Note
	return fig
}

func longest(ss []string) int {
	n := 0
	for _, s := range ss {
		n = max(n, len([]rune(s)))
	}
	return n
}

// barLayer draws the bars of b.
type barLayer struct {
	b      *Bars
	colors []color.Color
	scale  float64
}

func (l barLayer) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	b := l.b
	const width = 0.8
	rect := func(x0, x1, y0, y1 float64, col color.Color) {
		r := vg.Rectangle{Min: vg.Point{X: trX(x0), Y: trY(y0)}, Max: vg.Point{X: trX(x1), Y: trY(y1)}}
		c.SetColor(col)
		c.Fill(r.Path())
	}
	for k := range b.Categories {
		x := float64(k)
		base := 0.0
		for s := range b.Series {
			v := b.Values[s][k] * l.scale
			if !(v > 0) || math.IsInf(v, 0) {
				continue
			}
			if b.Stacked {
				rect(x-width/2, x+width/2, base, base+v, l.colors[s])
				base += v
				continue
			}
			w := width / float64(len(b.Series))
			x0 := x - width/2 + float64(s)*w
			rect(x0, x0+w*0.92, 0, v, l.colors[s])
		}
		if b.Totals != nil {
			if t := b.Totals[k] * l.scale; t > 0 && !math.IsInf(t, 0) {
				y := trY(t)
				c.StrokeLine2(lineStyle(color.Black, 1), trX(x-width/2-0.06), y, trX(x+width/2+0.06), y)
			}
		}
	}
}

func (l barLayer) DataRange() (xmin, xmax, ymin, ymax float64) {
	return -0.5, float64(len(l.b.Categories)) - 0.5, 0, 0
}
