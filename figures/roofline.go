package figures

import (
	"math"
	"slices"
	"strings"

	"github.com/mlsysim/mlsysim-go/outputs"
	"github.com/mlsysim/mlsysim-go/plots"
	"github.com/mlsysim/mlsysim-go/registry"
)

// Roofline places each row at (arithmetic_intensity, the FLOP/s it
// achieves = mfu × P) under the roof of its hardware and precision, and
// draws one roof per hardware and precision present. Serving rows, whose
// mfu and intensity describe different work, and results without mfu sit
// on the roof instead, at min(I·B, P); the footnote says which. It needs the columns
// arithmetic_intensity and hardware (precision is optional: FP16 without
// it), and colours points by Request.Color (default hardware).
type Roofline struct{}

// Name returns "roofline".
func (Roofline) Name() string { return "roofline" }

// roofCache holds the roof of each (hardware, precision) seen, in order of
// first sight. Lookups by the row's strings do not allocate.
type roofCache struct {
	reg     *registry.Registry
	roofs   map[string]map[string]plots.Roof
	order   []plots.Roof
	systems map[string]string // system → its accelerator's hardware key
}

// accelerator is the hardware key of a registry system's accelerator, ""
// when the name is no system.
func (c *roofCache) accelerator(system string) string {
	if hw, ok := c.systems[system]; ok {
		return hw
	}
	if c.systems == nil {
		c.systems = map[string]string{}
	}
	hw := ""
	if cl, err := c.reg.Cluster(system); err == nil && cl.Node != nil && cl.Node.Accelerator != nil {
		hw = cl.Node.Accelerator.Key
	}
	c.systems[system] = hw
	return hw
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
	// Points sit at the FLOP/s each row achieves, mfu × P, where its mfu
	// and its intensity describe the same work (a forward pass, a training
	// step). A serving row's mfu counts a whole request (prefill and every
	// decode step) while its intensity is one decode step: such a row sits
	// at the attainable performance of its intensity, min(I·B, P).
	achieved := src.has("mfu") && src.numeric("mfu", "mfu") == nil
	if achieved {
		cols = append(cols, "mfu")
	}
	hasMode := src.has("mode")
	if hasMode && !slices.Contains(cols, "mode") {
		cols = append(cols, "mode")
	}
	// A row on a cluster (system) has no hardware of its own: its roof is
	// the system's accelerator's.
	hasSys := src.has("system")
	if hasSys && !slices.Contains(cols, "system") {
		cols = append(cols, "system")
	}
	var onRoof, atMFU int64
	rc := &roofCache{reg: src.reg}
	point := func(b *outputs.ColumnBatch, i int) (ai, perf float64, ok bool) {
		ai = b.Cols[0].Float[i]
		prec := ""
		if hasPrec {
			prec = b.Col("precision").String[i]
		}
		hw := b.Cols[1].String[i]
		if hw == "" && hasSys {
			hw = rc.accelerator(b.Col("system").String[i])
		}
		r, ok := rc.get(hw, prec)
		if !ok || !(ai > 0) {
			return 0, 0, false
		}
		if achieved && (!hasMode || b.Col("mode").String[i] != "serving") {
			if m := b.Col("mfu").Float[i]; m > 0 && !math.IsInf(m, 0) {
				atMFU++
				return ai, m * r.Peak, true
			}
			return 0, 0, false // no achieved performance to show
		}
		onRoof++
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
	switch { // the counts of pass 1
	case atMFU > 0 && onRoof > 0:
		rl.Note = "at mfu·P (serving rows: min(I·B, P))"
	case atMFU > 0:
		rl.Note = "at mfu·P"
	default:
		rl.Note = "at min(I·B, P)"
	}
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
	return rl.Figure(req.Style.plotStyle()), "roofline", nil
}
