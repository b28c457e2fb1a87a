package dse

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Objective is one axis of a multi-objective comparison: an output column
// and whether larger values are better.
type Objective struct {
	Name     string // output column, e.g. "latency_s"
	Maximize bool   // true: larger is better (tokens_per_s); false: smaller (latency_s)
}

// Point is one member of a Pareto front: the row index of the configuration
// and its objective values, in objective order and in the objectives' own
// sense (maximised values are not negated).
type Point struct {
	Index int64
	Vals  []float64
}

// Front is the Pareto front (the non-dominated set) of the points added so
// far. Point a dominates point b when a is no worse than b in every
// objective and strictly better in at least one (≤ on minimised objectives,
// ≥ on maximised ones, one strict: mlsysim's CompressionModel rule).
//
// Ties: points with identical objective vectors do not dominate each other
// under that rule; the front keeps only the one with the lowest index. So
// the front is the set of maximal elements of the strict partial order
//
//	a ≻ b  ⇔  a dominates b, or (vals(a) = vals(b) and index(a) < index(b)),
//
// which is unique: it does not depend on the order in which points are
// added, nor on how they were split among fronts that are later merged.
// Adding the same (index, vals) twice keeps one copy.
//
// Points with a NaN or infinite value never enter a front.
//
// Memory is the front only. Internally every value is stored negated when
// its objective is maximised, so that all comparisons minimise; the archive
// is kept sorted by (first objective, then the next ones, then index). A new
// point can only be dominated by archive points that come before it in that
// order, and can only dominate those that come after, so Add scans one side
// each. With two objectives the archive is a staircase (first objective
// rising, second strictly falling) and Add is a binary search, O(log m) to
// reject a point and O(m) to insert one into a front of m points; adding n
// points costs O(n log m) when few of them make the front. With more
// objectives Add is O(m) (a sorted block-nested-loop skyline).
//
// A Front is not safe for concurrent use: each worker keeps its own and the
// fronts are merged at the end with Merge, which gives the same front as
// adding every point to one.
type Front struct {
	objs []Objective
	sign []float64 // -1 for maximised objectives, +1 otherwise
	k    int
	vals []float64 // len(idx)·k normalised values, row-major, in archive order
	idx  []int64
	buf  []float64 // scratch: the normalised candidate
}

// NewFront returns an empty front over objs. It panics if objs is empty: a
// front needs at least one objective (two to four are the usual).
func NewFront(objs []Objective) *Front {
	if len(objs) == 0 {
		panic("dse: NewFront needs at least one objective")
	}
	f := &Front{objs: slices.Clone(objs), k: len(objs)}
	f.sign = make([]float64, f.k)
	for i, o := range objs {
		f.sign[i] = 1
		if o.Maximize {
			f.sign[i] = -1
		}
	}
	f.buf = make([]float64, f.k)
	return f
}

// Objectives returns the front's objectives.
func (f *Front) Objectives() []Objective { return f.objs }

// Len returns the number of points on the front.
func (f *Front) Len() int { return len(f.idx) }

// Add offers the configuration with row index index and objective values
// vals (in objective order) to the front. The front copies what it keeps;
// a point that is dominated, or has a NaN or infinite value, is dropped
// without allocating. Add panics if len(vals) is not the number of
// objectives.
func (f *Front) Add(index int64, vals []float64) {
	if len(vals) != f.k {
		panic(fmt.Sprintf("dse: Front.Add: %d values for %d objectives", len(vals), f.k))
	}
	p := f.buf
	for i, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		p[i] = v * f.sign[i]
	}
	f.addNorm(index, p)
}

// addNorm adds a point whose values are already normalised (minimised).
func (f *Front) addNorm(index int64, p []float64) {
	if f.k == 2 {
		f.add2(index, p)
		return
	}
	f.addK(index, p)
}

// cmpAt compares the normalised point p (with index index) with archive
// entry j in archive order: lexicographic on the values, then by index.
func (f *Front) cmpAt(j int, p []float64, index int64) int {
	q := f.vals[j*f.k : j*f.k+f.k]
	for i := range p {
		if q[i] < p[i] {
			return -1
		}
		if q[i] > p[i] {
			return 1
		}
	}
	switch {
	case f.idx[j] < index:
		return -1
	case f.idx[j] > index:
		return 1
	}
	return 0
}

// beats reports whether archive entry j ≻ candidate (p, index), and whether
// they are the same point.
func (f *Front) beats(j int, p []float64, index int64) (bool, bool) {
	q := f.vals[j*f.k : j*f.k+f.k]
	strict := false
	for i := range p {
		if q[i] > p[i] {
			return false, false
		}
		if q[i] < p[i] {
			strict = true
		}
	}
	if strict {
		return true, false
	}
	// Equal vectors: the lower index wins; the same index is the same point.
	return f.idx[j] < index, f.idx[j] == index
}

// beatenBy reports whether the candidate (p, index) ≻ archive entry j.
func (f *Front) beatenBy(j int, p []float64, index int64) bool {
	q := f.vals[j*f.k : j*f.k+f.k]
	strict := false
	for i := range p {
		if p[i] > q[i] {
			return false
		}
		if p[i] < q[i] {
			strict = true
		}
	}
	return strict || index < f.idx[j]
}

// add2 is Add for two objectives. The archive is a staircase: x strictly
// rising, y strictly falling (equal vectors cannot both be on it).
func (f *Front) add2(index int64, p []float64) {
	x, y := p[0], p[1]
	n := len(f.idx)
	// pos: the first entry with x' > x, or with x' = x and y' ≥ y (ties on
	// the vector are settled below).
	pos := sort.Search(n, func(j int) bool {
		xj := f.vals[2*j]
		return xj > x || (xj == x && f.vals[2*j+1] >= y)
	})
	// Only the entry just before pos can dominate p: it has the smallest y
	// among entries with x' ≤ x.
	if pos > 0 && f.vals[2*pos-1] <= y {
		return // x' ≤ x and y' ≤ y with (x', y') ≠ (x, y) by the choice of pos
	}
	if pos < n && f.vals[2*pos] == x && f.vals[2*pos+1] == y {
		if f.idx[pos] <= index {
			return // the same vector with a lower (or the same) index is kept
		}
		f.idx[pos] = index
		return
	}
	// p is on the front. Entries from pos on with y' ≥ y are dominated by p
	// (their x' ≥ x); they form a run because y falls along the staircase.
	end := pos
	for end < n && f.vals[2*end+1] >= y {
		end++
	}
	f.replace(pos, end, index, p)
}

// addK is Add for any number of objectives.
func (f *Front) addK(index int64, p []float64) {
	n := len(f.idx)
	pos := sort.Search(n, func(j int) bool { return f.cmpAt(j, p, index) >= 0 })
	// Entries before pos are lexicographically smaller and may dominate p;
	// scan them from pos backwards, where the close (likely dominating)
	// neighbours are.
	for j := pos - 1; j >= 0; j-- {
		if b, _ := f.beats(j, p, index); b {
			return
		}
	}
	if pos < n && f.cmpAt(pos, p, index) == 0 {
		return // the same point again
	}
	// Entries from pos on may be dominated by p: compact them in place.
	w := pos
	for j := pos; j < n; j++ {
		if f.beatenBy(j, p, index) {
			continue
		}
		if w != j {
			copy(f.vals[w*f.k:w*f.k+f.k], f.vals[j*f.k:j*f.k+f.k])
			f.idx[w] = f.idx[j]
		}
		w++
	}
	f.vals = f.vals[:w*f.k]
	f.idx = f.idx[:w]
	f.replace(pos, pos, index, p)
}

// replace substitutes the point (index, p) for archive entries [lo, hi).
func (f *Front) replace(lo, hi int, index int64, p []float64) {
	k := f.k
	f.idx = slices.Replace(f.idx, lo, hi, index)
	f.vals = slices.Replace(f.vals, lo*k, hi*k, p...)
}

// Merge adds every point of g to f; g is not changed. The result is the
// front of the union of the points added to f and to g. The fronts must
// have the same objectives; Merge panics otherwise.
func (f *Front) Merge(g *Front) {
	if g == nil {
		return
	}
	if !slices.Equal(f.objs, g.objs) {
		panic("dse: Front.Merge: fronts over different objectives")
	}
	for j := range g.idx {
		f.addNorm(g.idx[j], g.vals[j*g.k:j*g.k+g.k])
	}
}

// Points returns the front, sorted by index, with values in the objectives'
// own sense. The slices are copies.
func (f *Front) Points() []Point {
	out := make([]Point, len(f.idx))
	all := make([]float64, len(f.vals))
	for j := range f.idx {
		v := all[j*f.k : j*f.k+f.k : j*f.k+f.k]
		for i := range v {
			v[i] = f.vals[j*f.k+i] * f.sign[i]
		}
		out[j] = Point{Index: f.idx[j], Vals: v}
	}
	slices.SortFunc(out, func(a, b Point) int {
		switch {
		case a.Index < b.Index:
			return -1
		case a.Index > b.Index:
			return 1
		}
		return 0
	})
	return out
}

// Contains reports whether the point with row index index is on the front.
func (f *Front) Contains(index int64) bool { return slices.Contains(f.idx, index) }

// Dominates reports whether a dominates b under objs: a is no worse in every
// objective and strictly better in at least one. It panics if the lengths
// differ.
func Dominates(objs []Objective, a, b []float64) bool {
	if len(a) != len(objs) || len(b) != len(objs) {
		panic("dse: Dominates: value and objective counts differ")
	}
	strict := false
	for i, o := range objs {
		x, y := a[i], b[i]
		if o.Maximize {
			x, y = -x, -y
		}
		if x > y {
			return false
		}
		if x < y {
			strict = true
		}
	}
	return strict
}

// GroupedFront keeps one Front per group key, for sweeps that ask for a
// front per value of some parameters (group_by: [model, hardware]). Like
// Front, it is not safe for concurrent use; merge per-worker GroupedFronts.
type GroupedFront struct {
	objs   []Objective
	fronts map[string]*Front
}

// NewGroupedFront returns an empty grouped front over objs.
func NewGroupedFront(objs []Objective) *GroupedFront {
	if len(objs) == 0 {
		panic("dse: NewGroupedFront needs at least one objective")
	}
	return &GroupedFront{objs: slices.Clone(objs), fronts: map[string]*Front{}}
}

// Add offers a point to the front of group. A dominated point does not
// allocate once its group exists.
func (g *GroupedFront) Add(group string, index int64, vals []float64) {
	f := g.fronts[group]
	if f == nil {
		for _, v := range vals {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return // do not create a group for a point that cannot enter it
			}
		}
		f = NewFront(g.objs)
		g.fronts[group] = f
	}
	f.Add(index, vals)
}

// Merge merges every group of h into g; h is not changed.
func (g *GroupedFront) Merge(h *GroupedFront) {
	if h == nil {
		return
	}
	for _, key := range h.Groups() {
		hf := h.fronts[key]
		f := g.fronts[key]
		if f == nil {
			f = NewFront(g.objs)
			g.fronts[key] = f
		}
		f.Merge(hf)
	}
}

// Groups returns the group keys, sorted.
func (g *GroupedFront) Groups() []string {
	keys := make([]string, 0, len(g.fronts))
	for k := range g.fronts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Front returns the front of group, or nil if no point of the group was
// added.
func (g *GroupedFront) Front(group string) *Front { return g.fronts[group] }
