// Package engine holds the analytical models of mlsysim-go: pure functions
// from one resolved configuration (Config) to one flat result (Result).
//
// Fidelity "mlsysim" reproduces mlsysim's published numbers (Harvard's
// MLSys·im, harvard-edge/cs249r_book): the single-node roofline of
// Engine.solve for inference and training, and the prefill/decode core of
// its ServingModel. Each formula is stated on the function that computes it.
//
// Fidelity "calibrated" prices the same configurations with the operator
// model of package calibration: Config carries the profile set it is priced
// with (Calib.Profiles, nil for the embedded profiles) and the profile of its
// hardware resolved from it once (Calib.Profile, ResolveProfile), never
// looked up in process-wide state. The engine imports calibration for that
// model only: fitting and the accuracy report live in calibration and
// package accuracy.
//
// The package knows nothing of files, flags or goroutines. Evaluate does not
// allocate, so a sweep can call it millions of times per second per core.
// The parameter and output vocabulary (Params, Outputs) is defined here, once,
// for the CLI, the sweep files and the output schema.
//
// Library users start from Solve, the stable entry point:
//
//	r := registry.Default()
//	m, _ := r.Model("Llama3_70B")
//	h, _ := r.Hardware("H100")
//	p, err := engine.Solve(m, h, engine.Options{BatchSize: 32, Efficiency: 0.45})
//	fmt.Println(p.Latency, p.Bottleneck, p.Feasible)
package engine
