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
// per series and the legend beside the data, to path (.png at 300 dpi,
// .svg or .pdf by extension). title is kept for callers; like every figure
// of the package it is not drawn (captions belong to the paper).
func AccuracyFigure(path, title string, series []AccuracySeries) error {
	_ = title
	st := ColumnStyle
	st.Width, st.Height = 4.4*vg.Inch, 3.2*vg.Inch
	p := newPlot(st)
	p.X.Label.Text = "Measured (ms)"
	p.Y.Label.Text = "Predicted (ms)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = LogTicks{}, LogTicks{}
	f := &Figure{Plot: p, Style: st}
	lo, hi := math.Inf(1), math.Inf(-1)
	colours := []color.Color{Other, OkabeIto[0], OkabeIto[2]}
	shapes := []draw.GlyphDrawer{draw.CrossGlyph{}, draw.CircleGlyph{}, draw.TriangleGlyph{}}
	var scatters []*plotter.Scatter
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
		sc.GlyphStyle = glyph(shapes[i%len(shapes)], colours[i%len(colours)], vg.Points(1.8))
		scatters = append(scatters, sc)
		f.AddLegend(s.Name, sc)
	}
	if lo > hi {
		return fmt.Errorf("accuracy figure: no points")
	}
	lo, hi = lo/1.5, hi*1.5
	var band *plotter.Line
	for _, k := range []float64{1, 0.9, 1.1} {
		l, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lo * k}, {X: hi, Y: hi * k}})
		if err != nil {
			return err
		}
		l.LineStyle = lineStyle(color.Gray{Y: 0x40}, 0.6)
		if k != 1 {
			l.LineStyle = lineStyle(color.Gray{Y: 0xA0}, 0.5)
			l.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
			band = l
		}
		p.Add(l)
	}
	for _, sc := range scatters {
		p.Add(sc)
	}
	f.AddLegend("±10 %", band)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = lo, hi, lo, hi
	return f.Save(path)
}
