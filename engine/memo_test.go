package engine

import (
	"math/rand"
	"reflect"
	"testing"
)

// TestEvaluateMemoExact evaluates seeded configurations of every mode
// through one Memo, each at a run of batch sizes (as a sweep's fastest
// axis gives them) and interleaved with another configuration at the same
// batch sizes and with itself at another prompt length (so that the memo
// is both reused and invalidated), and
// compares every Result with Evaluate's, field for field.
func TestEvaluateMemoExact(t *testing.T) {
	sp := newInvariantSpace(t)
	rng := rand.New(rand.NewSource(20261202))
	var m, m2 Memo
	var into Result // reused: EvaluateMemoTo overwrites what it held
	n := 2000
	if testing.Short() {
		n = 300
	}
	batches := []int{1, 2, 3, 8, 8, 64, 1, 5}
	for range n {
		// b is another draw; a2 is a with another prompt length, the
		// next value of a sweep's second-fastest axis.
		a, b := sp.draw(rng), sp.draw(rng)
		a2 := a
		a2.SeqLen = a.SeqLen + 1 + rng.Intn(a.SeqLen)
		if a.Validate() != nil || b.Validate() != nil || a2.Validate() != nil {
			continue
		}
		for j, B := range batches {
			c := &a
			switch j % 4 {
			case 2:
				c = &b
			case 3:
				c = &a2
			}
			c.BatchSize = B
			want := Evaluate(c)
			got := EvaluateMemo(c, &m)
			if c.memo != nil {
				t.Fatal("EvaluateMemo left its memo in the configuration")
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s on %s, %v, batch %d: EvaluateMemo differs from Evaluate:\n%+v\n%+v",
					c.Model.Key, c.Hardware.Key, c.Mode, B, got, want)
			}
			EvaluateMemoTo(c, &m2, &into)
			if c.memo != nil {
				t.Fatal("EvaluateMemoTo left its memo in the configuration")
			}
			if !reflect.DeepEqual(into, want) {
				t.Fatalf("%s on %s, %v, batch %d: EvaluateMemoTo differs from Evaluate:\n%+v\n%+v",
					c.Model.Key, c.Hardware.Key, c.Mode, B, into, want)
			}
		}
	}
}

func TestEvaluateMemoAllocs(t *testing.T) {
	c := cfg(t, "Llama3_70B", "H100", func(c *Config) { c.Mode = Serving })
	var m Memo
	allocs := testing.AllocsPerRun(100, func() {
		c.BatchSize = c.BatchSize%64 + 1
		_ = EvaluateMemo(&c, &m)
	})
	if allocs != 0 {
		t.Errorf("EvaluateMemo allocates %v times per call", allocs)
	}
	var r Result
	allocs = testing.AllocsPerRun(100, func() {
		c.BatchSize = c.BatchSize%64 + 1
		EvaluateMemoTo(&c, &m, &r)
	})
	if allocs != 0 {
		t.Errorf("EvaluateMemoTo allocates %v times per call", allocs)
	}
}
