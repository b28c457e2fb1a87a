package plots

import (
	"image/color"
	"math"
	"slices"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ColumnXY adapts two columns of results to gonum's plotter.XYer: point i
// is (X[i], Y[i]). The columns must have the same length.
type ColumnXY struct {
	X, Y []float64
}

// Len returns the number of points.
func (c ColumnXY) Len() int { return len(c.X) }

// XY returns point i.
func (c ColumnXY) XY(i int) (x, y float64) { return c.X[i], c.Y[i] }

// Extent is the range of the finite values observed (and, for log axes, of
// the positive ones). Its zero value is empty.
type Extent struct {
	Min, Max float64
	N        int64 // finite values observed (positive ones if Log)
	Log      bool  // observe only values > 0
}

// Observe widens the extent to include v; NaN, ±Inf and, on a log extent,
// values ≤ 0 are ignored.
func (e *Extent) Observe(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) || (e.Log && v <= 0) {
		return
	}
	if e.N == 0 {
		e.Min, e.Max = v, v
	} else {
		e.Min = math.Min(e.Min, v)
		e.Max = math.Max(e.Max, v)
	}
	e.N++
}

// Merge widens e to include f.
func (e *Extent) Merge(f Extent) {
	if f.N == 0 {
		return
	}
	e.Observe(f.Min)
	e.Observe(f.Max)
	e.N += f.N - 2
}

// padded returns the extent widened by a small margin (5 % of the range,
// or of the decades on a log axis), and made non-empty.
func (e Extent) padded() (lo, hi float64) {
	lo, hi = e.Min, e.Max
	if e.N == 0 {
		if e.Log {
			return 0.1, 10
		}
		return 0, 1
	}
	if e.Log {
		a, b := math.Log10(lo), math.Log10(hi)
		if b-a < 0.3 {
			a, b = a-0.15, b+0.15
		}
		d := 0.05 * (b - a)
		return math.Pow(10, a-d), math.Pow(10, b+d)
	}
	if hi == lo {
		d := math.Max(math.Abs(lo)*0.1, 1)
		return lo - d, hi + d
	}
	d := 0.05 * (hi - lo)
	return lo - d, hi + d
}

// Grid maps points of an (x, y) range to the cells of an nx × ny grid,
// evenly spaced on linear axes and in decades on log axes.
type Grid struct {
	X0, X1, Y0, Y1 float64 // the range (on log axes, positive)
	NX, NY         int
	LogX, LogY     bool
	// precomputed transforms: cell = (t(v) − o)·s
	ox, sx, oy, sy float64
}

// NewGrid returns a grid of nx × ny cells over the padded extents of x and
// y.
func NewGrid(x, y Extent, nx, ny int) *Grid {
	g := &Grid{NX: nx, NY: ny, LogX: x.Log, LogY: y.Log}
	g.X0, g.X1 = x.padded()
	g.Y0, g.Y1 = y.padded()
	g.ox, g.sx = g.affine(g.X0, g.X1, nx, g.LogX)
	g.oy, g.sy = g.affine(g.Y0, g.Y1, ny, g.LogY)
	return g
}

func (g *Grid) affine(lo, hi float64, n int, log bool) (o, s float64) {
	if log {
		lo, hi = math.Log10(lo), math.Log10(hi)
	}
	return lo, float64(n) / (hi - lo)
}

// Cell returns the cell of (x, y), and false if the point is outside the
// grid or not finite (or ≤ 0 on a log axis).
func (g *Grid) Cell(x, y float64) (cx, cy int, ok bool) {
	if g.LogX {
		if !(x > 0) {
			return 0, 0, false
		}
		x = math.Log10(x)
	}
	if g.LogY {
		if !(y > 0) {
			return 0, 0, false
		}
		y = math.Log10(y)
	}
	fx, fy := (x-g.ox)*g.sx, (y-g.oy)*g.sy
	if !(fx >= 0 && fx < float64(g.NX)) || !(fy >= 0 && fy < float64(g.NY)) {
		return 0, 0, false
	}
	return int(fx), int(fy), true
}

// Bounds returns the data-space corners of cell (cx, cy).
func (g *Grid) Bounds(cx, cy int) (x0, x1, y0, y1 float64) {
	inv := func(c int, o, s float64, log bool) float64 {
		v := o + float64(c)/s
		if log {
			return math.Pow(10, v)
		}
		return v
	}
	return inv(cx, g.ox, g.sx, g.LogX), inv(cx+1, g.ox, g.sx, g.LogX), inv(cy, g.oy, g.sy, g.LogY), inv(cy+1, g.oy, g.sy, g.LogY)
}

// Categories assigns small integers to category labels (parameter values
// such as hardware names or batch sizes) in order of first sight, up to a
// limit; later labels share the last code, "other". Numeric labels are
// ordered numerically by Sorted. A category is drawn in the colour and
// marker of its rank in Sorted order (Style), so that a label has the same
// colour in every figure of a run whatever order the rows come in.
//
// With an Identity, categories are ordered and styled by their rank in it
// instead, the same in every figure that shares the Identity, and the
// default limit is the identity's size.
type Categories struct {
	Limit    int       // maximum distinct categories kept (default 14: the palette twice, circles then squares)
	Identity *Identity // ranks shared by the figures of a run; nil ranks by Sorted
	codes    map[string]int
	names    []string
	other    bool
}

// Code returns the code of label.
func (c *Categories) Code(label string) int {
	if c.codes == nil {
		c.codes = map[string]int{}
		if c.Limit == 0 {
			c.Limit = max(len(categoryShapes)*len(OkabeIto), c.Identity.Len())
		}
	}
	if k, ok := c.codes[label]; ok {
		return k
	}
	if len(c.names) >= c.Limit {
		c.other = true
		return c.Limit
	}
	k := len(c.names)
	c.codes[label] = k
	c.names = append(c.names, label)
	return k
}

// Len returns the number of codes in use, "other" included.
func (c *Categories) Len() int {
	if c.other {
		return len(c.names) + 1
	}
	return len(c.names)
}

// Name returns the label of code k ("other" for the overflow code).
func (c *Categories) Name(k int) string {
	if k < len(c.names) {
		return c.names[k]
	}
	return "other"
}

// Sorted returns the codes in display order: labels that are all numbers
// in numeric order, labels that are all precisions from the widest to the
// narrowest, else in text order; "other" last.
func (c *Categories) Sorted() []int {
	ks := make([]int, len(c.names))
	for i := range ks {
		ks[i] = i
	}
	numeric := true
	vals := make([]float64, len(c.names))
	for i, n := range c.names {
		v, err := strconv.ParseFloat(n, 64)
		if err != nil {
			numeric = false
			break
		}
		vals[i] = v
	}
	// Precisions read from the widest to the narrowest (fp16, fp8, int4).
	precs := !numeric && !slices.ContainsFunc(c.names, func(n string) bool { return precisionRank(n) == len(precisionOrder) })
	sort.SliceStable(ks, func(a, b int) bool {
		if c.Identity != nil {
			ra, oka := c.Identity.Rank(c.names[ks[a]])
			rb, okb := c.Identity.Rank(c.names[ks[b]])
			if oka != okb {
				return oka
			}
			if oka {
				return ra < rb
			}
		}
		if numeric {
			return vals[ks[a]] < vals[ks[b]]
		}
		if precs {
			return precisionRank(c.names[ks[a]]) < precisionRank(c.names[ks[b]])
		}
		return c.names[ks[a]] < c.names[ks[b]]
	})
	if c.other {
		ks = append(ks, c.Limit)
	}
	return ks
}

// categoryShapes are the markers of categories: the palette's colours with
// circles, then again with squares.
var categoryShapes = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.BoxGlyph{}}

// Styles returns, indexed by code, the colour and marker of each category:
// those of its rank in the Identity (RankStyle), or without one of its rank
// in Sorted order; "other" is a grey circle.
func (c *Categories) Styles() (colors []color.Color, shapes []draw.GlyphDrawer) {
	n := c.Len()
	if c.other {
		n = c.Limit + 1
	}
	colors = make([]color.Color, max(n, 1))
	shapes = make([]draw.GlyphDrawer, max(n, 1))
	colors[0], shapes[0] = OkabeIto[0], draw.CircleGlyph{}
	for r, k := range c.Sorted() {
		if k >= len(c.names) {
			colors[k], shapes[k] = Other, draw.CircleGlyph{}
			continue
		}
		if c.Identity != nil {
			// Labels the identity does not know follow those it does.
			ir, ok := c.Identity.Rank(c.names[k])
			if !ok {
				ir = c.Identity.Len() + r
			}
			colors[k], shapes[k] = RankStyle(ir)
			continue
		}
		colors[k] = OkabeIto[r%len(OkabeIto)]
		shapes[k] = categoryShapes[(r/len(OkabeIto))%len(categoryShapes)]
	}
	return colors, shapes
}

// Thin keeps one representative point per (grid cell, category): the first
// one added, which is the lowest row index when rows are read in order. It
// turns millions of overlapping markers into at most NX·NY·categories, with
// no visible difference at print resolution.
type Thin struct {
	Grid  *Grid
	cells map[uint64]int // (category, cy, cx) → position in pts
	X, Y  []float64
	Cat   []int
	N     int64 // points offered inside the grid
}

// NewThin returns an empty thinning over g.
func NewThin(g *Grid) *Thin { return &Thin{Grid: g, cells: map[uint64]int{}} }

// Add offers point (x, y) of category cat.
func (t *Thin) Add(x, y float64, cat int) {
	cx, cy, ok := t.Grid.Cell(x, y)
	if !ok {
		return
	}
	t.N++
	key := uint64(cat)<<48 | uint64(cy)<<24 | uint64(cx)
	if _, seen := t.cells[key]; seen {
		return
	}
	t.cells[key] = len(t.X)
	t.X = append(t.X, x)
	t.Y = append(t.Y, y)
	t.Cat = append(t.Cat, cat)
}

// Hist2D counts points per grid cell: the density layer of figures with
// more points than markers can show.
type Hist2D struct {
	Grid   *Grid
	Counts []int64 // NX·NY, row-major by y
	N      int64
}

// NewHist2D returns an empty histogram over g.
func NewHist2D(g *Grid) *Hist2D { return &Hist2D{Grid: g, Counts: make([]int64, g.NX*g.NY)} }

// Add counts point (x, y).
func (h *Hist2D) Add(x, y float64) {
	cx, cy, ok := h.Grid.Cell(x, y)
	if !ok {
		return
	}
	h.Counts[cy*h.Grid.NX+cx]++
	h.N++
}

// densityLayer draws a Hist2D as filled cells; the shade of a cell is
// log(1+count)/log(1+max), on a light-grey-to-dark-blue ramp so that
// coloured markers drawn over it stay visible.
type densityLayer struct {
	h     *Hist2D
	scale [2]float64 // display factors of x and y
}

func densityColor(t float64) color.Color {
	// From #EEF2F7 (t→0) to #08306B (t=1): a single-hue sequential ramp.
	lo := [3]float64{0xEE, 0xF2, 0xF7}
	hi := [3]float64{0x08, 0x30, 0x6B}
	t = 0.15 + 0.85*t
	return color.RGBA{
		uint8(lo[0] + (hi[0]-lo[0])*t), uint8(lo[1] + (hi[1]-lo[1])*t), uint8(lo[2] + (hi[2]-lo[2])*t), 0xff,
	}
}

func (d densityLayer) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	g := d.h.Grid
	var mx int64
	for _, n := range d.h.Counts {
		mx = max(mx, n)
	}
	if mx == 0 {
		return
	}
	lm := math.Log1p(float64(mx))
	for cy := range g.NY {
		for cx := range g.NX {
			n := d.h.Counts[cy*g.NX+cx]
			if n == 0 {
				continue
			}
			x0, x1, y0, y1 := g.Bounds(cx, cy)
			r := vg.Rectangle{
				Min: vg.Point{X: trX(x0 * d.scale[0]), Y: trY(y0 * d.scale[1])},
				Max: vg.Point{X: trX(x1 * d.scale[0]), Y: trY(y1 * d.scale[1])},
			}
			// Overlap neighbours by a hair so no seams show in PNG.
			r.Max.X += 0.15
			r.Max.Y += 0.15
			c.SetColor(densityColor(math.Log1p(float64(n)) / lm))
			c.Fill(r.Path())
		}
	}
}

func (d densityLayer) DataRange() (xmin, xmax, ymin, ymax float64) {
	g := d.h.Grid
	return g.X0 * d.scale[0], g.X1 * d.scale[0], g.Y0 * d.scale[1], g.Y1 * d.scale[1]
}

// scatterLayer draws points coloured by category.
type scatterLayer struct {
	x, y   []float64
	cat    []int
	colors func(int) color.Color
	shape  draw.GlyphDrawer
	shapes func(int) draw.GlyphDrawer // if set, the marker of each category, else shape
	radius vg.Length
}

func (s scatterLayer) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for i := range s.x {
		pt := vg.Point{X: trX(s.x[i]), Y: trY(s.y[i])}
		if !c.Contains(pt) {
			continue
		}
		shape := s.shape
		if s.shapes != nil {
			shape = s.shapes(s.cat[i])
		}
		c.DrawGlyphNoClip(glyph(shape, s.colors(s.cat[i]), s.radius), pt)
	}
}

func (s scatterLayer) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for i := range s.x {
		xmin, xmax = math.Min(xmin, s.x[i]), math.Max(xmax, s.x[i])
		ymin, ymax = math.Min(ymin, s.y[i]), math.Max(ymax, s.y[i])
	}
	return
}

// polyline draws a line through points, in order, clipped to the data area.
type polyline struct {
	x, y  []float64
	style draw.LineStyle
	noRng bool // do not take part in the data range
}

func (l polyline) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	pts := make([]vg.Point, 0, len(l.x))
	for i := range l.x {
		pts = append(pts, vg.Point{X: trX(l.x[i]), Y: trY(l.y[i])})
	}
	c.StrokeLines(l.style, c.ClipLinesXY(pts)...)
}

func (l polyline) DataRange() (xmin, xmax, ymin, ymax float64) {
	if l.noRng || len(l.x) == 0 {
		return math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	}
	return slices.Min(l.x), slices.Max(l.x), slices.Min(l.y), slices.Max(l.y)
}

// textLabel draws a text at a data point, offset in points.
type textLabel struct {
	x, y       float64
	text       string
	style      draw.TextStyle
	dx, dy     vg.Length
	background bool
}

func (t textLabel) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	pt := vg.Point{X: trX(t.x) + t.dx, Y: trY(t.y) + t.dy}
	if t.background {
		r := t.style.Rectangle(t.text)
		r.Min = r.Min.Add(pt)
		r.Max = r.Max.Add(pt)
		c.SetColor(color.RGBA{255, 255, 255, 200})
		c.Fill(r.Path())
	}
	c.FillText(t.style, pt, t.text)
}
