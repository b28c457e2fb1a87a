package figures

import (
	"slices"
	"strings"

	"github.com/mlsysim/mlsysim-go/outputs"
	"github.com/mlsysim/mlsysim-go/plots"
	"github.com/mlsysim/mlsysim-go/registry"
)

// Roofline places each row at (arithmetic_intensity, attainable FLOP/s =
// min(I·B, P)) on the roof of its hardware and precision, and draws one
// roof per hardware and precision present. It needs the columns
// arithmetic_intensity and hardware (precision is optional: FP16 without
// it), and colours points by Request.Color (default hardware).
type Roofline struct{}

// Name returns "roofline".
func (Roofline) Name() string { return "roofline" }

// roofCache holds the roof of each (hardware, precision) seen, in order of
// first sight. Lookups by the row's strings do not allocate.
type roofCache struct {
	reg   *registry.Registry
	roofs map[string]map[string]plots.Roof
	order []plots.Roof
}

func (c *roofCache) get(hw, prec string) (plots.Roof, bool) {
	if r, ok := c.roofs[hw][prec]; ok {
		return r, r.Peak > 0
	}
	if c.roofs == nil {
		c.roofs = map[string]map[string]plots.Roof{}
	}
	if c.roofs[hw] == nil {
		c.roofs[hw] = map[string]plots.Roof{}
	}
	r := plots.Roof{Name: strings.TrimSpace(hw + " " + prec), Hardware: hw, Precision: prec}
	if h, err := c.reg.Hardware(hw); err == nil {
		p, perr := registry.ParsePrecision(prec)
		if prec == "" {
			p, perr = registry.FP16, nil
		}
		if perr == nil {
			r.Peak, r.MemBW = h.PeakFor(p), h.MemBandwidthBps
		}
	}
	if r.MemBW <= 0 {
		r.Peak = 0
	}
	c.roofs[hw][prec] = r
	c.order = append(c.order, r)
	return r, r.Peak > 0
}

// Build reads the rows twice: once for the extents, once to place them.
func (Roofline) Build(src *Source, req *Request) (*plots.Figure, string, error) {
	for _, c := range []string{"arithmetic_intensity", "hardware"} {
		if err := src.column("roofline", c); err != nil {
			return nil, "", err
		}
	}
	// Points sit on their roof, so the bottleneck shows in their position;
	// colour tells the hardware apart, as the roofs do.
	color, err := colorColumn(src, req.Color, "hardware")
	if err != nil {
		return nil, "", err
	}
	cols := []string{"arithmetic_intensity", "hardware"}
	hasPrec := src.has("precision")
	if hasPrec {
		cols = append(cols, "precision")
	}
	if color != "" && !slices.Contains(cols, color) {
		cols = append(cols, color)
	}
	rc := &roofCache{reg: src.reg}
	point := func(b *outputs.ColumnBatch, i int) (ai, perf float64, ok bool) {
		ai = b.Cols[0].Float[i]
		prec := ""
		if hasPrec {
			prec = b.Col("precision").String[i]
		}
		r, ok := rc.get(b.Cols[1].String[i], prec)
		if !ok || !(ai > 0) {
			return 0, 0, false
		}
		// The results hold no achieved FLOP/s whose intensity matches the
		// arithmetic_intensity column (mfu counts a whole request while the
		// intensity is one decode step in serving), so points sit at the
		// attainable performance of their intensity.
		return ai, r.Attainable(ai), true
	}
	var ae, pe plots.Extent
	err = src.scan(req, cols, func(b *outputs.ColumnBatch, keep func(int) bool) error {
		for i := range b.Len {
			if !keep(i) {
				continue
			}
			if ai, perf, ok := point(b, i); ok {
				ae.Observe(ai)
				pe.Observe(perf)
			}
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if ae.N == 0 {
		return nil, "", nil
	}
	// One roof per hardware and precision present in the rows: the figure
	// draws each hardware's roofs in one colour, a line style per precision.
	var roofs []plots.Roof
	for _, r := range rc.order {
		if r.Peak > 0 {
			roofs = append(roofs, r)
		}
	}
	rl := plots.NewRoofline(roofs, ae, pe)
	rl.ColorBy = color
	if rl.Cats.Identity, err = src.Identity(color); err != nil {
		return nil, "", err
	}
	rl.Note = "at min(I·B, P)"
	ci := slices.Index(cols, color)
	err = src.scan(req, cols, func(b *outputs.ColumnBatch, keep func(int) bool) error {
		for i := range b.Len {
			if !keep(i) {
				continue
			}
			if ai, perf, ok := point(b, i); ok {
				cat := ""
				if ci >= 0 {
					cat = label(&b.Cols[ci], i)
				}
				rl.Add(ai, perf, cat)
			}
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return rl.Figure(plots.ColumnStyle), "roofline", nil
}
