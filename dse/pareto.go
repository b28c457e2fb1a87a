package dse

import (
	"fmt"
	"math"
	"slices"
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
// Memory is the front only: 8·(k+1) bytes per point of k objectives (and,
// with three objectives or more, the removed points until the next
// compaction, never more than the live ones, and once there are more than
// frontBlock points, boxes of 16·k bytes: one per frontBlock points, one
// per frontFan of those, and so on up frontLevels levels, with a header
// of 80 bytes), plus a fixed header of frontHeader bytes; the objectives
// are shared by the fronts of a GroupedFront.
//
// Internally every value is stored negated when its objective is
// maximised, so that all comparisons minimise. With two objectives the
// archive is a staircase sorted by the first objective (rising; the second
// strictly falling), and Add is a binary search: O(log m) to reject a point
// and O(m) to insert one into a front of m points. With one or three and
// more objectives the archive is kept in insertion order, cut into blocks of
// frontBlock points, each with its bounding box (the componentwise minimum
// and maximum of its points), and the boxes into a tree: a box per frontFan
// boxes of the level below, frontLevels levels in all (frontBoxes). A box
// whose minimum is not ≤ the new point holds no point that dominates it,
// and a box whose maximum is not ≥ it holds none it dominates, so Add skips
// such boxes whole, with everything below them, and tests the points of
// the others. Rows of a sweep arrive in grid order, so the points of a
// block are neighbours in the grid and its box is tight. A point removed
// from the front is marked, and the boxes above it are shrunk to the
// points left (a front moves as better configurations arrive, and boxes
// still spanning its removed points would meet most new points); the
// archive is compacted and its boxes rebuilt when the marked points
// outnumber the live ones. Before any scan, Add
// tries the point that rejected the previous one: neighbours in the grid
// are usually dominated by the same point, so most rejections cost one
// comparison of k values. Any point of the archive that beats the new one
// proves it is not on the front, and the points of the archive do not
// dominate each other, so whichever order the blocks are scanned in, Add
// keeps exactly the front.
//
// A Front is not safe for concurrent use: each worker keeps its own and the
// fronts are merged at the end with Merge, which gives the same front as
// adding every point to one.
type Front struct {
	c    *frontConf
	vals []float64 // len(idx)·k normalised values, row-major, in archive order
	idx  []int64
	// With k ≠ 2 and more than one block: the bounding boxes (frontBoxes).
	// Removed entries have a first value of +Inf.
	bx   *frontBoxes
	dead int32 // removed entries still in vals and idx
	hint int32 // archive position of the entry that last rejected a point
}

// frontBoxes are the bounding boxes of an archive, in frontLevels levels:
// level 0 has a box per block of frontBlock entries, level l+1 a box per
// frontFan boxes of level l (the union of theirs). Each box is k minima
// then k maxima. Add tests a box only when the box above it may meet the
// point, so a front of m points costs m/(frontBlock·frontFan³) box tests
// at the top, then frontFan per box met below.
type frontBoxes struct {
	lv [frontLevels][]float64
}

// frontBlock is the number of archive entries per box of level 0, frontFan
// the boxes of one level per box of the next. Smaller blocks prune more
// finely but cost more boxes to test. On the 720,000 feasible rows of a
// 1,000,000-row inference grid offered in grid order to a front per model
// with four objectives (fronts of 1,200 to 14,300 points), one level of 32
// took about 1,050 ns a row; with boxes shrunk on removal, blocks of 8, 16
// or 32 in two to four levels of fan-out 4 or 8 took 200-290 ns, and 8, 4,
// 4 levels the least. BenchmarkFront/sweep/k=4 (batch sizes to 1,000):
// 685-767 ns a row with one level of 32, 268-285 ns with these.
const (
	frontBlock  = 8
	frontFan    = 4
	frontLevels = 4
)

// frontHeader is the size of a Front in bytes, as allocated (a size class
// of the Go allocator).
const frontHeader = 80

// frontConf is what fronts over the same objectives share.
type frontConf struct {
	objs []Objective
	sign []float64 // -1 for maximised objectives, +1 otherwise
	k    int
	buf  []float64 // scratch: the normalised candidate
}

func newFrontConf(objs []Objective) *frontConf {
	c := &frontConf{objs: slices.Clone(objs), k: len(objs)}
	c.sign = make([]float64, c.k)
	for i, o := range objs {
		c.sign[i] = 1
		if o.Maximize {
			c.sign[i] = -1
		}
	}
	c.buf = make([]float64, c.k)
	return c
}

// NewFront returns an empty front over objs. It panics if objs is empty: a
// front needs at least one objective (two to four are the usual).
func NewFront(objs []Objective) *Front {
	if len(objs) == 0 {
		panic("dse: NewFront needs at least one objective")
	}
	return &Front{c: newFrontConf(objs)}
}

// Objectives returns the front's objectives.
func (f *Front) Objectives() []Objective { return f.c.objs }

// Len returns the number of points on the front.
func (f *Front) Len() int { return len(f.idx) - int(f.dead) }

// Add offers the configuration with row index index and objective values
// vals (in objective order) to the front. The front copies what it keeps;
// a point that is dominated, or has a NaN or infinite value, is dropped
// without allocating. Add panics if len(vals) is not the number of
// objectives.
func (f *Front) Add(index int64, vals []float64) {
	c := f.c
	if len(vals) != c.k {
		panic(fmt.Sprintf("dse: Front.Add: %d values for %d objectives", len(vals), c.k))
	}
	p := c.buf
	for i, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		p[i] = v * c.sign[i]
	}
	f.addNorm(index, p)
}

// addNorm adds a point whose values are already normalised (minimised).
func (f *Front) addNorm(index int64, p []float64) {
	// The entry that rejected the last point is tried first: any archive
	// entry that beats p proves p is not on the front. (A removed entry
	// has a first value of +Inf and beats nothing.)
	if h := int(f.hint); h < len(f.idx) {
		if b, _ := f.beats(h, p, index); b {
			return
		}
	}
	if f.c.k == 2 {
		f.add2(index, p)
		return
	}
	f.addK(index, p)
}

// beats reports whether archive entry j ≻ candidate (p, index), and whether
// they are the same point.
func (f *Front) beats(j int, p []float64, index int64) (bool, bool) {
	k := f.c.k
	q := f.vals[j*k : j*k+k]
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

// add2 is Add for two objectives. The archive is a staircase: x strictly
// rising, y strictly falling (equal vectors cannot both be on it).
func (f *Front) add2(index int64, p []float64) {
	x, y := p[0], p[1]
	n := len(f.idx)
	// pos: the first entry with x' > x, or with x' = x and y' ≥ y (ties on
	// the vector are settled below).
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if xm := f.vals[2*m]; xm > x || (xm == x && f.vals[2*m+1] >= y) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	pos := lo
	// Only the entry just before pos can dominate p: it has the smallest y
	// among entries with x' ≤ x.
	if pos > 0 && f.vals[2*pos-1] <= y {
		f.hint = int32(pos - 1)
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

// addK is Add for one, three or more objectives: one pass over the blocks
// whose box may hold a point that beats p or that p beats. The points of
// the archive do not beat each other, so if p beats one it is beaten by
// none, and the pass can remove as it goes and stop at the first point
// that beats p.
func (f *Front) addK(index int64, p []float64) {
	n := len(f.idx)
	removed := false
	var done bool
	if f.bx == nil || len(f.bx.lv[0]) == 0 { // one block: no boxes
		done = f.scanBlock(0, n, index, p, &removed)
	} else {
		top := frontLevels - 1
		done, _ = f.scanBoxes(top, 0, len(f.bx.lv[top])/(2*len(p)), index, p, &removed)
	}
	if done {
		return
	}
	f.push(index, p)
	if removed && int(f.dead) > len(f.idx)-int(f.dead) && len(f.idx) > frontBlock {
		f.compact()
	}
}

// scanBoxes scans, newest first, the boxes [lo, hi) of level l that may
// meet p, and below them the archive entries (scanBlock). It reports true
// when an entry beats p (p is not on the front), and whether it removed
// entries: the boxes above them are then shrunk to the entries left
// (refit), so that the boxes stay tight as the front moves.
func (f *Front) scanBoxes(l, lo, hi int, index int64, p []float64, removed *bool) (done, changed bool) {
	k := len(p)
	boxes := f.bx.lv[l]
	for b := hi - 1; b >= lo; b-- {
		if !mayMeet(boxes[2*k*b:2*k*b+2*k], p) {
			continue
		}
		var ch bool
		if l == 0 {
			n := len(f.idx)
			was := *removed
			*removed = false
			done = f.scanBlock(b*frontBlock, min(b*frontBlock+frontBlock, n), index, p, removed)
			ch = *removed
			*removed = *removed || was
		} else {
			below := len(f.bx.lv[l-1]) / (2 * k)
			done, ch = f.scanBoxes(l-1, b*frontFan, min(b*frontFan+frontFan, below), index, p, removed)
		}
		if ch {
			f.refit(l, b)
			changed = true
		}
		if done {
			return true, changed
		}
	}
	return false, changed
}

// refit sets box b of level l to the bounds of what it holds: the live
// entries of its block (level 0), or the union of its boxes one level
// down. A box that holds nothing is empty: minima +Inf, maxima -Inf.
func (f *Front) refit(l, b int) {
	k := f.c.k
	box := f.bx.lv[l][2*k*b : 2*k*b+2*k]
	lo, hi := box[:k], box[k:]
	for i := range k {
		lo[i], hi[i] = math.Inf(1), math.Inf(-1)
	}
	if l == 0 {
		for j := b * frontBlock; j < min(b*frontBlock+frontBlock, len(f.idx)); j++ {
			if q := f.vals[j*k : j*k+k]; !math.IsInf(q[0], 1) {
				for i, v := range q {
					lo[i] = min(lo[i], v)
					hi[i] = max(hi[i], v)
				}
			}
		}
		return
	}
	below := f.bx.lv[l-1]
	for c := b * frontFan; c < min(b*frontFan+frontFan, len(below)/(2*k)); c++ {
		clo, chi := below[2*k*c:2*k*c+k], below[2*k*c+k:2*k*c+2*k]
		for i := range k {
			lo[i] = min(lo[i], clo[i])
			hi[i] = max(hi[i], chi[i])
		}
	}
}

// scanBlock compares p with the archive entries [lo, hi): it removes
// those p beats and reports true, setting the hint, at the first that
// beats p.
func (f *Front) scanBlock(lo, hi int, index int64, p []float64, removed *bool) bool {
	k := len(p)
	for j := lo; j < hi; j++ {
		q := f.vals[j*k : j*k+k]
		if math.IsInf(q[0], 1) {
			continue // removed
		}
		le, ge := true, true // q ≤ p, q ≥ p componentwise
		for i, v := range p {
			if q[i] > v {
				le = false
			} else if q[i] < v {
				ge = false
			}
			if !le && !ge {
				break
			}
		}
		switch {
		case le && ge: // the same vector: the lower index wins
			switch {
			case f.idx[j] < index:
				f.hint = int32(j)
				return true
			case f.idx[j] == index:
				return true // the same point again
			}
			f.remove(j)
			*removed = true
		case le:
			f.hint = int32(j)
			return true
		case ge:
			f.remove(j)
			*removed = true
		}
	}
	return false
}

// mayMeet reports whether the box (k minima, then k maxima) may hold a
// point that beats p (its minimum ≤ p) or one that p beats (its maximum ≥
// p).
func mayMeet(box, p []float64) bool {
	k := len(p)
	lo, hi := box[:k:k], box[k:2*k:2*k]
	mayBeat, mayLose := true, true
	for i, v := range p {
		mayBeat = mayBeat && lo[i] <= v
		mayLose = mayLose && hi[i] >= v
		if !mayBeat && !mayLose {
			return false
		}
	}
	return true
}

// remove marks archive entry j removed; its block's box is left as it is.
func (f *Front) remove(j int) {
	k := f.c.k
	for i := range k {
		f.vals[j*k+i] = math.Inf(1)
	}
	f.dead++
}

// push appends p to the archive and to the last box of each level. A
// front of one block has no boxes: its points are tested without one.
func (f *Front) push(index int64, p []float64) {
	k := f.c.k
	n := len(f.idx)
	f.idx = append(f.idx, index)
	f.vals = append(f.vals, p...)
	switch {
	case n < frontBlock:
		return
	case n == frontBlock: // the second block: box the first
		if f.bx == nil {
			f.bx = &frontBoxes{}
		}
		for j := range frontBlock {
			if q := f.vals[j*k : j*k+k]; !math.IsInf(q[0], 1) {
				f.growBoxes(0, q)
			}
		}
		if len(f.bx.lv[0]) == 0 { // every entry removed: an empty box
			for l := range f.bx.lv {
				f.bx.lv[l] = slices.Grow(f.bx.lv[l][:0], 4*k)
				for range k {
					f.bx.lv[l] = append(f.bx.lv[l], math.Inf(1))
				}
				for range k {
					f.bx.lv[l] = append(f.bx.lv[l], math.Inf(-1))
				}
			}
		}
	}
	f.growBoxes(n, p)
}

// growBoxes adds p, archive entry j, to its box at every level: a box is
// started with p alone when p is its first entry.
func (f *Front) growBoxes(j int, p []float64) {
	k := len(p)
	span := frontBlock
	for l := range f.bx.lv {
		b, boxes := j/span, f.bx.lv[l]
		if len(boxes) == 2*k*b {
			boxes = append(boxes, p...)
			f.bx.lv[l] = append(boxes, p...)
		} else {
			lo, hi := boxes[2*k*b:2*k*b+k], boxes[2*k*b+k:2*k*b+2*k]
			for i, v := range p {
				lo[i] = min(lo[i], v)
				hi[i] = max(hi[i], v)
			}
		}
		span *= frontFan
	}
}

// compact drops the removed entries, keeping the order of the others, and
// rebuilds the boxes.
func (f *Front) compact() {
	k := f.c.k
	w := 0
	for j := range f.idx {
		if math.IsInf(f.vals[j*k], 1) {
			continue
		}
		copy(f.vals[w*k:w*k+k], f.vals[j*k:j*k+k])
		f.idx[w] = f.idx[j]
		w++
	}
	vals, idx := f.vals[:w*k], f.idx[:w]
	f.vals, f.idx, f.dead, f.hint = vals[:0], idx[:0], 0, 0
	if f.bx != nil {
		for l := range f.bx.lv {
			f.bx.lv[l] = f.bx.lv[l][:0]
		}
	}
	for j := range w {
		f.push(idx[j], vals[j*k:j*k+k])
	}
}

// replace substitutes the point (index, p) for the two-objective archive's
// entries [lo, hi).
func (f *Front) replace(lo, hi int, index int64, p []float64) {
	f.idx = slices.Replace(f.idx, lo, hi, index)
	f.vals = slices.Replace(f.vals, lo*2, hi*2, p...)
}

// Merge adds every point of g to f; g is not changed. The result is the
// front of the union of the points added to f and to g. The fronts must
// have the same objectives; Merge panics otherwise.
func (f *Front) Merge(g *Front) {
	if g == nil {
		return
	}
	if f.c != g.c && !slices.Equal(f.c.objs, g.c.objs) {
		panic("dse: Front.Merge: fronts over different objectives")
	}
	if len(f.idx) == 0 {
		f.copyFrom(g) // g is a valid archive already
		return
	}
	k := f.c.k
	for j := range g.idx {
		if q := g.vals[j*k : j*k+k]; !math.IsInf(q[0], 1) {
			f.addNorm(g.idx[j], q)
		}
	}
}

// copyFrom makes f's archive a copy of g's, with no spare capacity.
func (f *Front) copyFrom(g *Front) {
	f.vals = slices.Clip(append(f.vals[:0], g.vals...))
	f.idx = slices.Clip(append(f.idx[:0], g.idx...))
	if g.bx == nil {
		f.bx = nil
	} else {
		if f.bx == nil {
			f.bx = &frontBoxes{}
		}
		for l := range g.bx.lv {
			f.bx.lv[l] = slices.Clip(append(f.bx.lv[l][:0], g.bx.lv[l]...))
		}
	}
	f.dead, f.hint = g.dead, 0
}

// Points returns the front, sorted by index, with values in the objectives'
// own sense. The slices are copies.
func (f *Front) Points() []Point {
	k := f.c.k
	out := make([]Point, 0, f.Len())
	all := make([]float64, f.Len()*k)
	for j := range f.idx {
		if math.IsInf(f.vals[j*k], 1) {
			continue // removed
		}
		v := all[len(out)*k : len(out)*k+k : len(out)*k+k]
		for i := range v {
			v[i] = f.vals[j*k+i] * f.c.sign[i]
		}
		out = append(out, Point{Index: f.idx[j], Vals: v})
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

// AppendIndexes appends the row indexes of the front's points to dst, in
// no particular order, and returns the extended slice.
func (f *Front) AppendIndexes(dst []int64) []int64 {
	k := f.c.k
	for j, i := range f.idx {
		if !math.IsInf(f.vals[j*k], 1) {
			dst = append(dst, i)
		}
	}
	return dst
}

// Contains reports whether the point with row index index is on the front.
func (f *Front) Contains(index int64) bool {
	k := f.c.k
	for j, i := range f.idx {
		if i == index && !math.IsInf(f.vals[j*k], 1) {
			return true
		}
	}
	return false
}

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
//
// Memory per group is bounded by its key and its front: a group of m
// points over k objectives holds
//
//	len(key) + frontHeader + 8·(k+1)·m  (+ about 21·k·m/8 + 80 once m > 8)
//
// bytes plus its map entry (about 40 bytes), rounded up to the Go
// allocator's size classes and the slices' spare capacity, and the points
// removed but not yet compacted, never more than the live ones. The
// objectives, their signs and the scratch are shared by all groups, a
// point that cannot enter a group never creates it, and a run absorbs each
// part's groups (Absorb) instead of copying them. With one point per group,
// as group_by: [model, hardware, precision, batch_size] gives, that is
// about 155 bytes a group with its key (BenchmarkGroupedFront reports the
// bytes held per group without the key, 125): a million groups hold about
// 155 MB, which a memory budget for a run must allow; nothing drops
// groups, since the front must stay exact.
type GroupedFront struct {
	c      *frontConf
	fronts map[string]*Front
}

// NewGroupedFront returns an empty grouped front over objs.
func NewGroupedFront(objs []Objective) *GroupedFront {
	if len(objs) == 0 {
		panic("dse: NewGroupedFront needs at least one objective")
	}
	return &GroupedFront{c: newFrontConf(objs), fronts: map[string]*Front{}}
}

// Add offers a point to the front of group. A dominated point does not
// allocate once its group exists.
func (g *GroupedFront) Add(group string, index int64, vals []float64) {
	f := g.fronts[group]
	if f == nil {
		if !finite(vals) {
			return // do not create a group for a point that cannot enter it
		}
		f = &Front{c: g.c}
		g.fronts[group] = f
	}
	f.Add(index, vals)
}

// AddBytes is Add with the group key as bytes; it does not allocate for
// the key unless the group is new.
func (g *GroupedFront) AddBytes(group []byte, index int64, vals []float64) {
	f := g.fronts[string(group)]
	if f == nil {
		if !finite(vals) {
			return
		}
		f = &Front{c: g.c}
		g.fronts[string(group)] = f
	}
	f.Add(index, vals)
}

// finite reports whether no value is NaN or infinite.
func finite(vals []float64) bool {
	for _, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// Merge merges every group of h into g; h is not changed. A group new to g
// takes a copy of h's front as it is (a front is already in archive order),
// so merging a part's groups into a run's costs a copy per new group. It
// panics if the objectives differ.
func (g *GroupedFront) Merge(h *GroupedFront) {
	if h == nil {
		return
	}
	if g.c != h.c && !slices.Equal(g.c.objs, h.c.objs) {
		panic("dse: GroupedFront.Merge: fronts over different objectives")
	}
	// The merged front does not depend on the order of the groups, nor on
	// the order of the points within them.
	for key, hf := range h.fronts {
		f := g.fronts[key]
		if f == nil {
			f = &Front{c: g.c}
			f.copyFrom(hf)
			g.fronts[key] = f
			continue
		}
		f.Merge(hf)
	}
}

// Absorb merges every group of h into g, as Merge does, and leaves h
// empty: the front of a group new to g is moved, not copied, so merging a
// part's many small groups into a run's costs a map entry each. h must not
// be used after, except to add to it afresh.
func (g *GroupedFront) Absorb(h *GroupedFront) {
	if h == nil {
		return
	}
	if g.c != h.c && !slices.Equal(g.c.objs, h.c.objs) {
		panic("dse: GroupedFront.Absorb: fronts over different objectives")
	}
	for key, hf := range h.fronts {
		if f := g.fronts[key]; f != nil {
			f.Merge(hf)
			continue
		}
		hf.c = g.c
		g.fronts[key] = hf
	}
	clear(h.fronts)
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
