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
	// Horizontal lays the bars along the x axis, the categories down the
	// y axis from the top: room for long labels ("tp=4 pp=2 mb=16").
	Horizontal bool
	// Totals, if set (stacked), marks each bar's total with a short black
	// line: where the segments do not add up to it (a straggler factor),
	// the gap shows.
	Totals   []float64
	Identity *Identity
	// Colors, if set, is the colour of each series (a nil entry: by
	// Identity or order): the parts of a breakdown, coloured by what they
	// are rather than by rank, so that more than seven stay distinct.
	Colors []color.Color
	Note   string // added to the footnote
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
	val, cat := &pl.Y, &pl.X
	if b.Horizontal {
		val, cat = &pl.X, &pl.Y
	}
	setAxis(val, ya, sy)
	cat.Label.Text = ""
	cat.Tick.Length = 0
	n := len(b.Categories)
	if b.Horizontal { // the first category at the top
		ts := indexTicks(b.Categories)
		for i := range ts {
			ts[i].Value = float64(n - 1 - i)
		}
		cat.Tick.Marker = ts
	} else {
		cat.Tick.Marker = indexTicks(b.Categories)
		if n > 4 || longest(b.Categories) > 8 {
			cat.Tick.Label.Rotation = math.Pi / 4
			cat.Tick.Label.XAlign, cat.Tick.Label.YAlign = draw.XRight, draw.YTop
		}
	}
	cat.Min, cat.Max = -0.6, float64(n)-0.4
	val.Min, val.Max = 0, math.Max(top*sy.Factor*1.05, 1e-300)
	fig := &Figure{Plot: pl, Style: st, scale: [2]float64{0, sy.Factor}} // no limits on the categories
	if b.Horizontal {
		fig.scale = [2]float64{sy.Factor, 0}
	}
	colors := make([]color.Color, len(b.Series))
	for s, name := range b.Series {
		r := s
		if ir, ok := b.Identity.Rank(name); ok {
			r = ir
		}
		colors[s], _ = RankStyle(r)
		if s < len(b.Colors) && b.Colors[s] != nil {
			colors[s] = b.Colors[s]
		}
	}
	pl.Add(barLayer{b: b, colors: colors, scale: sy.Factor})
	if len(b.Series) > 1 || !b.Stacked {
		order := make([]int, len(b.Series))
		for s := range order {
			order[s] = s
		}
		if b.Stacked && !b.Horizontal { // the legend reads top down, as the segments
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
	n := len(b.Categories)
	// rect fills [c0, c1] along the categories × [v0, v1] along the values.
	rect := func(c0, c1, v0, v1 float64, col color.Color) {
		r := vg.Rectangle{Min: vg.Point{X: trX(c0), Y: trY(v0)}, Max: vg.Point{X: trX(c1), Y: trY(v1)}}
		if b.Horizontal {
			r = vg.Rectangle{Min: vg.Point{X: trX(v0), Y: trY(c0)}, Max: vg.Point{X: trX(v1), Y: trY(c1)}}
		}
		c.SetColor(col)
		c.Fill(r.Path())
	}
	for k := range b.Categories {
		x := float64(k)
		if b.Horizontal {
			x = float64(n - 1 - k)
		}
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
				ls := lineStyle(color.Black, 1)
				if b.Horizontal {
					c.StrokeLine2(ls, trX(t), trY(x-width/2-0.06), trX(t), trY(x+width/2+0.06))
				} else {
					c.StrokeLine2(ls, trX(x-width/2-0.06), trY(t), trX(x+width/2+0.06), trY(t))
				}
			}
		}
	}
}

func (l barLayer) DataRange() (xmin, xmax, ymin, ymax float64) {
	if l.b.Horizontal {
		return 0, 0, -0.5, float64(len(l.b.Categories)) - 0.5
	}
	return -0.5, float64(len(l.b.Categories)) - 0.5, 0, 0
}
