package figures

import (
	"fmt"
	"math"

	"github.com/mlsysim/mlsysim-go/outputs"
	"github.com/mlsysim/mlsysim-go/plots"
)

// Lines draws an output (Request.Y, default latency_s) against a parameter
// (Request.X, default batch_size), one line per value of Request.Group
// (default hardware, when the results have it and it is not x). The values
// that share a point are reduced by Request.Agg, by default to the best by
// the output's direction. With Request.Bands, each point draws the error
// band of y (the columns y_lo and y_hi: latency_s, ttft_s, itl_s under the
// calibrated fidelity) as an error bar.
type Lines struct{}

// Name returns "lines".
func (Lines) Name() string { return "lines" }

// Build reads the rows once.
func (Lines) Build(src *Source, req *Request) (*plots.Figure, string, error) {
	x, y := orDefault(req.X, "batch_size"), orDefault(req.Y, "latency_s")
	if err := src.column("--x", x); err != nil {
		return nil, "", err
	}
	if err := src.column("--y", y); err != nil {
		return nil, "", err
	}
	group := req.Group
	if group == "" && src.has("hardware") && x != "hardware" {
		group = "hardware"
	} else if group != "" {
		if err := src.column("--group", group); err != nil {
			return nil, "", err
		}
	}
	for _, fc := range [][2]string{{"--x", x}, {"--y", y}} { // in this order, so that errors are stable
		flag, c := fc[0], fc[1]
		if err := src.numeric(flag, c); err != nil {
			return nil, "", err
		}
	}
	cols := []string{x, y}
	if group != "" {
		cols = append(cols, group)
	}
	band := -1 // the position of y_lo in cols; y_hi follows
	if req.Bands {
		for _, c := range []string{y + "_lo", y + "_hi"} {
			if !src.has(c) {
				return nil, "", &RequestError{fmt.Errorf("--bands: column %q is not in the results (error bands come with latency_s, ttft_s and itl_s under fidelity calibrated)", c)}
			}
		}
		band = len(cols)
		cols = append(cols, y+"_lo", y+"_hi")
	}
	l := plots.NewLines(plots.Axis{Name: x, Unit: src.unit(x)}, plots.Axis{Name: y, Unit: src.unit(y)}, group, aggFor(req, y))
	id, err := src.Identity(group)
	if err != nil {
		return nil, "", err
	}
	l.Identity = id
	err = src.scan(req, cols, func(b *outputs.ColumnBatch, keep func(int) bool) error {
		for i := range b.Len {
			if !keep(i) {
				continue
			}
			g := ""
			if group != "" {
				g = label(&b.Cols[2], i)
			}
			lo, hi := math.NaN(), math.NaN()
			if band >= 0 {
				lo, hi = b.Cols[band].Float[i], b.Cols[band+1].Float[i]
			}
			l.AddBand(b.Cols[0].Float[i], b.Cols[1].Float[i], lo, hi, g)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if l.Rows() == 0 { // every row null (unpriced, infeasible) or filtered out: nothing to draw
		return nil, "", nil
	}
	base := "lines-" + y + "-vs-" + x
	if group != "" {
		base += "-by-" + group
	}
	if band >= 0 {
		base += "-bands"
	}
	return l.Figure(req.Style.plotStyle()), base, nil
}
