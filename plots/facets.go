package plots

import (
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Facets returns small multiples: the panels in a grid of about √n
// columns, each titled (titles[i]), one legend for all of them (the union
// of their entries, in order of first sight) and the footnote note. When every panel labels an axis alike (the same
// quantity and unit), the panels share that axis's range, so that they
// read against each other; heatmap panels share one colour scale and its
// colour bar. The figure is double-column width (7 in) and 2.2 in per row
// of panels.
func Facets(panels []*Figure, titles []string, note string) *Figure {
	st := panels[0].Style
	cols := int(math.Ceil(math.Sqrt(float64(len(panels)))))
	rows := (len(panels) + cols - 1) / cols
	st.Width, st.Height = Double, vg.Length(rows)*2.2*vg.Inch
	f := &Figure{Style: st, panels: panels, titles: titles, cols: cols}
	if heat, ok := shareHeat(panels); ok {
		// Heatmaps: one colour bar for all, the cells scaled alike.
		f.legend = heat
		f.Footnote = note + "; one colour scale"
		return f
	}
	for _, p := range panels {
		for _, l := range p.legend {
			if !slices.ContainsFunc(f.legend, func(m legendItem) bool { return m.name == l.name }) {
				f.legend = append(f.legend, l)
			}
		}
	}
	f.Footnote = note
	share := func(get func(p *Figure) (label string, lo, hi *float64)) {
		label0, _, _ := get(panels[0])
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, p := range panels {
			l, a, b := get(p)
			if l != label0 {
				return
			}
			lo, hi = math.Min(lo, *a), math.Max(hi, *b)
		}
		for _, p := range panels {
			_, a, b := get(p)
			*a, *b = lo, hi
		}
	}
	share(func(p *Figure) (string, *float64, *float64) { return p.Plot.X.Label.Text, &p.Plot.X.Min, &p.Plot.X.Max })
	share(func(p *Figure) (string, *float64, *float64) { return p.Plot.Y.Label.Text, &p.Plot.Y.Min, &p.Plot.Y.Max })
	return f
}

// Panels returns the panels of small multiples (nil for a single plot).
func (f *Figure) Panels() []*Figure { return f.panels }

// drawFacets draws small multiples on c: the panels in a grid, the shared
// legend and footnote on the right (or above or below them: SetLegend).
func (f *Figure) drawFacets(c draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	body := c // below the title
	if f.title != "" {
		ts := draw.TextStyle{Font: font.From(f.Style.Font, f.Style.TextSize+1), Color: color.Black,
			XAlign: draw.XCenter, YAlign: draw.YTop, Handler: newSupText()}
		c.FillText(ts, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: c.Max.Y}, f.title)
		body.Max.Y -= ts.Height(f.title) + 3
	}
	lay := f.layoutLegend(body, true)
	area := draw.Crop(body, 0, -lay.right, lay.bottom, -lay.top)
	rows := (len(f.panels) + f.cols - 1) / f.cols
	cw := (area.Max.X - area.Min.X) / vg.Length(f.cols)
	ch := (area.Max.Y - area.Min.Y) / vg.Length(rows)
	titleStyle := draw.TextStyle{Font: font.From(f.Style.Font, f.Style.TextSize), Color: color.Black,
		XAlign: draw.XCenter, YAlign: draw.YTop, Handler: newSupText()}
	th := titleStyle.Height("A") + 2
	for i, p := range f.panels {
		r, k := i/f.cols, i%f.cols
		cell := area
		cell.Min.X = area.Min.X + vg.Length(k)*cw
		cell.Max.X = cell.Min.X + cw
		cell.Max.Y = area.Max.Y - vg.Length(r)*ch
		cell.Min.Y = cell.Max.Y - ch
		if i < len(f.titles) {
			cell.FillText(titleStyle, vg.Point{X: (cell.Min.X + cell.Max.X) / 2, Y: cell.Max.Y}, f.titles[i])
		}
		cell.Max.Y -= th
		cell.Min.Y += 6 // room between a panel's x label and the title below
		cell.Min.X += 4
		cell.Max.X -= 6
		leg, note := p.legend, p.Footnote
		p.legend, p.Footnote = nil, ""
		p.Draw(cell)
		p.legend, p.Footnote = leg, note
	}
	data := area
	data.Max.Y = area.Max.Y - th
	lay.draw(body, data)
}
