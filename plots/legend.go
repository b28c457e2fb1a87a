package plots

import (
	"fmt"
	"image/color"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// LegendPositions are where a figure's legend may go: right of the axes
// (the default), in a band above or below them, inside a corner of the
// data area, or nowhere ("none": HideLegend).
var LegendPositions = []string{"right", "top", "bottom", "top-left", "top-right", "bottom-left", "bottom-right", "none"}

// SetLegend places the legend at pos (LegendPositions; "" is right) in
// cols columns (0: one column inside a corner, as many as the height
// needs on the right, as many as the width allows above or below). Small
// multiples take right, top, bottom and none, and draw a corner's legend
// below them; narrower than 5 in, their default legend goes below too.
func (f *Figure) SetLegend(pos string, cols int) error {
	if pos != "" && !contains(LegendPositions, pos) {
		return fmt.Errorf("legend %q: positions are %s", pos, strings.Join(LegendPositions, ", "))
	}
	if cols < 0 || cols > 50 {
		return fmt.Errorf("legend columns %d: want 1 to 50", cols)
	}
	if pos == "none" {
		f.HideLegend()
		pos = ""
	}
	f.legendPos, f.legendCols = pos, cols
	return nil
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

// legendLayout is where the legend and the footnote of a figure go: the
// room they take on each side of the canvas, and how to draw them once
// the data area is known.
type legendLayout struct {
	right, top, bottom vg.Length
	draw               func(c, data draw.Canvas)
}

// newLegend returns a legend column of items in the figure's style.
func (f *Figure) newLegend(items []legendItem) *plot.Legend {
	leg := plot.NewLegend()
	leg.TextStyle.Font = font.From(f.Style.Font, f.Style.TickSize)
	leg.TextStyle.Handler = newSupText()
	leg.Top, leg.Left = true, true
	leg.ThumbnailWidth = 10
	leg.Padding = 1.5
	for _, l := range items {
		leg.Add(l.name, l.thumbs...)
	}
	return &leg
}

// gridLegend returns the legend in cols columns, row by row (entry i in
// column i mod cols), and their widths with a gap after each but the last.
func (f *Figure) gridLegend(c draw.Canvas, cols int) ([]*plot.Legend, []vg.Length, vg.Length) {
	cols = max(min(cols, len(f.legend)), 1)
	var legs []*plot.Legend
	var ws []vg.Length
	var total vg.Length
	for j := range cols {
		var items []legendItem
		for i := j; i < len(f.legend); i += cols {
			items = append(items, f.legend[i])
		}
		l := f.newLegend(items)
		w := l.Rectangle(c).Size().X
		if j < cols-1 {
			w += 6
		}
		legs, ws, total = append(legs, l), append(ws, w), total+w
	}
	return legs, ws, total
}

// noteStyle is the style of the footnote.
func (f *Figure) noteStyle() draw.TextStyle {
	return draw.TextStyle{Font: font.From(f.Style.Font, f.Style.TickSize-1), Color: color.Gray{0x55}, Handler: newSupText()}
}

// layoutLegend lays out the legend and footnote of f on c at f.legendPos;
// inside, for small multiples, draws a corner legend below.
func (f *Figure) layoutLegend(c draw.Canvas, facets bool) legendLayout {
	pos := f.legendPos
	if facets && pos == "" && c.Max.X-c.Min.X < 5*vg.Inch {
		pos = "bottom" // small multiples in one column need its width
	}
	if pos == "" || pos == "right" {
		return f.layoutRight(c)
	}
	if facets && pos != "top" {
		pos = "bottom"
	}
	ns := f.noteStyle()
	width := c.Max.X - c.Min.X
	notes := wrap(f.Footnote, ns, width)
	var notesH vg.Length
	for _, n := range notes {
		notesH += ns.Height(n) * 1.15
	}
	if notesH > 0 {
		notesH += 1.5 // the last line's descenders
	}
	drawNotes := func(c draw.Canvas) {
		y := c.Min.Y + notesH - ns.Height("A")
		for _, n := range notes {
			c.FillText(ns, vg.Point{X: c.Min.X + labelMargin, Y: y}, n)
			y -= ns.Height(n) * 1.15
		}
	}
	lay := legendLayout{bottom: notesH}
	if notesH > 0 {
		lay.bottom += 2
	}
	if len(f.legend) == 0 {
		lay.draw = func(c, _ draw.Canvas) { drawNotes(c) }
		return lay
	}
	cols := f.legendCols
	band := pos == "top" || pos == "bottom"
	if cols == 0 && band { // as many as fit the width
		cols = len(f.legend)
		for cols > 1 {
			if _, _, w := f.gridLegend(c, cols); w <= width {
				break
			}
			cols--
		}
	}
	legs, ws, w := f.gridLegend(c, max(cols, 1))
	var h vg.Length
	for _, l := range legs {
		h = max(h, l.Rectangle(c).Size().Y)
	}
	drawAt := func(x, top vg.Length, c draw.Canvas) {
		for i, l := range legs {
			lc := c
			lc.Min.X, lc.Max.Y = x, top
			l.Draw(lc)
			x += ws[i]
		}
	}
	switch pos {
	case "top":
		lay.top = h + 3
		lay.draw = func(c, _ draw.Canvas) {
			drawAt((c.Min.X+c.Max.X)/2-w/2, c.Max.Y, c)
			drawNotes(c)
		}
	case "bottom":
		lay.bottom += h + 3
		lay.draw = func(c, _ draw.Canvas) {
			drawAt((c.Min.X+c.Max.X)/2-w/2, c.Min.Y+notesH+h+2, c)
			drawNotes(c)
		}
	default: // a corner of the data area, on a white box
		const pad = 3
		lay.draw = func(c, dc draw.Canvas) {
			w := w + 2 // the last entry's text runs a little past its measure
			x, top := dc.Min.X+pad, dc.Max.Y-pad
			if strings.HasSuffix(pos, "right") {
				x = dc.Max.X - pad - w
			}
			if strings.HasPrefix(pos, "bottom") {
				top = dc.Min.Y + pad + h
			}
			box := vg.Rectangle{Min: vg.Point{X: x - 1.5, Y: top - h - 1}, Max: vg.Point{X: x + w + 1.5, Y: top + 1}}
			c.SetColor(color.NRGBA{0xff, 0xff, 0xff, 0xe6})
			c.Fill(box.Path())
			drawAt(x, top, c)
			drawNotes(c)
		}
	}
	return lay
}

// rightMargin keeps the legend and footnote off the figure's right edge.
const rightMargin = 3

// layoutRight puts the legend in columns right of the axes, the footnote
// under it (the default).
func (f *Figure) layoutRight(c draw.Canvas) legendLayout {
	legs := f.legendColumns(c)
	var w vg.Length
	var legW []vg.Length
	for _, leg := range legs {
		lw := leg.Rectangle(c).Size().X
		if len(legs) > 1 {
			lw += 3
		}
		legW = append(legW, lw)
		w += lw
	}
	ns := f.noteStyle()
	var notes []string
	if f.Footnote != "" {
		notes = wrap(f.Footnote, ns, max(w, 0.8*vg.Inch))
		for _, n := range notes {
			w = max(w, ns.Width(n))
		}
	}
	if w > 0 {
		w += 4 + rightMargin
	}
	lay := legendLayout{right: w}
	lay.draw = func(c, dc draw.Canvas) {
		if w == 0 {
			return
		}
		legC := draw.Crop(c, c.Max.X-c.Min.X-w+4, -rightMargin, 0, 0)
		legC.Max.Y = dc.Max.Y // align the legend with the top of the data area
		y := dc.Max.Y - ns.Height("A")
		var tallest vg.Length
		colC := legC
		for i, l := range legs {
			l.Draw(colC)
			tallest = max(tallest, l.Rectangle(colC).Size().Y)
			colC.Min.X += legW[i]
		}
		y -= tallest
		for _, n := range notes {
			legC.FillText(ns, vg.Point{X: legC.Min.X, Y: y}, n)
			y -= ns.Height(n) * 1.15
		}
	}
	return lay
}
