package plots

import (
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// spacedTicks keeps the tick labels of an axis from touching at narrow
// widths (three panels in 3.5 in: "32" against "128"): a label that would
// come closer than half an em to the label kept before it loses its text
// and stays a tick mark. The last label is kept rather than the one before
// it, so the axis shows where it ends.
type spacedTicks struct {
	plot.Ticker
	scale  plot.Normalizer
	style  draw.TextStyle
	length vg.Length // of the axis on the canvas
}

func (t spacedTicks) Ticks(min, max float64) []plot.Tick {
	ts := slices.Clone(t.Ticker.Ticks(min, max))
	gap := t.style.Width("0") / 2
	type kept struct {
		i      int
		lo, hi vg.Length
	}
	var last *kept
	extent := func(tk plot.Tick) (vg.Length, vg.Length) {
		pos := vg.Length(t.scale.Normalize(min, max, tk.Value)) * t.length
		w := t.style.Width(tk.Label)
		return pos - w/2, pos + w/2
	}
	order := make([]int, 0, len(ts))
	for i, tk := range ts {
		if tk.Label != "" && !math.IsNaN(tk.Value) {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case ts[a].Value < ts[b].Value:
			return -1
		case ts[a].Value > ts[b].Value:
			return 1
		}
		return 0
	})
	for n, i := range order {
		lo, hi := extent(ts[i])
		if last != nil && lo < last.hi+gap {
			if n == len(order)-1 && last.i != order[0] { // keep the last label instead
				ts[last.i].Label = ""
				continue
			}
			ts[i].Label = ""
			continue
		}
		last = &kept{i, lo, hi}
	}
	return ts
}

// spaceTicks makes the x axis of p, whose data area is width long, drop
// labels that would touch (spacedTicks), unless its labels are rotated;
// it returns the function that restores the axis.
func spaceTicks(p *plot.Plot, width vg.Length) func() {
	x := &p.X
	if x.Tick.Label.Rotation != 0 || width <= 0 {
		return func() {}
	}
	orig := x.Tick.Marker
	x.Tick.Marker = spacedTicks{Ticker: orig, scale: x.Scale, style: x.Tick.Label, length: width}
	return func() { x.Tick.Marker = orig }
}
