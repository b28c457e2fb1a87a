package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlsysim/mlsysim-go/dse"
	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/outputs"
	"github.com/mlsysim/mlsysim-go/plots"
	"github.com/mlsysim/mlsysim-go/registry"
)

// plotOptions are the flags of `sweep plot`.
type plotOptions struct {
	Out        string   // the run's output directory
	Dir        string   // where figures go; default OUT/plots
	Kinds      []string // roofline, pareto, lines, heatmap; "all" = every kind the columns allow
	X, Y, Z    string   // columns; defaults depend on the kind
	Color      string   // the parameter that colours points ("" = the kind's default, "none" = none)
	Group      string   // lines: one line per value of this parameter
	Objectives string   // pareto: "latency_s:min,tokens_per_s:max"
	Agg        string   // lines, heatmap: min, max or mean ("" = by the output's direction)
	Formats    []string // png, svg, pdf
	All        bool     // include infeasible rows
}

func newPlotCmd() *cobra.Command {
	o := &plotOptions{}
	var kind, formats string
	cmd := &cobra.Command{
		Use:   "plot OUT",
		Short: "Draw roofline, Pareto, sweep-line and heatmap figures from a run's results",
		Long: "plot reads OUT/results/*.parquet (any number of rows, in bounded memory) and writes\n" +
			"paper-ready figures (3.5 in wide, 300 dpi PNG, SVG, PDF) into OUT/plots.",
		Example: "  sweep plot out/serving\n" +
			"  sweep plot out/serving --kind pareto --objectives latency_s:min,tokens_per_s:max --color hardware\n" +
			"  sweep plot out/serving --kind lines --x batch_size --y itl_s --group hardware --format pdf\n" +
			"  sweep plot out/training --kind heatmap --x tp --y pp --z step_time_s",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return badInput(fmt.Errorf("plot takes one run output directory"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Out = args[0]
			o.Kinds = splitList(kind)
			o.Formats = splitList(formats)
			reg, err := loadRegistry(cmd)
			if err != nil {
				return err
			}
			paths, err := drawFigures(o, reg, cmd.ErrOrStderr())
			for _, p := range paths {
				fmt.Fprintln(cmd.OutOrStdout(), p)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&kind, "kind", "all", "figures to draw: roofline, pareto, lines, heatmap or all (comma-separated)")
	f.StringVar(&o.X, "x", "", "x column (pareto: first objective; lines: batch_size; heatmap: tp)")
	f.StringVar(&o.Y, "y", "", "y column (pareto: second objective; lines: latency_s; heatmap: pp)")
	f.StringVar(&o.Z, "z", "", "heatmap: the output in the cells (default step_time_s or latency_s)")
	f.StringVar(&o.Color, "color", "", "parameter that colours points (default hardware; none for none)")
	f.StringVar(&o.Group, "group", "", "lines: one line per value of this parameter (default hardware)")
	f.StringVar(&o.Objectives, "objectives", "", "pareto objectives, 2 to 4, as column:min|max (default latency_s:min,tokens_per_s:max)")
	f.StringVar(&o.Agg, "agg", "", "lines and heatmap: min, max or mean over the other parameters (default by the output's direction)")
	f.StringVar(&formats, "format", "png,svg,pdf", "output formats: png, svg, pdf (comma-separated)")
	f.StringVar(&o.Dir, "dir", "", "directory for the figures (default OUT/plots)")
	f.BoolVar(&o.All, "all-rows", false, "include infeasible rows (default: feasible rows only)")
	return cmd
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strings.ToLower(p))
		}
	}
	return out
}

// maximised lists outputs where larger is better: they aggregate by max
// and default to a maximised objective.
var maximised = map[string]bool{
	"tokens_per_s": true, "throughput_per_s": true, "mfu": true, "hfu": true, "goodput": true,
	"scaling_efficiency": true, "utilization": true,
}

// plotSource is the results of a run: its files and their columns.
type plotSource struct {
	files []string
	info  *outputs.FileInfo
	reg   *registry.Registry
}

// column checks that name is a column of the results; the error suggests
// close names.
func (s *plotSource) column(flag, name string) error {
	if s.info.Lookup(name) != nil {
		return nil
	}
	msg := fmt.Sprintf("%s: column %q is not in the results", flag, name)
	if sug := registry.Suggest(name, s.info.Names()); len(sug) > 0 {
		msg += "; did you mean " + strings.Join(sug, ", ") + "?"
	}
	return badInput(errors.New(msg))
}

func (s *plotSource) has(name string) bool { return s.info.Lookup(name) != nil }

// unit returns the SI unit of a column: from the file's metadata, else from
// the vocabulary.
func (s *plotSource) unit(name string) string {
	if u := s.info.Unit(name); u != "" {
		return u
	}
	if o := engine.LookupOutput(name); o != nil {
		return o.Unit
	}
	if p := engine.LookupParam(name); p != nil {
		return p.Unit
	}
	return ""
}

// scan reads cols (plus feasible, unless all rows are wanted) and calls fn
// for each batch with a row filter.
func (s *plotSource) scan(all bool, cols []string, fn func(b *outputs.ColumnBatch, keep func(i int) bool) error) error {
	feas := -1
	if !all && s.has("feasible") && !slices.Contains(cols, "feasible") {
		cols = append(slices.Clone(cols), "feasible")
	}
	if !all && s.has("feasible") {
		feas = slices.Index(cols, "feasible")
	}
	return outputs.ReadColumns(s.files, cols, func(b *outputs.ColumnBatch) error {
		keep := func(int) bool { return true }
		if feas >= 0 {
			c := &b.Cols[feas]
			keep = func(i int) bool { return c.Bool[i] && !c.IsNull(i) }
		}
		return fn(b, keep)
	})
}

// label returns the text of row i of column c, for colours and groups.
func label(c *outputs.ColumnValues, i int) string {
	switch c.Kind {
	case outputs.KindString:
		return c.String[i]
	case outputs.KindBool:
		return strconv.FormatBool(c.Bool[i])
	}
	return strconv.FormatFloat(c.Float[i], 'g', -1, 64)
}

// drawFigures draws the figures o asks for and returns the files written.
// With kind "all", kinds whose columns the results lack are skipped with a
// note on stderr; a kind asked for by name must have its columns.
func drawFigures(o *plotOptions, reg *registry.Registry, stderr io.Writer) ([]string, error) {
	kinds := o.Kinds
	explicit := true
	if len(kinds) == 0 || slices.Contains(kinds, "all") {
		kinds, explicit = dse.PlotKinds, false
	}
	for _, k := range kinds {
		if !slices.Contains(dse.PlotKinds, k) {
			msg := fmt.Sprintf("--kind: %q is not one of %s, all", k, strings.Join(dse.PlotKinds, ", "))
			if sug := registry.Suggest(k, dse.PlotKinds); len(sug) > 0 {
				msg += fmt.Sprintf("; did you mean %q?", sug[0])
			}
			return nil, badInput(errors.New(msg))
		}
	}
	if len(o.Formats) == 0 {
		o.Formats = []string{"png", "svg", "pdf"}
	}
	for _, f := range o.Formats {
		if !slices.Contains(plots.Formats, f) {
			return nil, badInput(fmt.Errorf("--format: %q is not png, svg or pdf", f))
		}
	}
	if o.Agg != "" {
		if _, err := plots.ParseAgg(o.Agg); err != nil {
			return nil, badInput(fmt.Errorf("--agg: %w", err))
		}
	}
	files, err := outputs.ResultFiles(o.Out)
	if err != nil {
		return nil, badInput(err)
	}
	info, err := outputs.Inspect(files[0])
	if err != nil {
		return nil, err
	}
	src := &plotSource{files: files, info: info, reg: reg}
	dir := o.Dir
	if dir == "" {
		dir = filepath.Join(o.Out, "plots")
	}
	var written []string
	for _, k := range kinds {
		var fig *plots.Figure
		var base string
		var err error
		switch k {
		case "roofline":
			fig, base, err = rooflineFigure(src, o)
		case "pareto":
			fig, base, err = paretoFigure(src, o)
		case "lines":
			fig, base, err = linesFigure(src, o)
		case "heatmap":
			fig, base, err = heatmapFigure(src, o)
		}
		var in inputError
		if err != nil && !explicit && errors.As(err, &in) {
			fmt.Fprintf(stderr, "sweep plot: skipping %s: %v\n", k, err)
			continue
		}
		if err != nil {
			return written, err
		}
		if fig == nil {
			fmt.Fprintf(stderr, "sweep plot: skipping %s: no rows to draw\n", k)
			continue
		}
		paths, err := fig.SaveAll(dir, base, o.Formats)
		written = append(written, paths...)
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

func orDefault(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

// colorColumn returns the colour parameter: the flag, else def if the
// results have it; "" for none.
func colorColumn(src *plotSource, flag, def string) (string, error) {
	switch flag {
	case "none":
		return "", nil
	case "":
		if src.has(def) {
			return def, nil
		}
		return "", nil
	}
	return flag, src.column("--color", flag)
}

func aggFor(o *plotOptions, output string) plots.Agg {
	if o.Agg != "" {
		a, _ := plots.ParseAgg(o.Agg)
		return a
	}
	if maximised[output] {
		return plots.AggMax
	}
	return plots.AggMin
}

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

// rooflineFigure places each row at (arithmetic_intensity, attainable
// FLOP/s = min(I·B, P)) on the roof of its hardware and precision.
func rooflineFigure(src *plotSource, o *plotOptions) (*plots.Figure, string, error) {
	for _, c := range []string{"arithmetic_intensity", "hardware"} {
		if err := src.column("roofline", c); err != nil {
			return nil, "", err
		}
	}
	// Points sit on their roof, so the bottleneck shows in their position;
	// colour tells the hardware apart, as the roofs do.
	color, err := colorColumn(src, o.Color, "hardware")
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
	err = src.scan(o.All, cols, func(b *outputs.ColumnBatch, keep func(int) bool) error {
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
	rl.Note = "at min(I·B, P)"
	ci := slices.Index(cols, color)
	err = src.scan(o.All, cols, func(b *outputs.ColumnBatch, keep func(int) bool) error {
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

// parseObjectives reads "latency_s:min,tokens_per_s:max".
func parseObjectives(src *plotSource, s string) ([]dse.Objective, error) {
	if s == "" {
		y := "tokens_per_s"
		if !src.has(y) {
			y = "throughput_per_s"
		}
		s = "latency_s:min," + y + ":max"
	}
	var objs []dse.Objective
	for _, part := range strings.Split(s, ",") {
		name, dir, _ := strings.Cut(strings.TrimSpace(part), ":")
		if err := src.column("--objectives", name); err != nil {
			return nil, err
		}
		if c := src.info.Lookup(name); c.Kind != outputs.KindFloat {
			return nil, badInput(fmt.Errorf("--objectives: column %q is not numeric", name))
		}
		switch strings.ToLower(dir) {
		case "min", "minimize":
			objs = append(objs, dse.Objective{Name: name})
		case "max", "maximize":
			objs = append(objs, dse.Objective{Name: name, Maximize: true})
		case "":
			objs = append(objs, dse.Objective{Name: name, Maximize: maximised[name]})
		default:
			return nil, badInput(fmt.Errorf("--objectives: %q: direction %q is not min or max", name, dir))
		}
	}
	if len(objs) < 2 || len(objs) > 4 {
		return nil, badInput(fmt.Errorf("--objectives: want 2 to 4 objectives, got %d", len(objs)))
	}
	return objs, nil
}

// paretoFigure draws the first two objectives (or --x, --y) of every row
// and the Pareto front over all the objectives.
func paretoFigure(src *plotSource, o *plotOptions) (*plots.Figure, string, error) {
	objs, err := parseObjectives(src, o.Objectives)
	if err != nil {
		return nil, "", err
	}
	x, y := orDefault(o.X, objs[0].Name), orDefault(o.Y, objs[1].Name)
	for flag, c := range map[string]string{"--x": x, "--y": y} {
		if err := src.column(flag, c); err != nil {
			return nil, "", err
		}
	}
	color, err := colorColumn(src, o.Color, "hardware")
	if err != nil {
		return nil, "", err
	}
	cols := []string{x, y}
	for _, ob := range objs {
		if !slices.Contains(cols, ob.Name) {
			cols = append(cols, ob.Name)
		}
	}
	oi := make([]int, len(objs))
	for i, ob := range objs {
		oi[i] = slices.Index(cols, ob.Name)
	}
	if color != "" && !slices.Contains(cols, color) {
		cols = append(cols, color)
	}
	ci := slices.Index(cols, color)
	// The run's own front, OUT/pareto.parquet, when it is over the same
	// objectives, ungrouped and of feasible rows only; else the front is
	// computed here.
	stored := storedFront(o, objs, cols)
	var front *dse.Front
	if stored == "" {
		front = dse.NewFront(objs)
	}
	// Pass 1: extents and, unless stored, the front.
	xe, ye := plots.Extent{Log: true}, plots.Extent{Log: true}
	vals := make([]float64, len(objs))
	var xlin, ylin plots.Extent
	err = src.scan(o.All, cols, func(b *outputs.ColumnBatch, keep func(int) bool) error {
		xs, ys := b.Cols[0].Float, b.Cols[1].Float
		for i := range b.Len {
			if !keep(i) {
				continue
			}
			xe.Observe(xs[i])
			ye.Observe(ys[i])
			xlin.Observe(xs[i])
			ylin.Observe(ys[i])
			if front == nil {
				continue
			}
			for j, c := range oi {
				vals[j] = b.Cols[c].Float[i]
			}
			front.Add(b.Offset+int64(i), vals)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if xlin.N == 0 || (front != nil && front.Len() == 0) {
		return nil, "", nil
	}
	// Log axes when the values are positive and span more than a decade.
	xa := plots.Axis{Name: x, Unit: src.unit(x), Log: xlin.Min > 0 && xlin.Max/xlin.Min > 10}
	ya := plots.Axis{Name: y, Unit: src.unit(y), Log: ylin.Min > 0 && ylin.Max/ylin.Min > 10}
	if !xa.Log {
		xe = xlin
	}
	if !ya.Log {
		ye = ylin
	}
	pf := plots.NewPareto(xa, ya, xe, ye)
	pf.XMax = slices.ContainsFunc(objs, func(ob dse.Objective) bool { return ob.Name == x && ob.Maximize })
	pf.YMax = slices.ContainsFunc(objs, func(ob dse.Objective) bool { return ob.Name == y && ob.Maximize })
	pf.ColorBy = color
	// The front's row indexes, ascending as the rows are read.
	var onFront []int64
	if front != nil {
		for _, p := range front.Points() {
			onFront = append(onFront, p.Index)
		}
		slices.Sort(onFront)
	}
	var fx, fy []float64
	var fc []string
	if stored != "" {
		err := outputs.ReadColumns([]string{stored}, cols, func(b *outputs.ColumnBatch) error {
			for i := range b.Len {
				cat := ""
				if ci >= 0 {
					cat = label(&b.Cols[ci], i)
				}
				fx, fy, fc = append(fx, b.Cols[0].Float[i]), append(fy, b.Cols[1].Float[i]), append(fc, cat)
			}
			return nil
		})
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", stored, err)
		}
	}
	// Pass 2: every point, and the front's rows with their colour.
	err = src.scan(o.All, cols, func(b *outputs.ColumnBatch, keep func(int) bool) error {
		xs, ys := b.Cols[0].Float, b.Cols[1].Float
		for i := range b.Len {
			if !keep(i) {
				continue
			}
			cat := ""
			if ci >= 0 {
				cat = label(&b.Cols[ci], i)
			}
			pf.Add(xs[i], ys[i], cat)
			if len(onFront) > 0 && onFront[0] == b.Offset+int64(i) {
				onFront = onFront[1:]
				fx, fy, fc = append(fx, xs[i]), append(fy, ys[i]), append(fc, cat)
			}
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	stair := len(objs) == 2 && ((x == objs[0].Name && y == objs[1].Name) || (x == objs[1].Name && y == objs[0].Name))
	pf.SetFront(fx, fy, fc, stair)
	return pf.Figure(plots.ColumnStyle), "pareto-" + y + "-vs-" + x, nil
}

// storedFront returns the path of the run's Pareto set, OUT/pareto.parquet,
// if the manifest lists it over exactly the objectives objs (in any order),
// as one front (no group_by), holds the columns cols, and the figure shows
// feasible rows only; else "".
func storedFront(o *plotOptions, objs []dse.Objective, cols []string) string {
	if o.All {
		return ""
	}
	m, err := outputs.ReadManifest(o.Out)
	if err != nil || m.Pareto == nil || len(m.Pareto.GroupBy) > 0 || m.Pareto.File == "" {
		return ""
	}
	var want []string
	for _, ob := range objs {
		dir := "minimize:"
		if ob.Maximize {
			dir = "maximize:"
		}
		want = append(want, dir+ob.Name)
	}
	have := slices.Clone(m.Pareto.Objectives)
	slices.Sort(want)
	slices.Sort(have)
	if !slices.Equal(want, have) {
		return ""
	}
	path := filepath.Join(o.Out, m.Pareto.File)
	info, err := outputs.Inspect(path)
	if err != nil {
		return ""
	}
	for _, c := range cols {
		if info.Lookup(c) == nil {
			return ""
		}
	}
	return path
}

// linesFigure draws an output against a parameter, one line per group.
func linesFigure(src *plotSource, o *plotOptions) (*plots.Figure, string, error) {
	x, y := orDefault(o.X, "batch_size"), orDefault(o.Y, "latency_s")
	if err := src.column("--x", x); err != nil {
		return nil, "", err
	}
	if err := src.column("--y", y); err != nil {
		return nil, "", err
	}
	group := o.Group
	if group == "" && src.has("hardware") && x != "hardware" {
		group = "hardware"
	} else if group != "" {
		if err := src.column("--group", group); err != nil {
			return nil, "", err
		}
	}
	for flag, c := range map[string]string{"--x": x, "--y": y} {
		if src.info.Lookup(c).Kind != outputs.KindFloat {
			return nil, "", badInput(fmt.Errorf("%s: column %q is not numeric", flag, c))
		}
	}
	cols := []string{x, y}
	if group != "" {
		cols = append(cols, group)
	}
	l := plots.NewLines(plots.Axis{Name: x, Unit: src.unit(x)}, plots.Axis{Name: y, Unit: src.unit(y)}, group, aggFor(o, y))
	err := src.scan(o.All, cols, func(b *outputs.ColumnBatch, keep func(int) bool) error {
		for i := range b.Len {
			if !keep(i) {
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
	base := "lines-" + y + "-vs-" + x
	if group != "" {
		base += "-by-" + group
	}
	return l.Figure(plots.ColumnStyle), base, nil
}

// heatmapFigure draws an output over two parameters.
func heatmapFigure(src *plotSource, o *plotOptions) (*plots.Figure, string, error) {
	x, y := orDefault(o.X, "tp"), orDefault(o.Y, "pp")
	z := o.Z
	if z == "" {
		z = "latency_s"
		if src.has("step_time_s") {
			z = "step_time_s"
		}
	}
	for flag, c := range map[string]string{"--x": x, "--y": y, "--z": z} {
		if err := src.column(flag, c); err != nil {
			return nil, "", err
		}
	}
	if src.info.Lookup(z).Kind != outputs.KindFloat {
		return nil, "", badInput(fmt.Errorf("--z: column %q is not numeric", z))
	}
	// x and y may be numeric (cells in numeric order) or categorical, such
	// as hardware or precision (cells in order of first sight).
	xa, ya := plots.Axis{Name: x}, plots.Axis{Name: y}
	if u := src.unit(x); u != "" && src.info.Lookup(x).Kind == outputs.KindFloat {
		xa.Label = plots.AxisLabel(x, plots.Scale{Factor: 1, Unit: u})
	}
	if u := src.unit(y); u != "" && src.info.Lookup(y).Kind == outputs.KindFloat {
		ya.Label = plots.AxisLabel(y, plots.Scale{Factor: 1, Unit: u})
	}
	h := plots.NewHeatmap(xa, ya, plots.Axis{Name: z, Unit: src.unit(z)}, aggFor(o, z))
	err := src.scan(o.All, []string{x, y, z}, func(b *outputs.ColumnBatch, keep func(int) bool) error {
		xc, yc, zs := &b.Cols[0], &b.Cols[1], b.Cols[2].Float
		xnum, ynum := xc.Kind == outputs.KindFloat, yc.Kind == outputs.KindFloat
		for i := range b.Len {
			if !keep(i) || math.IsNaN(zs[i]) {
				continue
			}
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
	return h.Figure(plots.ColumnStyle), "heatmap-" + z + "-" + x + "-" + y, nil
}
