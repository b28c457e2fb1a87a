package figures

import (
	"github.com/mlsysim/mlsysim-go/outputs"
	"github.com/mlsysim/mlsysim-go/plots"
)

// CDF draws the distribution of an output over the rows (Request.X,
// default latency_s): for each value, the fraction of configurations at or
// below it, one curve per value of Request.Group (default hardware, when
// the results have it). It reads the rows twice: the extent, then the
// counts in fine bins.
type CDF struct{}

// Name returns "cdf".
func (CDF) Name() string { return "cdf" }

// Build reads the rows twice.
func (CDF) Build(src *Source, req *Request) (*plots.Figure, string, error) {
	x := orDefault(req.X, "latency_s")
	if err := src.column("--x", x); err != nil {
		return nil, "", err
	}
	if err := src.numeric("--x", x); err != nil {
		return nil, "", err
	}
	group := req.Group
	if group == "" && src.has("hardware") && x != "hardware" {
		group = "hardware"
	} else if group == "none" {
		group = ""
	} else if group != "" {
		if err := src.column("--group", group); err != nil {
			return nil, "", err
		}
	}
	var ext plots.Extent
	err := src.scan(req, []string{x}, func(b *outputs.ColumnBatch, keep func(int) bool) error {
		for i := range b.Len {
			if keep(i) {
				ext.Observe(b.Cols[0].Float[i])
			}
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if ext.N == 0 {
		return nil, "", nil
	}
	c := plots.NewCDF(plots.Axis{Name: x, Unit: src.unit(x)}, ext, group)
	if c.Identity, err = src.Identity(group); err != nil {
		return nil, "", err
	}
	cols := []string{x}
	if group != "" {
		cols = append(cols, group)
	}
	err = src.scan(req, cols, func(b *outputs.ColumnBatch, keep func(int) bool) error {
		for i := range b.Len {
			if !keep(i) {
				continue
			}
			g := ""
			if group != "" {
				g = label(&b.Cols[1], i)
			}
			c.Add(b.Cols[0].Float[i], g)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	base := "cdf-" + x
	if group != "" {
		base += "-by-" + group
	}
	return c.Figure(req.Style.plotStyle()), base, nil
}
