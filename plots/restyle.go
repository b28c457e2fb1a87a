package plots

import (
	"errors"
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
)

// Single and Double are the widths of a figure that spans one column or
// both columns of a two-column paper.
const (
	Single = 3.5 * vg.Inch
	Double = 7 * vg.Inch
)

// SetTextSize sets the size of the axis labels and title (text) and of the
// tick labels and legend (tick).
func (f *Figure) SetTextSize(text, tick vg.Length) {
	f.Style.TextSize, f.Style.TickSize = text, tick
	for _, p := range f.panels {
		p.SetTextSize(text, tick)
	}
	p := f.Plot
	if p == nil {
		return
	}
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(f.Style.Font, text)
		a.Tick.Label.Font = font.From(f.Style.Font, tick)
	}
	p.Title.TextStyle.Font = font.From(f.Style.Font, text+1)
}

// SetLog makes the x axis (x true) or the y axis logarithmic (log true) or
// linear. A log axis needs a positive top; a linear range padded below
// zero starts at a thousandth of its top instead.
func (f *Figure) SetLog(x, log bool) error {
	for _, p := range f.panels {
		if err := p.SetLog(x, log); err != nil {
			return err
		}
	}
	if f.Plot == nil {
		return nil
	}
	a := &f.Plot.Y
	if x {
		a = &f.Plot.X
	}
	if !log {
		a.Scale, a.Tick.Marker = plot.LinearScale{}, plainTicks{}
		return nil
	}
	if !(a.Max > 0) {
		return errors.New("a log axis needs positive values")
	}
	if !(a.Min > 0) {
		a.Min = a.Max / 1000
	}
	a.Scale, a.Tick.Marker = plot.LogScale{}, LogTicks{}
	return nil
}

// HideLegend drops the legend (the footnote stays).
func (f *Figure) HideLegend() { f.legend = nil }

// SetTitle sets the title above the axes (above the panels of small
// multiples).
func (f *Figure) SetTitle(title string) {
	if len(f.panels) > 0 {
		f.title = title
		return
	}
	f.Plot.Title.Text = title
}

// SetAxisLabels sets the label of the x axis and of the y axis ("" keeps
// one), of every panel of small multiples.
func (f *Figure) SetAxisLabels(x, y string) {
	for _, p := range f.panels {
		p.SetAxisLabels(x, y)
	}
	if f.Plot == nil {
		return
	}
	if x != "" {
		f.Plot.X.Label.Text = x
	}
	if y != "" {
		f.Plot.Y.Label.Text = y
	}
}

// SetLimits sets the range of the x axis (x true) or the y axis to
// [lo, hi], in the SI unit of its column (seconds, not the milliseconds an
// axis may show). Figures whose axes are positions (heatmap cells, bar
// categories) have no limits to set.
func (f *Figure) SetLimits(x bool, lo, hi float64) error {
	if !(lo < hi) {
		return fmt.Errorf("limits [%v, %v]: the first must be below the second", lo, hi)
	}
	for _, p := range f.panels {
		if err := p.SetLimits(x, lo, hi); err != nil {
			return err
		}
	}
	if f.Plot == nil {
		return nil
	}
	k, a := 1, &f.Plot.Y
	if x {
		k, a = 0, &f.Plot.X
	}
	if f.scale[k] == 0 {
		return errors.New("this figure's axis has no limits to set")
	}
	if _, log := a.Scale.(plot.LogScale); log && !(lo > 0) {
		return fmt.Errorf("limits [%v, %v]: a log axis needs a positive range", lo, hi)
	}
	a.Min, a.Max = lo*f.scale[k], hi*f.scale[k]
	return nil
}
