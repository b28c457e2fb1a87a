package figures

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mlsysim/mlsysim-go/dse"
	"github.com/mlsysim/mlsysim-go/outputs"
	"github.com/mlsysim/mlsysim-go/plots"
)

// Pareto draws two columns of every row (Request.X and Y, by default the
// first two objectives) and the Pareto front over all the objectives
// (Request.Objectives, 2 to 4 numeric columns). The front is the run's own,
// RUN/pareto.parquet, when the manifest lists it over the same objectives,
// ungrouped, and the figure shows feasible rows only; else it is computed
// from the rows.
type Pareto struct{}

// Name returns "pareto".
func (Pareto) Name() string { return "pareto" }

// objectives returns the request's objectives, or the default: latency_s
// and tokens_per_s (else throughput_per_s), each in the vocabulary's
// direction (latency minimised, throughput maximised); checked against the
// results.
func (Pareto) objectives(src *Source, req *Request) ([]dse.Objective, error) {
	objs := req.Objectives
	if len(objs) == 0 {
		y := src.rate()
		var err error
		if objs, err = dse.ParseObjectives("latency_s," + y); err != nil {
			return nil, err
		}
	}
	for _, ob := range objs {
		if err := src.column("--objectives", ob.Name); err != nil {
			return nil, err
		}
		if err := src.numeric("--objectives", ob.Name); err != nil {
			return nil, err
		}
	}
	if len(objs) < 2 || len(objs) > 4 {
		return nil, &RequestError{fmt.Errorf("--objectives: want 2 to 4 objectives, got %d", len(objs))}
	}
	return objs, nil
}

// Build reads the rows twice: once for the extents and, unless the run's
// front is reused, the front; once to place every point.
func (k Pareto) Build(src *Source, req *Request) (*plots.Figure, string, error) {
	objs, err := k.objectives(src, req)
	if err != nil {
		return nil, "", err
	}
	x, y := orDefault(req.X, objs[0].Name), orDefault(req.Y, objs[1].Name)
	if err := src.columns([2]string{"--x", x}, [2]string{"--y", y}); err != nil {
		return nil, "", err
	}
	color, err := colorColumn(src, req.Color, "hardware")
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
	for _, g := range req.GroupBy {
		if err := src.column("--group-by", g); err != nil {
			return nil, "", err
		}
		if !slices.Contains(cols, g) {
			cols = append(cols, g)
		}
	}
	gi := make([]int, len(req.GroupBy))
	for i, g := range req.GroupBy {
		gi[i] = slices.Index(cols, g)
	}
	grouped := len(req.GroupBy) > 0
	if grouped { // points take the colour of their group, as its front
		color = strings.Join(req.GroupBy, ",")
	}
	ci := slices.Index(cols, color)
	// catOf returns the colour category of row i: its group, else its
	// colour column's value.
	var key []string
	catOf := func(b *outputs.ColumnBatch, i int) string {
		if grouped {
			key = key[:0]
			for _, c := range gi {
				key = append(key, label(&b.Cols[c], i))
			}
			return strings.Join(key, ",")
		}
		if ci >= 0 {
			return label(&b.Cols[ci], i)
		}
		return ""
	}
	stored := ""
	if !grouped {
		stored = storedFront(src, req.AllRows || req.filter != nil, objs, cols)
	}
	var front *dse.Front
	fronts := map[string]*dse.Front{}
	var groupKeys []string
	if stored == "" && !grouped {
		front = dse.NewFront(objs)
	}
	// Pass 1: extents and, unless stored, the front.
	xe, ye := plots.Extent{Log: true}, plots.Extent{Log: true}
	vals := make([]float64, len(objs))
	var xlin, ylin plots.Extent
	err = src.scan(req, cols, func(b *outputs.ColumnBatch, keep func(int) bool) error {
		xs, ys := b.Cols[0].Float, b.Cols[1].Float
		for i := range b.Len {
			if !keep(i) {
				continue
			}
			xe.Observe(xs[i])
			ye.Observe(ys[i])
			xlin.Observe(xs[i])
			ylin.Observe(ys[i])
			f := front
			if grouped {
				g := catOf(b, i)
				if f = fronts[g]; f == nil {
					if len(fronts) >= maxFronts {
						continue
					}
					f = dse.NewFront(objs)
					fronts[g] = f
					groupKeys = append(groupKeys, g)
				}
			}
			if f == nil {
				continue
			}
			for j, c := range oi {
				vals[j] = b.Cols[c].Float[i]
			}
			f.Add(b.Offset+int64(i), vals)
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
	if grouped {
		if pf.Cats.Identity, err = groupIdentity(src, req.GroupBy, groupKeys); err != nil {
			return nil, "", err
		}
	} else if pf.Cats.Identity, err = src.Identity(color); err != nil {
		return nil, "", err
	}
	// The front's row indexes, ascending as the rows are read.
	var onFront []int64
	if front != nil {
		for _, p := range front.Points() {
			onFront = append(onFront, p.Index)
		}
	}
	for _, f := range fronts {
		for _, p := range f.Points() {
			onFront = append(onFront, p.Index)
		}
	}
	slices.Sort(onFront)
	var fx, fy []float64
	var fc []string
	if stored != "" {
		err := outputs.ReadColumns([]string{stored}, cols, func(b *outputs.ColumnBatch) error {
			for i := range b.Len {
				cat := catOf(b, i)
				fx, fy, fc = append(fx, b.Cols[0].Float[i]), append(fy, b.Cols[1].Float[i]), append(fc, cat)
			}
			return nil
		})
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", stored, err)
		}
	}
	// Pass 2: every point, and the front's rows with their colour.
	err = src.scan(req, cols, func(b *outputs.ColumnBatch, keep func(int) bool) error {
		xs, ys := b.Cols[0].Float, b.Cols[1].Float
		for i := range b.Len {
			if !keep(i) {
				continue
			}
			cat := catOf(b, i)
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
	pf.PerCategory = grouped
	base := "pareto-" + y + "-vs-" + x
	if grouped {
		base += "-per-" + strings.Join(req.GroupBy, "-")
	}
	return pf.Figure(req.Style.plotStyle()), base, nil
}

// storedFront returns the path of the run's Pareto set, RUN/pareto.parquet,
// if the manifest lists it over exactly the objectives objs (in any order),
// as one front (no group_by), holds the columns cols, and the figure shows
// feasible rows only (all is false); else "".
func storedFront(src *Source, all bool, objs []dse.Objective, cols []string) string {
	if all {
		return ""
	}
	m, err := outputs.ReadManifest(src.Dir)
	if err != nil || m.Pareto == nil || len(m.Pareto.GroupBy) > 0 || m.Pareto.File == "" {
		return ""
	}
	want := dse.FormatObjectives(objs)
	var have []string
	for _, s := range m.Pareto.Objectives {
		ob, err := dse.ParseObjective(s)
		if err != nil {
			return ""
		}
		have = append(have, ob.String())
	}
	slices.Sort(want)
	slices.Sort(have)
	if !slices.Equal(want, have) {
		return ""
	}
	path := filepath.Join(src.Dir, m.Pareto.File)
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

// maxFronts bounds the groups of a Pareto figure with group_by; rows of
// further groups are drawn as points without a front.
const maxFronts = 24

// groupIdentity ranks the group keys seen ("Llama3_8B,Research_256"): by
// the rank of their first column's value, then of the second's ...
func groupIdentity(src *Source, groupBy, keys []string) (*plots.Identity, error) {
	ids := make([]*plots.Identity, len(groupBy))
	for i, g := range groupBy {
		var err error
		if ids[i], err = src.Identity(g); err != nil {
			return nil, err
		}
	}
	sorted := slices.Clone(keys)
	slices.SortFunc(sorted, func(a, b string) int {
		as, bs := strings.Split(a, ","), strings.Split(b, ",")
		for i := range ids {
			if i < len(as) && i < len(bs) {
				if c := ids[i].Compare(as[i], bs[i]); c != 0 {
					return c
				}
			}
		}
		return strings.Compare(a, b)
	})
	return plots.NewIdentity(strings.Join(groupBy, ","), sorted), nil
}
