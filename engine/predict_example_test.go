package engine_test

import (
	"fmt"

	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/registry"
)

// Predict gives the numbers of `sweep eval` (fidelity calibrated by
// default), typed; an infeasible configuration says why.
func ExamplePredict() {
	reg := registry.Default()
	m, _ := reg.Model("Llama3_70B")
	h, _ := reg.Hardware("H100")
	q := engine.NewQuery(m, h)
	q.Mode, q.Precision, q.BatchSize, q.OutputTokens = engine.Serving, registry.INT4, 8, 256
	p, err := engine.Predict(q)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(q.Fidelity, q.Mode, q.Precision, p.Feasible, p.TTFT, p.ITL)

	q.Precision = registry.FP16
	p, _ = engine.Predict(q)
	fmt.Println(q.Precision, p.Feasible, p.InfeasibleReason)

	_, err = engine.Predict(engine.Query{Model: m})
	fmt.Println(err)
	// Output:
	// calibrated serving int4 true 486.3 ms 23.05 ms
	// fp16 false memory: the working set exceeds device memory
	// engine: hardware is required
}
