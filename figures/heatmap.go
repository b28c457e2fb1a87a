package figures

import (
	"math"

	"github.com/mlsysim/mlsysim-go/outputs"
	"github.com/mlsysim/mlsysim-go/plots"
)

// Heatmap draws an output (Request.Z, default step_time_s when the results
// have it, else latency_s) over two parameters (Request.X and Y, default tp
// and pp). The parameters may be numeric (cells in numeric order) or
// categorical, such as hardware or precision (cells in order of first
// sight). The values that share a cell are reduced by Request.Agg, by
// default to the best by the output's direction.
type Heatmap struct{}

// Name returns "heatmap".
func (Heatmap) Name() string { return "heatmap" }

// Build reads the rows once.
func (Heatmap) Build(src *Source, req *Request) (*plots.Figure, string, error) {
	x, y := orDefault(req.X, "tp"), orDefault(req.Y, "pp")
	z := req.Z
	if z == "" {
		z = "latency_s"
		if src.has("step_time_s") {
			z = "step_time_s"
		}
	}
	if err := src.columns([2]string{"--x", x}, [2]string{"--y", y}, [2]string{"--z", z}); err != nil {
		return nil, "", err
	}
	if err := src.numeric("--z", z); err != nil {
		return nil, "", err
	}
	xa, ya := plots.Axis{Name: x}, plots.Axis{Name: y}
	if u := src.unit(x); u != "" && src.info.Lookup(x).Kind == outputs.KindFloat {
		xa.Label = plots.AxisLabel(x, plots.Scale{Factor: 1, Unit: u})
	}
	if u := src.unit(y); u != "" && src.info.Lookup(y).Kind == outputs.KindFloat {
		ya.Label = plots.AxisLabel(y, plots.Scale{Factor: 1, Unit: u})
	}
	h := plots.NewHeatmap(xa, ya, plots.Axis{Name: z, Unit: src.unit(z)}, aggFor(req, z))
	var cells int64 // rows with a value to draw
	err := src.scan(req, []string{x, y, z}, func(b *outputs.ColumnBatch, keep func(int) bool) error {
		xc, yc, zs := &b.Cols[0], &b.Cols[1], b.Cols[2].Float
		xnum, ynum := xc.Kind == outputs.KindFloat, yc.Kind == outputs.KindFloat
		for i := range b.Len {
			if !keep(i) || math.IsNaN(zs[i]) || math.IsInf(zs[i], 0) {
				continue
			}
			cells++
			switch {
			case xnum && ynum:
				h.Add(xc.Float[i], yc.Float[i], zs[i])
			default:
				var xl, yl string
				var xv, yv float64
				if xnum {
					xv = xc.Float[i]
				} else if xl = label(xc, i); xl == "" {
					xl = "(none)"
				}
				if ynum {
					yv = yc.Float[i]
				} else if yl = label(yc, i); yl == "" {
					yl = "(none)"
				}
				h.AddMixed(xl, xv, yl, yv, zs[i])
			}
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if cells == 0 { // every row null (unpriced, infeasible) or filtered out: nothing to draw
		return nil, "", nil
	}
	return h.Figure(req.Style.plotStyle()), "heatmap-" + z + "-" + x + "-" + y, nil
}
