package figures

import (
	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/outputs"
	"github.com/mlsysim/mlsysim-go/plots"
)

// Scaling draws an output (Request.Y, default tokens_per_s, else
// throughput_per_s) against the GPUs of the job (Request.X, default
// gpus_used), one line per value of Request.Group (default model), each
// point the best row by the output's direction, with the ideal scaling
// from the line's smallest job: y₀·g/g₀ for an output that is better
// higher (throughput), y₀·g₀/g for one better lower (step time).
type Scaling struct{}

// Name returns "scaling".
func (Scaling) Name() string { return "scaling" }

// Build reads the rows once.
func (Scaling) Build(src *Source, req *Request) (*plots.Figure, string, error) {
	x := orDefault(req.X, "gpus_used")
	y := orDefault(req.Y, src.rate())
	for _, fc := range [][2]string{{"--x", x}, {"--y", y}} { // in this order, so that errors are stable
		flag, c := fc[0], fc[1]
		if err := src.column(flag, c); err != nil {
			return nil, "", err
		}
		if err := src.numeric(flag, c); err != nil {
			return nil, "", err
		}
	}
	group := req.Group
	if group == "" && src.has("model") {
		group = "model"
	} else if group != "" {
		if err := src.column("--group", group); err != nil {
			return nil, "", err
		}
	}
	cols := []string{x, y}
	if group != "" {
		cols = append(cols, group)
	}
	l := plots.NewLines(plots.Axis{Name: x, Unit: src.unit(x)}, plots.Axis{Name: y, Unit: src.unit(y), Log: true}, group, aggFor(req, y))
	l.X.Log = true
	l.Ideal = 1
	if c, _ := engine.Lookup(y); c.Better != engine.HigherIsBetter {
		l.Ideal = -1
	}
	id, err := src.Identity(group)
	if err != nil {
		return nil, "", err
	}
	l.Identity = id
	err = src.scan(req, cols, func(b *outputs.ColumnBatch, keep func(int) bool) error {
		for i := range b.Len {
			if !keep(i) || !(b.Cols[0].Float[i] > 0) || !(b.Cols[1].Float[i] > 0) {
				continue
			}
			g := ""
			if group != "" {
				g = label(&b.Cols[2], i)
			}
			l.Add(b.Cols[0].Float[i], b.Cols[1].Float[i], g)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if l.Rows() == 0 {
		return nil, "", nil
	}
	base := "scaling-" + y + "-vs-" + x
	if group != "" {
		base += "-by-" + group
	}
	return l.Figure(req.Style.plotStyle()), base, nil
}
