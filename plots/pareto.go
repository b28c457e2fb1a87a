package plots

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Pareto draws two objectives of a sweep against each other: every
// feasible configuration, and the Pareto front over them drawn as the
// boundary of the dominated region (a staircase) with its points coloured
// by a parameter.
//
// Build it in two passes over the rows: observe the extents of x and y
// (Extent.Observe), call NewPareto, then Add every point and SetFront with
// the front (computed by dse.Front). With up to MaxMarkers occupied cells
// the points are drawn as markers coloured by category, one per cell of a
// 200 × 150 grid; beyond, as a density layer (log-scaled counts per cell of
// a 120 × 90 grid), which keeps memory and file size bounded for any number
// of rows.
type Pareto struct {
	X, Y       Axis
	XMax, YMax bool   // the objective is maximised (for the staircase)
	ColorBy    string // the parameter the categories are values of; "" = none
	MaxMarkers int    // default 4000
	// PerCategory says the front holds one front per category (the
	// sweep's group_by): each is drawn as its own staircase in its
	// category's colour and named in the legend with its size.
	PerCategory bool

	Cats  Categories
	thin  *Thin
	hist  *Hist2D
	front []frontPoint
	stair bool
}

type frontPoint struct {
	x, y float64
	cat  int
}

// NewPareto returns an empty Pareto figure over the extents of x and y.
func NewPareto(x, y Axis, xe, ye Extent) *Pareto {
	xe.Log, ye.Log = x.Log, y.Log
	p := &Pareto{X: x, Y: y, MaxMarkers: 4000}
	p.thin = NewThin(NewGrid(xe, ye, 200, 150))
	p.hist = NewHist2D(NewGrid(xe, ye, 120, 90))
	return p
}

// Add adds a feasible configuration at (x, y) whose colour parameter has
// the value cat.
func (p *Pareto) Add(x, y float64, cat string) {
	k := 0
	if p.ColorBy != "" {
		k = p.Cats.Code(cat)
	}
	p.thin.Add(x, y, k)
	p.hist.Add(x, y)
}

// SetFront sets the Pareto front, with the colour parameter of each point.
// staircase draws the boundary of the region it dominates, which is right
// only when x and y are the front's only objectives; otherwise the front's
// points are drawn alone.
func (p *Pareto) SetFront(x, y []float64, cats []string, staircase bool) {
	p.front = p.front[:0]
	for i := range x {
		if math.IsNaN(x[i]) || math.IsNaN(y[i]) {
			continue
		}
		k := 0
		if p.ColorBy != "" && cats != nil {
			k = p.Cats.Code(cats[i])
		}
		p.front = append(p.front, frontPoint{x[i], y[i], k})
	}
	slices.SortFunc(p.front, func(a, b frontPoint) int {
		if a.x != b.x {
			if a.x < b.x {
				return -1
			}
			return 1
		}
		if a.y < b.y {
			return -1
		}
		if a.y > b.y {
			return 1
		}
		return 0
	})
	p.stair = staircase
}

// Points returns the number of points added inside the figure's range.
func (p *Pareto) Points() int64 { return p.hist.N }

// Figure draws the figure in style st.
func (p *Pareto) Figure(st Style) *Figure {
	g := p.hist.Grid
	sx := DisplayScale(p.X.Name, p.X.Unit, math.Max(math.Abs(g.X0), math.Abs(g.X1)))
	sy := DisplayScale(p.Y.Name, p.Y.Unit, math.Max(math.Abs(g.Y0), math.Abs(g.Y1)))
	pl := newPlot(st)
	setAxis(&pl.X, p.X, sx)
	setAxis(&pl.Y, p.Y, sy)
	// The padded range of the grid, so that no point sits on an axis.
	pl.X.Min, pl.X.Max = g.X0*sx.Factor, g.X1*sx.Factor
	pl.Y.Min, pl.Y.Max = g.Y0*sy.Factor, g.Y1*sy.Factor
	fig := &Figure{Plot: pl, Style: st, scale: [2]float64{sx.Factor, sy.Factor}}
	colors, shapes := p.Cats.Styles()
	catColor := func(k int) color.Color {
		if p.ColorBy == "" || k >= len(colors) {
			return OkabeIto[0]
		}
		return colors[k]
	}
	catShape := func(k int) draw.GlyphDrawer {
		if p.ColorBy == "" || k >= len(shapes) {
			return draw.CircleGlyph{}
		}
		return shapes[k]
	}
	dense := len(p.thin.X) > p.MaxMarkers
	if dense {
		pl.Add(densityLayer{h: p.hist, scale: [2]float64{sx.Factor, sy.Factor}})
		fig.AddLegend("all configs", thumbSwatch{densityColor(0.6)})
	} else {
		xs, ys := scaled(p.thin.X, sx.Factor), scaled(p.thin.Y, sy.Factor)
		pl.Add(scatterLayer{x: xs, y: ys, cat: p.thin.Cat, shape: draw.CircleGlyph{}, shapes: catShape, radius: 1.1,
			colors: func(k int) color.Color { return fade(catColor(k), 0.45) }})
	}
	// The front: the staircase in black, then its points coloured by
	// category with a black ring.
	fx, fy := make([]float64, len(p.front)), make([]float64, len(p.front))
	for i, f := range p.front {
		fx[i], fy[i] = f.x*sx.Factor, f.y*sy.Factor
	}
	cats := make([]int, len(p.front))
	for i, f := range p.front {
		cats[i] = f.cat
	}
	if p.PerCategory && p.ColorBy != "" {
		fig.AddLegend("Pareto front per "+p.ColorBy+":", thumbNone{})
		for _, k := range p.Cats.Sorted() {
			var gx, gy []float64
			for i, f := range p.front {
				if f.cat == k {
					gx, gy = append(gx, fx[i]), append(gy, fy[i])
				}
			}
			if len(gx) == 0 {
				continue
			}
			ls := lineStyle(catColor(k), 0.9)
			if p.stair && len(gx) > 1 {
				sxs, sys := staircase(gx, gy, p.XMax)
				pl.Add(polyline{x: sxs, y: sys, style: ls})
			}
			fig.AddLegend(fmt.Sprintf("%s (%d)", p.Cats.Name(k), len(gx)), thumbLine{ls}, thumbGlyph{glyph(catShape(k), catColor(k), 2.2)})
		}
		pl.Add(scatterLayer{x: fx, y: fy, cat: cats, shape: ringGlyph{}, radius: 2.2, colors: catColor})
	} else {
		if p.stair && len(p.front) > 1 {
			sxs, sys := staircase(fx, fy, p.XMax)
			pl.Add(polyline{x: sxs, y: sys, style: lineStyle(color0, 0.9)})
		}
		pl.Add(scatterLayer{x: fx, y: fy, cat: cats, shape: ringGlyph{}, radius: 2.2, colors: catColor})
		fig.AddLegend(fmt.Sprintf("Pareto front (%d)", len(p.front)),
			thumbLine{lineStyle(color0, 0.9)}, thumbGlyph{glyph(ringGlyph{}, color.White, 2.2)})
		if p.ColorBy != "" {
			fig.AddLegend(p.ColorBy+":", thumbNone{})
			for _, k := range p.Cats.Sorted() {
				fig.AddLegend(p.Cats.Name(k), thumbGlyph{glyph(catShape(k), catColor(k), 2.2)})
			}
		}
	}
	n := p.hist.N
	if dense {
		fig.Footnote = fmt.Sprintf("%s configs; shade: log count", groupDigits(n))
	} else {
		fig.Footnote = fmt.Sprintf("%s configs", groupDigits(n))
	}
	return fig
}

var color0 = color.Black

// staircase returns the boundary of the region dominated by a 2-D front
// sorted by x: from each point, horizontally then vertically to the next
// when x is minimised, vertically then horizontally when x is maximised.
func staircase(x, y []float64, xMax bool) ([]float64, []float64) {
	sx := make([]float64, 0, 2*len(x))
	sy := make([]float64, 0, 2*len(x))
	for i := range x {
		if i > 0 {
			if xMax {
				sx, sy = append(sx, x[i-1]), append(sy, y[i])
			} else {
				sx, sy = append(sx, x[i]), append(sy, y[i-1])
			}
		}
		sx, sy = append(sx, x[i]), append(sy, y[i])
	}
	return sx, sy
}

func scaled(v []float64, f float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x * f
	}
	return out
}

// fade blends c with white: a = 1 keeps c.
func fade(c color.Color, a float64) color.Color {
	r, g, b, _ := c.RGBA()
	mix := func(v uint32) uint8 { return uint8(float64(v>>8)*a + 255*(1-a)) }
	return color.RGBA{mix(r), mix(g), mix(b), 0xff}
}

// groupDigits writes n with thin spaces between groups of three digits.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	out := ""
	for len(s) > 3 {
		out = "\u2009" + s[len(s)-3:] + out
		s = s[:len(s)-3]
	}
	return s + out
}

// ringGlyph is a filled circle with a thin black outline, visible on any
// background.
type ringGlyph struct{}

func (ringGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	draw.CircleGlyph{}.DrawGlyph(c, sty, pt)
	ring := sty
	ring.Color = color.Black
	c.SetLineStyle(draw.LineStyle{Color: color.Black, Width: 0.4})
	draw.RingGlyph{}.DrawGlyph(c, ring, pt)
}

// thumbSwatch is a filled-square legend thumbnail.
type thumbSwatch struct{ c color.Color }

func (t thumbSwatch) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	h := r.Max.Y - r.Min.Y
	r.Min.Y += h * 0.15
	r.Max.Y -= h * 0.15
	c.SetColor(t.c)
	c.Fill(r.Path())
}
