// Package plots draws publication-quality figures of sweep results:
// rooflines, Pareto fronts, sweep lines (an output against a parameter, one
// line per group) and heatmaps (an output over two parameters). Every figure
// is sized for one paper column (3.5 in wide, 7-9 pt sans-serif text), uses
// the Okabe-Ito colour-blind-safe palette, keeps its legend beside the data
// rather than over it, labels axes with quantities and units taken from the
// output vocabulary ("latency_s" → "Latency (ms)"), and is written as PNG
// (300 dpi), SVG or PDF.
//
// Figures are built from accumulators that take columnar batches one at a
// time (Lines, Heatmap, Pareto, Roofline), so a figure of ten million rows
// needs memory for the figure only: binned points, group aggregates, the
// front. Millions of points are drawn as a density layer or as one marker
// per occupied cell of a fine grid, never as millions of markers.
//
// The package reads results; it never calls the engine's evaluation (it
// reads the engine's vocabulary for the labels of columns).
package plots

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/mlsysim/mlsysim-go/engine"
)

// Style is the size and type of a figure.
type Style struct {
	Width, Height vg.Length // the whole figure
	Font          font.Font // typeface of every text
	TextSize      vg.Length // axis labels and cell values
	TickSize      vg.Length // tick labels and legend
	DPI           int       // PNG resolution
}

// ColumnStyle is one paper column: 3.5 × 2.6 in, Liberation Sans 8 pt
// labels and 7 pt ticks, PNG at 300 dpi.
var ColumnStyle = Style{
	Width:    3.5 * vg.Inch,
	Height:   2.6 * vg.Inch,
	Font:     font.Font{Typeface: "Liberation", Variant: "Sans"},
	TextSize: 8,
	TickSize: 7,
	DPI:      300,
}

// OkabeIto is the colour-blind-safe qualitative palette of Okabe and Ito
// (2008), without its black, in the order used for categories.
var OkabeIto = []color.Color{
	color.RGBA{0x00, 0x72, 0xB2, 0xff}, // blue
	color.RGBA{0xE6, 0x9F, 0x00, 0xff}, // orange
	color.RGBA{0x00, 0x9E, 0x73, 0xff}, // bluish green
	color.RGBA{0xCC, 0x79, 0xA7, 0xff}, // reddish purple
	color.RGBA{0x56, 0xB4, 0xE9, 0xff}, // sky blue
	color.RGBA{0xD5, 0x5E, 0x00, 0xff}, // vermillion
	color.RGBA{0xF0, 0xE4, 0x42, 0xff}, // yellow
}

// Other is the colour of the categories beyond the palette ("other").
var Other = color.RGBA{0x99, 0x99, 0x99, 0xff}

// CategoryColor returns the colour of category i: the palette in order,
// then grey.
func CategoryColor(i int) color.Color {
	if i >= 0 && i < len(OkabeIto) {
		return OkabeIto[i]
	}
	return Other
}

// Sequential returns the colour of t ∈ [0, 1] on a perceptually ordered,
// colour-blind-safe ramp (a viridis approximation), from dark purple (0)
// to yellow (1).
func Sequential(t float64) color.Color {
	stops := [...][3]float64{
		{68, 1, 84}, {72, 40, 120}, {62, 74, 137}, {49, 104, 142}, {38, 130, 142},
		{31, 158, 137}, {53, 183, 121}, {109, 205, 89}, {180, 222, 44}, {253, 231, 37},
	}
	t = math.Max(0, math.Min(1, t))
	f := t * float64(len(stops)-1)
	i := int(f)
	if i >= len(stops)-1 {
		i, f = len(stops)-2, float64(len(stops)-1)
	}
	u := f - float64(i)
	var c [3]uint8
	for k := range c {
		c[k] = uint8(math.Round(stops[i][k]*(1-u) + stops[i+1][k]*u))
	}
	return color.RGBA{c[0], c[1], c[2], 0xff}
}

// Axis describes one axis of a figure: the column it shows, its SI unit,
// and whether it is logarithmic.
type Axis struct {
	Name  string // column name, e.g. "latency_s"
	Unit  string // SI unit of the values ("s", "B", "1/s", "FLOP/B"); "" if none
	Log   bool   // logarithmic scale
	Label string // overrides the label derived from Name and Unit
}

// unitDisplay is how a unit is written in a label, where it differs.
var unitDisplay = map[string]string{
	"1/s": "1/s",
	"USD": "$",
}

// Quantity returns the name of the quantity a column holds, for labels:
// the vocabulary's label of a parameter or output ("tp" → "Tensor parallel
// (TP)"), else the column name without its unit suffix, with spaces
// ("load_j" → "Load").
func Quantity(column string) string {
	if c, ok := engine.Lookup(column); ok && c.Label != "" {
		return c.Label
	}
	s := column
	for _, suf := range []string{"_per_s", "_bytes", "_usd", "_kwh", "_kg", "_s", "_j", "_l", "_h"} {
		if strings.HasSuffix(s, suf) && len(s) > len(suf) {
			s = strings.TrimSuffix(s, suf)
			break
		}
	}
	s = strings.ReplaceAll(s, "_", " ")
	if s == "" {
		return column
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Scale is a display scale for a unit: values are multiplied by Factor and
// labelled with Unit.
type Scale struct {
	Factor float64
	Unit   string
}

// DisplayScale picks the display unit of values up to maxAbs in the SI unit
// unit: seconds become ms or µs, bytes kB … TB (decimal), FLOP/s GFLOP/s or
// TFLOP/s, joules kJ or MJ, so that the numbers on the axis stay between
// about 0.1 and 1000. For column tokens_per_s the unit reads "tokens/s".
func DisplayScale(column, unit string, maxAbs float64) Scale {
	if column == "tokens_per_s" {
		unit = "tokens/s"
	}
	type step struct {
		min    float64
		factor float64
		unit   string
	}
	var steps []step
	switch unit {
	case "s":
		steps = []step{{1, 1, "s"}, {1e-3, 1e3, "ms"}, {1e-6, 1e6, "µs"}, {0, 1e9, "ns"}}
	case "B":
		steps = []step{{1e12, 1e-12, "TB"}, {1e9, 1e-9, "GB"}, {1e6, 1e-6, "MB"}, {1e3, 1e-3, "kB"}, {0, 1, "B"}}
	case "FLOP/s":
		steps = []step{{1e15, 1e-15, "PFLOP/s"}, {1e12, 1e-12, "TFLOP/s"}, {1e9, 1e-9, "GFLOP/s"}, {0, 1, "FLOP/s"}}
	case "J":
		steps = []step{{1e6, 1e-6, "MJ"}, {1e3, 1e-3, "kJ"}, {0, 1, "J"}}
	default:
		if d, ok := unitDisplay[unit]; ok {
			unit = d
		}
		return Scale{1, unit}
	}
	if math.IsNaN(maxAbs) || maxAbs <= 0 {
		return Scale{1, unit}
	}
	for _, s := range steps {
		if maxAbs >= s.min {
			return Scale{s.factor, s.unit}
		}
	}
	last := steps[len(steps)-1]
	return Scale{last.factor, last.unit}
}

// AxisLabel returns "Quantity (unit)", or "Quantity" without a unit.
func AxisLabel(column string, sc Scale) string {
	q := Quantity(column)
	if sc.Unit == "" {
		return q
	}
	return q + " (" + sc.Unit + ")"
}

// newPlot returns an empty plot styled for st: sans-serif text at the
// style's sizes, light grid-free axes, no title (captions belong to the
// paper).
func newPlot(st Style) *plot.Plot {
	p := plot.New()
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(st.Font, st.TextSize)
		a.Tick.Label.Font = font.From(st.Font, st.TickSize)
		a.Tick.Label.Handler = newSupText()
		a.Label.Padding = 2
		a.Tick.Length = 3
		a.Padding = 2
		a.LineStyle.Width = 0.6
		a.Tick.LineStyle.Width = 0.5
	}
	p.Title.TextStyle.Font = font.From(st.Font, st.TextSize+1)
	p.Legend.TextStyle.Font = font.From(st.Font, st.TickSize)
	return p
}

// setAxis configures a plot axis for a: the label, the log scale and
// readable ticks.
func setAxis(a *plot.Axis, ax Axis, sc Scale) {
	if ax.Label != "" {
		a.Label.Text = ax.Label
	} else {
		a.Label.Text = AxisLabel(ax.Name, sc)
	}
	if ax.Log {
		a.Scale = plot.LogScale{}
		a.Tick.Marker = LogTicks{}
	} else {
		a.Tick.Marker = plainTicks{}
	}
}

// LogTicks marks powers of ten with a label and the 2…9 multiples without
// one. Labels are plain numbers from 0.001 to 10 000 and 10ⁿ outside that;
// when the axis spans more than six decades only every other decade is
// labelled, so that tick labels never overlap at column width.
type LogTicks struct{}

// Ticks returns the ticks of [min, max].
func (LogTicks) Ticks(min, max float64) []plot.Tick {
	if min <= 0 || max <= 0 || min > max {
		return nil
	}
	lo, hi := int(math.Floor(math.Log10(min))), int(math.Ceil(math.Log10(max)))
	// Decades inside the range decide how many get a label.
	first := int(math.Ceil(math.Log10(min) - 1e-9))
	inside := int(math.Floor(math.Log10(max)+1e-9)) - first + 1
	every := 1
	if inside > 7 {
		every = 2
	}
	if inside > 14 {
		every = 3
	}
	var ticks []plot.Tick
	for e := lo; e <= hi; e++ {
		v := math.Pow(10, float64(e))
		label := ""
		if (e-first)%every == 0 {
			label = pow10Label(e)
		}
		if v >= min*(1-1e-9) && v <= max*(1+1e-9) {
			ticks = append(ticks, plot.Tick{Value: v, Label: label})
		}
		if hi-lo <= 8 {
			for m := 2; m < 10; m++ {
				w := float64(m) * v
				if w >= min*(1-1e-9) && w <= max*(1+1e-9) {
					ticks = append(ticks, plot.Tick{Value: w})
				}
			}
		}
	}
	// A narrow range may hold fewer than three labelled decades: label the
	// 2× and 5× multiples too (1-2-5), then every multiple.
	for _, ms := range [][]int{{2, 5}, {2, 3, 4, 5, 6, 7, 8, 9}} {
		if inside >= 3 {
			break
		}
		n := 0
		for i := range ticks {
			v := ticks[i].Value
			m := int(math.Round(v / math.Pow(10, math.Floor(math.Log10(v)+1e-9))))
			if ticks[i].Label == "" && slices.Contains(ms, m) {
				e := int(math.Floor(math.Log10(v) + 1e-9))
				if e >= -3 && e <= 4 {
					ticks[i].Label = shortNumber(float64(m) * math.Pow(10, float64(e)))
				} else {
					ticks[i].Label = strconv.Itoa(m) + "×" + pow10Label(e)
				}
			}
			if ticks[i].Label != "" {
				n++
			}
		}
		if n >= 3 {
			break
		}
	}
	return ticks
}

// pow10Label returns the label of 10^e: a plain number from 0.001 to
// 10 000, else "10^n" (with a true minus sign), which supText draws as a
// superscript.
func pow10Label(e int) string {
	if e >= -3 && e <= 4 {
		return strconv.FormatFloat(math.Pow(10, float64(e)), 'f', -1, 64)
	}
	return "10^" + strings.ReplaceAll(strconv.Itoa(e), "-", "\u2212")
}

// shortNumber formats v for a tick or a cell: integers exactly, plain
// below 10⁵ (1024, 8192, 65536), powers of two plain up to 2^19 and as 2ⁿ
// from 2^20, other integers from 10⁵ as m×10ⁿ with every digit of m; other numbers with at most three
// significant digits, plain from 0.001 to 99 999 and as m×10ⁿ outside.
// Three digits would print 1024 as "1020" and 2048 as "2050", which reads
// as a different batch size or sequence length.
func shortNumber(v float64) string {
	if v == 0 {
		return "0"
	}
	a := math.Abs(v)
	if a == math.Trunc(a) && a < 1<<53 {
		if a < 1e5 {
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
		if e := math.Log2(a); e == math.Trunc(e) && a < 1e6 {
			return strconv.FormatFloat(v, 'f', -1, 64)
		} else if e == math.Trunc(e) {
			sign := ""
			if v < 0 {
				sign = "\u2212"
			}
			return sign + "2^" + strconv.Itoa(int(e))
		}
		exp := int(math.Floor(math.Log10(a)))
		mant := strconv.FormatFloat(v/math.Pow(10, float64(exp)), 'f', -1, 64)
		if mant == "1" {
			return pow10Label(exp)
		}
		if m, err := strconv.ParseFloat(mant, 64); err == nil && m*math.Pow(10, float64(exp)) == v && len(mant) <= 8 {
			return mant + "×" + pow10Label(exp)
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	if a >= 1e5 || a < 1e-3 {
		exp := int(math.Floor(math.Log10(a)))
		mant, _ := strconv.ParseFloat(strconv.FormatFloat(v/math.Pow(10, float64(exp)), 'g', 3, 64), 64)
		if mant == 1 {
			return pow10Label(exp)
		}
		return strconv.FormatFloat(mant, 'f', -1, 64) + "×" + pow10Label(exp)
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64)
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// plainTicks are gonum's default ticks with labels at three significant
// digits and no trailing zeros.
type plainTicks struct{}

func (plainTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = shortNumber(ts[i].Value)
		}
	}
	return ts
}

// Figure is a plot with its legend kept outside the data area, on the
// right, and its style.
type Figure struct {
	Plot   *plot.Plot
	Style  Style
	legend []legendItem
	// Footnote, if set, is printed small under the legend (e.g. "10 000 000
	// rows; density of all points").
	Footnote string

	panels []*Figure // small multiples (Facets), drawn instead of Plot
	titles []string  // the panels' titles
	cols   int       // panels per row
	title  string    // above the panels
	// scale are the display factors of the x and y axes (values in the
	// column's SI unit × scale = the numbers on the axis; 0: unknown).
	scale [2]float64
	heat  *heatLayer // a heatmap's cells, for a colour scale shared by panels
	heatZ Axis       // the heatmap's output

	legendPos  string // LegendPositions; "" is right
	legendCols int    // columns of the legend; 0 for the position's default
}

type legendItem struct {
	name   string
	thumbs []plot.Thumbnailer
}

// AddLegend adds a legend entry drawn with thumbs.
func (f *Figure) AddLegend(name string, thumbs ...plot.Thumbnailer) {
	f.legend = append(f.legend, legendItem{name, thumbs})
}

// LegendNames returns the legend entries, in order.
func (f *Figure) LegendNames() []string {
	out := make([]string, len(f.legend))
	for i, l := range f.legend {
		out[i] = l.name
	}
	return out
}

// Draw draws the figure on c: the plot on the left and, if the figure has
// legend entries, the legend in a strip on the right as wide as its
// longest entry. The axis labels are drawn here rather than by gonum, which
// mis-measures them on log axes (it places the label's glyph box at the
// linear midpoint of the range, padding the plot with an empty band).
func (f *Figure) Draw(c draw.Canvas) {
	if len(f.panels) > 0 {
		f.drawFacets(c)
		return
	}
	p := f.Plot
	if p.BackgroundColor != nil {
		c.SetColor(p.BackgroundColor)
		c.Fill(c.Rectangle.Path())
	}
	bg, xl, yl := p.BackgroundColor, p.X.Label.Text, p.Y.Label.Text
	p.BackgroundColor, p.X.Label.Text, p.Y.Label.Text = nil, "", ""
	defer func() { p.BackgroundColor, p.X.Label.Text, p.Y.Label.Text = bg, xl, yl }()

	lay := f.layoutLegend(c, false)
	xs, ys := p.X.Label.TextStyle, p.Y.Label.TextStyle
	left, bottom := vg.Length(labelMargin), vg.Length(0) // tick labels off the left edge
	if yl != "" {
		left = ys.Height(yl) + p.Y.Label.Padding
	}
	if xl != "" {
		bottom = xs.Height(xl) + p.X.Label.Padding + labelMargin
	}
	// Room at the top for half of the top tick label.
	top := p.Y.Tick.Label.Height("0")/2 + 2
	plotC := draw.Crop(c, left, -lay.right, bottom+lay.bottom, -top-lay.top)
	restore := spaceTicks(p, func() vg.Length { d := p.DataCanvas(plotC); return d.Max.X - d.Min.X }())
	p.Draw(plotC)
	dc := p.DataCanvas(plotC)
	restore()
	if yl != "" {
		ys.Rotation = math.Pi / 2
		ys.XAlign, ys.YAlign = draw.XCenter, draw.YTop
		c.FillText(ys, vg.Point{X: c.Min.X, Y: (dc.Min.Y + dc.Max.Y) / 2}, yl)
	}
	if xl != "" {
		xs.XAlign, xs.YAlign = draw.XCenter, draw.YBottom
		c.FillText(xs, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: c.Min.Y + lay.bottom + labelMargin}, xl)
	}
	lay.draw(c, dc)
}

// labelMargin keeps the x axis label's descenders off the figure's bottom
// edge.
const labelMargin = 1.5

// legendColumns returns the legend as one column, or as several side by
// side when one would run past the bottom of c (47 GPUs at column width).
func (f *Figure) legendColumns(c draw.Canvas) []*plot.Legend {
	if len(f.legend) == 0 {
		return nil
	}
	newLeg := f.newLegend
	one := newLeg(f.legend)
	h := one.Rectangle(c).Size().Y
	// Room for the legend: the canvas less a footnote line or two.
	avail := (c.Max.Y - c.Min.Y) - 3*one.TextStyle.Height("A")
	per := 0
	switch {
	case f.legendCols > 0: // as asked
		per = (len(f.legend) + f.legendCols - 1) / f.legendCols
	case h <= avail || avail <= 0:
		return []*plot.Legend{one}
	default:
		per = max(int(float64(avail)/float64(h/vg.Length(len(f.legend)))), 1)
	}
	var legs []*plot.Legend
	for i := 0; i < len(f.legend); i += per {
		legs = append(legs, newLeg(f.legend[i:min(i+per, len(f.legend))]))
	}
	return legs
}

// wrap splits s into lines no wider than w in style sty.
func wrap(s string, sty interface{ Width(string) vg.Length }, w vg.Length) []string {
	var lines []string
	cur := ""
	for _, word := range strings.Fields(s) {
		next := word
		if cur != "" {
			next = cur + " " + word
		}
		if cur != "" && sty.Width(next) > w {
			lines = append(lines, cur)
			cur = word
			continue
		}
		cur = next
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// Formats are the output formats Save understands, by file extension.
var Formats = []string{"png", "svg", "pdf"}

// Save writes the figure to path, in the format of its extension: .png
// (Style.DPI), .svg or .pdf. Fonts are embedded in SVG and PDF (in PDF as
// subsets with a ToUnicode map, so that its text extracts as drawn).
func (f *Figure) Save(path string) error {
	st := f.Style
	var c interface {
		vg.CanvasSizer
	}
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	var write func(*os.File) error
	switch ext {
	case "png":
		ic := vgimg.NewWith(vgimg.UseWH(st.Width, st.Height), vgimg.UseDPI(st.DPI), vgimg.UseBackgroundColor(color.White))
		c = ic
		write = func(w *os.File) error { _, err := vgimg.PngCanvas{Canvas: ic}.WriteTo(w); return err }
	case "svg":
		sc := vgsvg.NewWith(vgsvg.UseWH(st.Width, st.Height), vgsvg.EmbedFonts(true))
		c = sc
		write = func(w *os.File) error { _, err := sc.WriteTo(w); return err }
	case "pdf":
		pc := newPDF(st.Width, st.Height)
		c = pc
		write = func(w *os.File) error { _, err := pc.WriteTo(w); return err }
	default:
		return fmt.Errorf("plots: %s: unknown format %q (want png, svg or pdf)", path, ext)
	}
	f.Draw(draw.New(c))
	tmp, err := createTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("plots: %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// createTemp creates dir/prefix<random> exclusively with the mode of
// os.Create, 0666 less the umask, so that figures are as readable as the
// user's other files (os.CreateTemp would make them 0600).
func createTemp(dir, prefix string) (*os.File, error) {
	for range 10000 {
		f, err := os.OpenFile(filepath.Join(dir, prefix+strconv.FormatUint(uint64(rand.Uint32()), 10)), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, &os.PathError{Op: "createtemp", Path: filepath.Join(dir, prefix+"*"), Err: os.ErrExist}
}

// SaveAll writes the figure as dir/base.<format> for each format and
// returns the paths written.
func (f *Figure) SaveAll(dir, base string, formats []string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var out []string
	for _, ext := range formats {
		p := filepath.Join(dir, base+"."+ext)
		if err := f.Save(p); err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}

// lineStyle returns a line of colour c and width w points.
func lineStyle(c color.Color, w vg.Length) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: w}
}

// glyph returns a marker of shape s, colour c and radius r.
func glyph(s draw.GlyphDrawer, c color.Color, r vg.Length) draw.GlyphStyle {
	return draw.GlyphStyle{Color: c, Radius: r, Shape: s}
}

// thumbLine and thumbGlyph are legend thumbnails.
type thumbLine struct{ draw.LineStyle }

func (t thumbLine) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(t.LineStyle, c.Min.X, y, c.Max.X, y)
}

// thumbNone is the empty thumbnail of a legend heading.
type thumbNone struct{}

func (thumbNone) Thumbnail(*draw.Canvas) {}

type thumbGlyph struct{ draw.GlyphStyle }

func (t thumbGlyph) Thumbnail(c *draw.Canvas) { c.DrawGlyph(t.GlyphStyle, c.Center()) }

var _ = plotter.DefaultLineStyle
