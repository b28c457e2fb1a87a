package figures

import (
	"fmt"
	"math"

	"github.com/mlsysim/mlsysim-go/outputs"
	"github.com/mlsysim/mlsysim-go/plots"
)

// Bars draws an output (Request.Y, default tokens_per_s, else
// throughput_per_s) as grouped bars: one group per value of Request.X
// (default hardware), one bar per value of Request.Group (default
// precision), each the best row by the output's direction (Request.Agg).
type Bars struct{}

// Name returns "bars".
func (Bars) Name() string { return "bars" }

// maxBarGroups bounds the groups and bars of a bar figure; further values
// are counted in the footnote.
const maxBarGroups = 24

// Build reads the rows once.
func (Bars) Build(src *Source, req *Request) (*plots.Figure, string, error) {
	x := orDefault(req.X, "hardware")
	y := orDefault(req.Y, src.rate())
	if err := src.columns([2]string{"--x", x}, [2]string{"--y", y}); err != nil {
		return nil, "", err
	}
	if err := src.numeric("--y", y); err != nil {
		return nil, "", err
	}
	group := req.Group
	if group == "" && src.has("precision") && x != "precision" {
		group = "precision"
	} else if group == "none" {
		group = ""
	} else if group != "" {
		if err := src.column("--group", group); err != nil {
			return nil, "", err
		}
	}
	agg := aggFor(req, y)
	cols := []string{x, y}
	if group != "" {
		cols = append(cols, group)
	}
	type key struct{ x, g string }
	best := map[key]*reduction{}
	seenX, seenG := map[string]bool{}, map[string]bool{}
	var dropped int64
	err := src.scan(req, cols, func(b *outputs.ColumnBatch, keep func(int) bool) error {
		for i := range b.Len {
			v := b.Cols[1].Float[i]
			if !keep(i) || math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			k := key{x: label(&b.Cols[0], i)}
			if group != "" {
				k.g = label(&b.Cols[2], i)
			}
			if (!seenX[k.x] && len(seenX) >= maxBarGroups) || (!seenG[k.g] && len(seenG) >= maxBarGroups) {
				dropped++
				continue
			}
			seenX[k.x], seenG[k.g] = true, true
			a := best[k]
			if a == nil {
				a = &reduction{}
				best[k] = a
			}
			a.add(agg, v)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if len(best) == 0 {
		return nil, "", nil
	}
	xs, err := rankOrder(src, x, seenX)
	if err != nil {
		return nil, "", err
	}
	gs, err := rankOrder(src, group, seenG)
	if err != nil {
		return nil, "", err
	}
	bars := &plots.Bars{Y: plots.Axis{Name: y, Unit: src.unit(y)}, Categories: xs, Series: gs}
	if bars.Identity, err = src.Identity(group); err != nil {
		return nil, "", err
	}
	bars.Values = make([][]float64, len(gs))
	for s, g := range gs {
		bars.Values[s] = make([]float64, len(xs))
		for k, xv := range xs {
			bars.Values[s][k] = math.NaN()
			if a := best[key{xv, g}]; a != nil {
				bars.Values[s][k] = a.value(agg)
			}
		}
	}
	bars.Note = agg.String() + " per bar"
	if dropped > 0 {
		bars.Note += fmt.Sprintf("; %d rows beyond %d values not shown", dropped, maxBarGroups)
	}
	base := "bars-" + y + "-by-" + x
	if group != "" {
		base += "-and-" + group
	}
	return bars.Figure(req.Style.plotStyle()), base, nil
}

// rankOrder returns the values of seen in the order of column's Identity
// ("" for no column: the one value "").
func rankOrder(src *Source, column string, seen map[string]bool) ([]string, error) {
	if column == "" {
		return []string{""}, nil
	}
	id, err := src.Identity(column)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range id.Labels() {
		if seen[l] {
			out = append(out, l)
		}
	}
	return out, nil
}

// reduction reduces the values of one bar by an Agg.
type reduction struct {
	v, sum float64
	n      int64
}

func (r *reduction) add(agg plots.Agg, v float64) {
	switch {
	case r.n == 0:
		r.v = v
	case agg == plots.AggMin:
		r.v = math.Min(r.v, v)
	case agg == plots.AggMax:
		r.v = math.Max(r.v, v)
	}
	r.sum += v
	r.n++
}

func (r *reduction) value(agg plots.Agg) float64 {
	if agg == plots.AggMean {
		return r.sum / float64(r.n)
	}
	return r.v
}
