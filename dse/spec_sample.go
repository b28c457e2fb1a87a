package dse

import (
	"math/rand/v2"

	"github.com/mlsysim/mlsysim-go/outputs"
)

// SampleRows is the number of configurations CheckSample evaluates besides
// the first and the last.
const SampleRows = 62

// CheckSample evaluates a sample of the grid, the first and last
// configurations and SampleRows others drawn with a fixed seed (the same
// sample every time), and returns the first expression that fails on one
// of them: a derived value that is not a finite number, a constraint or a
// derived value that fails when it runs. The error is the one the run
// would stop with, at the expression's position and with the
// configuration's index. A sample cannot prove a grid clean, but the
// corners of a grid are where divisions by zero and overflows live.
func CheckSample(s *Spec) error {
	if s.Size() == 0 || len(s.Derived) == 0 && len(s.Constraints) == 0 {
		return nil
	}
	pl, err := newPlan(s)
	if err != nil {
		return err
	}
	ev := newEvaluator(pl)
	ev.front = nil
	b := outputs.NewBatch(pl.schema, 1)
	n := int64(s.Size())
	rng := rand.New(rand.NewPCG(1, 1))
	idx := []int64{0, n - 1}
	for range min(n, SampleRows) {
		idx = append(idx, rng.Int64N(n))
	}
	for _, i := range idx {
		b.Reset()
		ev.evalRow(i, b)
		ev.flush()
		if ev.err != nil {
			return ev.err
		}
	}
	return nil
}
