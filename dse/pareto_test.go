package dse

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// bruteFront is the O(n²) reference: a point is on the front when no other
// point dominates it and no point with the same vector has a lower index.
// Points with NaN or ±Inf are dropped; repeated (index, vals) count once.
func bruteFront(objs []Objective, pts []Point) []Point {
	var clean []Point
	seen := map[string]bool{}
	for _, p := range pts {
		ok := true
		for _, v := range p.Vals {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				ok = false
			}
		}
		key := fmt.Sprint(p.Index, p.Vals)
		if ok && !seen[key] {
			seen[key] = true
			clean = append(clean, p)
		}
	}
	var out []Point
	for i, p := range clean {
		keep := true
		for j, q := range clean {
			if i == j {
				continue
			}
			if Dominates(objs, q.Vals, p.Vals) || (slices.Equal(q.Vals, p.Vals) && q.Index < p.Index) {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b Point) int { return int(a.Index - b.Index) })
	return out
}

func samePoints(t *testing.T, what string, got, want []Point) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d points, want %d\ngot  %v\nwant %v", what, len(got), len(want), got, want)
	}
	for i := range got {
		if got[i].Index != want[i].Index || !slices.Equal(got[i].Vals, want[i].Vals) {
			t.Fatalf("%s: point %d = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// randPoints draws n points with values from a small integer grid (levels
// values per objective), so that ties and duplicate vectors are common, plus
// some NaN/Inf values and some repeated indexes.
func randPoints(r *rand.Rand, k, n, levels int) []Point {
	pts := make([]Point, n)
	for i := range pts {
		v := make([]float64, k)
		for j := range v {
			v[j] = float64(r.IntN(levels))
			if r.IntN(10) == 0 {
				v[j] += r.Float64()
			}
		}
		switch r.IntN(50) {
		case 0:
			v[r.IntN(k)] = math.NaN()
		case 1:
			v[r.IntN(k)] = math.Inf(1 - 2*r.IntN(2))
		}
		pts[i] = Point{Index: int64(i), Vals: v}
		if i > 0 && r.IntN(40) == 0 { // the same point offered twice
			pts[i] = Point{Index: pts[i-1].Index, Vals: slices.Clone(pts[i-1].Vals)}
		}
	}
	return pts
}

func randObjectives(r *rand.Rand, k int) []Objective {
	objs := make([]Objective, k)
	for i := range objs {
		objs[i] = Objective{Name: fmt.Sprintf("o%d", i), Maximize: r.IntN(2) == 0}
	}
	return objs
}

// TestFrontMatchesBruteForce checks the front against the O(n²) reference
// for 1 to 6 objectives, min and max, ties and duplicates, in random
// insertion orders and random splits among workers followed by Merge.
// Fronts of up to a few hundred points cover the blocks' boxes.
func TestFrontMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for k := 1; k <= 6; k++ {
		for trial := range 60 {
			n := 1 + r.IntN(400)
			levels := 2 + r.IntN(30)
			objs := randObjectives(r, k)
			pts := randPoints(r, k, n, levels)
			want := bruteFront(objs, pts)
			name := fmt.Sprintf("k=%d trial=%d n=%d levels=%d", k, trial, n, levels)

			f := NewFront(objs)
			for _, p := range pts {
				f.Add(p.Index, p.Vals)
			}
			samePoints(t, name+" in order", f.Points(), want)

			// Another insertion order.
			perm := r.Perm(n)
			f = NewFront(objs)
			for _, i := range perm {
				f.Add(pts[i].Index, pts[i].Vals)
			}
			samePoints(t, name+" shuffled", f.Points(), want)

			// Split among workers at random, then merge in random order.
			w := 1 + r.IntN(6)
			parts := make([]*Front, w)
			for i := range parts {
				parts[i] = NewFront(objs)
			}
			for _, i := range perm {
				parts[r.IntN(w)].Add(pts[i].Index, pts[i].Vals)
			}
			total := NewFront(objs)
			for _, i := range r.Perm(w) {
				total.Merge(parts[i])
			}
			samePoints(t, name+" merged", total.Points(), want)
		}
	}
}

// TestGroupedFrontMatchesBruteForce checks grouped fronts of 1 to 6
// objectives over many groups (from one point each to hundreds) against
// the reference, with points split among per-part fronts merged in random
// order, as Run merges its parts, and keys given as strings or bytes.
func TestGroupedFrontMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for k := 1; k <= 6; k++ {
		for trial := range 8 {
			n := 1 + r.IntN(3000)
			groups := 1 + r.IntN(n)
			objs := randObjectives(r, k)
			pts := randPoints(r, k, n, 2+r.IntN(40))
			key := func(i int) string { return fmt.Sprintf("g%d/%d", pts[i].Index%int64(groups), k) }
			byGroup := map[string][]Point{}
			for i, p := range pts {
				byGroup[key(i)] = append(byGroup[key(i)], p)
			}
			parts := make([]*GroupedFront, 1+r.IntN(5))
			for i := range parts {
				parts[i] = NewGroupedFront(objs)
			}
			for _, i := range r.Perm(n) {
				g := parts[r.IntN(len(parts))]
				if r.IntN(2) == 0 {
					g.Add(key(i), pts[i].Index, pts[i].Vals)
				} else {
					g.AddBytes([]byte(key(i)), pts[i].Index, pts[i].Vals)
				}
			}
			total := NewGroupedFront(objs)
			for _, i := range r.Perm(len(parts)) {
				total.Merge(parts[i])
			}
			// Absorbing copies of the parts gives the same groups.
			moved := NewGroupedFront(objs)
			for _, i := range r.Perm(len(parts)) {
				c := NewGroupedFront(objs)
				c.Merge(parts[i])
				moved.Absorb(c)
				if len(c.Groups()) != 0 {
					t.Fatalf("Absorb left %d groups in its argument", len(c.Groups()))
				}
			}
			name := fmt.Sprintf("k=%d trial=%d n=%d groups=%d", k, trial, n, groups)
			var want []string
			for g, ps := range byGroup {
				if len(bruteFront(objs, ps)) > 0 {
					want = append(want, g)
				}
			}
			slices.Sort(want)
			if got := total.Groups(); !slices.Equal(got, want) {
				t.Fatalf("%s: %d groups, want %d", name, len(got), len(want))
			}
			for _, g := range want {
				samePoints(t, name+" "+g, total.Front(g).Points(), bruteFront(objs, byGroup[g]))
				samePoints(t, name+" absorbed "+g, moved.Front(g).Points(), bruteFront(objs, byGroup[g]))
			}
			// Merging the same parts again changes nothing.
			for _, p := range parts {
				total.Merge(p)
			}
			for _, g := range want {
				samePoints(t, name+" remerged "+g, total.Front(g).Points(), bruteFront(objs, byGroup[g]))
			}
		}
	}
}

// TestFrontLargeMatchesBruteForce checks fronts of thousands of points (a
// hundred blocks and more) on the simplex shape of BenchmarkFront, where
// most points are trade-offs, with and without exact ties.
func TestFrontLargeMatchesBruteForce(t *testing.T) {
	for _, k := range []int{3, 4, 6} {
		for _, round := range []bool{false, true} {
			n := 3000
			vals := frontShape("large", k, n)
			if round { // a coarse grid: many equal vectors and equal coordinates
				for i := range vals {
					vals[i] = math.Round(vals[i]*20) / 20
				}
			}
			objs := benchObjectives(k)
			pts := make([]Point, n)
			for i := range pts {
				pts[i] = Point{Index: int64(n - i), Vals: vals[i*k : i*k+k]}
			}
			want := bruteFront(objs, pts)
			f := NewFront(objs)
			for _, p := range pts {
				f.Add(p.Index, p.Vals)
			}
			name := fmt.Sprintf("k=%d round=%v", k, round)
			samePoints(t, name, f.Points(), want)
			if len(want) < 100 {
				t.Errorf("%s: front of %d points, want a large one", name, len(want))
			}
		}
	}
}

func TestFrontTiesKeepLowestIndex(t *testing.T) {
	objs := []Objective{{Name: "latency_s"}, {Name: "tokens_per_s", Maximize: true}}
	f := NewFront(objs)
	f.Add(7, []float64{1, 10})
	f.Add(3, []float64{1, 10}) // same vector, lower index: replaces 7
	f.Add(5, []float64{1, 10}) // same vector, higher index: dropped
	f.Add(9, []float64{2, 10}) // dominated by 3 (slower, same throughput)
	f.Add(4, []float64{2, 20}) // on the front: slower but more throughput
	f.Add(4, []float64{2, 20}) // the same point again: kept once
	got := f.Points()
	want := []Point{{3, []float64{1, 10}}, {4, []float64{2, 20}}}
	samePoints(t, "ties", got, want)
}

func TestFrontRejectsNaNInf(t *testing.T) {
	f := NewFront([]Objective{{Name: "a"}, {Name: "b"}, {Name: "c"}})
	f.Add(1, []float64{math.NaN(), 0, 0})
	f.Add(2, []float64{0, math.Inf(-1), 0})
	f.Add(3, []float64{0, 0, math.Inf(1)})
	if f.Len() != 0 {
		t.Fatalf("front holds %v", f.Points())
	}
	g := NewGroupedFront([]Objective{{Name: "a"}, {Name: "b"}})
	g.Add("x", 1, []float64{math.NaN(), 1})
	if len(g.Groups()) != 0 {
		t.Fatalf("groups %v for a NaN point", g.Groups())
	}
}

func TestDominates(t *testing.T) {
	objs := []Objective{{Name: "latency_s"}, {Name: "tokens_per_s", Maximize: true}}
	for _, c := range []struct {
		a, b []float64
		want bool
	}{
		{[]float64{1, 10}, []float64{2, 10}, true},
		{[]float64{1, 10}, []float64{1, 5}, true},
		{[]float64{1, 10}, []float64{1, 10}, false}, // equal: neither dominates
		{[]float64{1, 5}, []float64{2, 10}, false},  // a trade-off
		{[]float64{2, 10}, []float64{1, 10}, false},
	} {
		if got := Dominates(objs, c.a, c.b); got != c.want {
			t.Errorf("Dominates(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestGroupedFront(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	objs := []Objective{{Name: "latency_s"}, {Name: "cost_usd"}, {Name: "tokens_per_s", Maximize: true}}
	groups := []string{"H100", "B200", "A100"}
	pts := randPoints(r, 3, 900, 12)
	byGroup := map[string][]Point{}
	a, b := NewGroupedFront(objs), NewGroupedFront(objs)
	for i, p := range pts {
		g := groups[i%3]
		byGroup[g] = append(byGroup[g], p)
		if r.IntN(2) == 0 {
			a.Add(g, p.Index, p.Vals)
		} else {
			b.Add(g, p.Index, p.Vals)
		}
	}
	a.Merge(b)
	if got, want := a.Groups(), []string{"A100", "B200", "H100"}; !slices.Equal(got, want) {
		t.Fatalf("Groups() = %v, want %v", got, want)
	}
	for _, g := range groups {
		samePoints(t, g, a.Front(g).Points(), bruteFront(objs, byGroup[g]))
	}
	if a.Front("TPUv5p") != nil {
		t.Fatal("Front of an unknown group is not nil")
	}
}

func TestFrontAddDominatedDoesNotAllocate(t *testing.T) {
	for k := 2; k <= 4; k++ {
		objs := make([]Objective, k)
		for i := range objs {
			objs[i] = Objective{Name: fmt.Sprint(i), Maximize: i%2 == 1}
		}
		f := NewFront(objs)
		v := make([]float64, k)
		for i := range 100 { // a front of trade-offs
			v[0] = float64(i)
			v[1] = float64(i) // maximised: rises with the cost in v[0]
			f.Add(int64(i), v)
		}
		bad := make([]float64, k)
		bad[0], bad[1] = 1000, -1 // worst in both
		allocs := testing.AllocsPerRun(100, func() { f.Add(5000, bad) })
		if allocs != 0 {
			t.Errorf("k=%d: Add of a dominated point allocates %v times", k, allocs)
		}
		g := NewGroupedFront(objs)
		key := []byte("Llama3_70B/H100")
		g.AddBytes(key, 1, v)
		allocs = testing.AllocsPerRun(100, func() { g.AddBytes(key, 5000, bad) })
		if allocs != 0 {
			t.Errorf("k=%d: GroupedFront.AddBytes of a dominated point allocates %v times", k, allocs)
		}
	}
}

func TestFrontPanics(t *testing.T) {
	mustPanic := func(name string, fn func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", name)
			}
		}()
		fn()
	}
	mustPanic("NewFront(nil)", func() { NewFront(nil) })
	mustPanic("Add wrong length", func() { NewFront([]Objective{{Name: "a"}, {Name: "b"}}).Add(0, []float64{1}) })
	mustPanic("Merge different objectives", func() {
		NewFront([]Objective{{Name: "a"}, {Name: "b"}}).Merge(NewFront([]Objective{{Name: "a"}, {Name: "c"}}))
	})
}

func ExampleFront() {
	f := NewFront([]Objective{{Name: "latency_s"}, {Name: "tokens_per_s", Maximize: true}})
	f.Add(0, []float64{0.020, 900})  // fast, little throughput
	f.Add(1, []float64{0.050, 2400}) // slower, more throughput
	f.Add(2, []float64{0.060, 2000}) // dominated by 1
	f.Add(3, []float64{0.020, 900})  // the same as 0: the lower index is kept
	for _, p := range f.Points() {
		fmt.Println(p.Index, p.Vals)
	}
	// Output:
	// 0 [0.02 900]
	// 1 [0.05 2400]
}

// BenchmarkFrontAdd adds a stream of random points, of which a realistic
// share is dominated, to a front of 2, 3 and 4 objectives.
func BenchmarkFrontAdd(b *testing.B) {
	for k := 2; k <= 4; k++ {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			r := rand.New(rand.NewPCG(5, 6))
			objs := make([]Objective, k)
			for i := range objs {
				objs[i] = Objective{Name: fmt.Sprint(i), Maximize: i == 1}
			}
			const n = 1 << 16
			vals := make([]float64, n*k)
			for i := range vals {
				vals[i] = r.Float64()
			}
			f := NewFront(objs)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				j := i % n
				f.Add(int64(i), vals[j*k:j*k+k])
			}
			b.ReportMetric(float64(f.Len()), "front")
		})
	}
}

// FuzzFront decodes points from bytes (the first byte picks 1 to 6
// objectives and their senses, then each point is k small values, with a
// few bytes standing for NaN and ±Inf, and an index that repeats) and checks
// the front, built whole and as two merged halves, against the reference.
func FuzzFront(f *testing.F) {
	f.Add([]byte{3, 1, 2, 3, 3, 2, 1, 2, 2, 2, 1, 2, 3})
	f.Add([]byte{0x25, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9, 9, 9, 255, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		k := 1 + int(data[0]%6)
		objs := make([]Objective, k)
		for i := range objs {
			objs[i] = Objective{Name: fmt.Sprint("o", i), Maximize: data[0]>>(2+i)&1 == 1}
		}
		var pts []Point
		for b := data[1:]; len(b) >= k; b = b[k:] {
			v := make([]float64, k)
			for i := range v {
				switch b[i] {
				case 253:
					v[i] = math.NaN()
				case 254:
					v[i] = math.Inf(1)
				case 255:
					v[i] = math.Inf(-1)
				default:
					v[i] = float64(b[i] % 16)
				}
			}
			pts = append(pts, Point{Index: int64(len(pts) % 50), Vals: v})
		}
		// A repeated index must carry the same values (a row is a function
		// of its index): keep the first values of each index.
		first := map[int64][]float64{}
		for i, p := range pts {
			if v, ok := first[p.Index]; ok {
				pts[i].Vals = v
			} else {
				first[p.Index] = p.Vals
			}
		}
		want := bruteFront(objs, pts)
		whole, a, b := NewFront(objs), NewFront(objs), NewFront(objs)
		for i, p := range pts {
			whole.Add(p.Index, p.Vals)
			if i%2 == 0 {
				a.Add(p.Index, p.Vals)
			} else {
				b.Add(p.Index, p.Vals)
			}
		}
		samePoints(t, "whole", whole.Points(), want)
		a.Merge(b)
		samePoints(t, "merged", a.Points(), want)
	})
}
