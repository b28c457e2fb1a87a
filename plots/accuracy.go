package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// AccuracySeries is one fidelity's predictions against measurements, in
// seconds.
type AccuracySeries struct {
	Name      string
	Measured  []float64
	Predicted []float64
}

// AccuracyFigure writes a predicted-vs-measured scatter (log-log, seconds
// shown as ms) with the identity line and a ±10 % band, one marker style
// per series, to path (.png, .svg or .pdf by extension).
func AccuracyFigure(path, title string, series []AccuracySeries) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "Measured (ms)"
	p.Y.Label.Text = "Predicted (ms)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{}, plot.LogTicks{}
	lo, hi := math.Inf(1), math.Inf(-1)
	colours := []color.Color{
		color.RGBA{R: 0xD5, G: 0x5E, B: 0x00, A: 0xFF}, // vermillion
		color.RGBA{R: 0x00, G: 0x72, B: 0xB2, A: 0xFF}, // blue
		color.RGBA{R: 0x00, G: 0x9E, B: 0x73, A: 0xFF}, // green
	}
	shapes := []draw.GlyphDrawer{draw.CrossGlyph{}, draw.CircleGlyph{}, draw.TriangleGlyph{}}
	for i, s := range series {
		if len(s.Measured) != len(s.Predicted) {
			return fmt.Errorf("accuracy figure: series %q has %d measured and %d predicted values", s.Name, len(s.Measured), len(s.Predicted))
		}
		xy := make(plotter.XYs, 0, len(s.Measured))
		for j := range s.Measured {
			x, y := s.Measured[j]*1e3, s.Predicted[j]*1e3
			if !(x > 0) || !(y > 0) || math.IsInf(x, 0) || math.IsInf(y, 0) {
				continue
			}
			xy = append(xy, plotter.XY{X: x, Y: y})
			lo, hi = math.Min(lo, math.Min(x, y)), math.Max(hi, math.Max(x, y))
		}
		sc, err := plotter.NewScatter(xy)
		if err != nil {
			return err
		}
		sc.GlyphStyle.Color = colours[i%len(colours)]
		sc.GlyphStyle.Shape = shapes[i%len(shapes)]
		sc.GlyphStyle.Radius = vg.Points(2)
		p.Add(sc)
		p.Legend.Add(s.Name, sc)
	}
	if lo > hi {
		return fmt.Errorf("accuracy figure: no points")
	}
	lo, hi = lo/1.5, hi*1.5
	for _, k := range []float64{1, 0.9, 1.1} {
		l, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lo * k}, {X: hi, Y: hi * k}})
		if err != nil {
			return err
		}
		l.Color = color.Gray{Y: 0x60}
		if k != 1 {
			l.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
			l.Color = color.Gray{Y: 0xA0}
		}
		p.Add(l)
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = lo, hi, lo, hi
	p.Legend.Top, p.Legend.Left = true, true
	return p.Save(4*vg.Inch, 4*vg.Inch, path)
}
