// Command library is a program outside mlsysim-go that uses its stable API,
// as docs/api-stability.md shows: registry lookups, engine.Solve with
// engine.Options, the six stable Profile fields, typed quantities from
// package units, and a scenario evaluation.
package main

import (
	"fmt"
	"os"

	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/registry"
	"github.com/mlsysim/mlsysim-go/units"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "library:", err)
		os.Exit(1)
	}
}

func run() error {
	reg, err := registry.Embedded()
	if err != nil {
		return err
	}
	m, err := reg.Model("Llama3_8B")
	if err != nil {
		return err
	}
	h, err := reg.Hardware("H100")
	if err != nil {
		return err
	}
	p, err := engine.Solve(m, h, engine.Options{BatchSize: 32, Precision: "fp16", Efficiency: 0.45})
	if err != nil {
		return err
	}
	// Typed results: a units.Seconds is not a units.Joules.
	var latency units.Seconds = p.Latency
	var energy units.Joules = p.Energy
	fmt.Printf("%s on %s, batch 32, fp16, η 0.45\n", m.Name, h.Name)
	fmt.Printf("  latency    %v (%.3f ms)\n", latency, latency.Milliseconds())
	fmt.Printf("  throughput %.1f samples/s\n", p.Throughput)
	fmt.Printf("  bottleneck %s\n", p.Bottleneck)
	fmt.Printf("  mfu        %.4f\n", p.MFU)
	fmt.Printf("  feasible   %v\n", p.Feasible)
	fmt.Printf("  energy     %v, average power %v\n", energy, energy.Per(latency))

	// A service-level objective as a typed quantity parsed from text.
	slo, err := units.ParseSeconds("50 ms")
	if err != nil {
		return err
	}
	fmt.Printf("  meets a %v SLO: %v\n", slo, latency <= slo)

	// Invalid input is an error, not a panic.
	if _, err := engine.Solve(m, h, engine.Options{Precision: "fp6"}); err != nil {
		fmt.Printf("  fp6: %v\n", err)
	}

	s, err := reg.Scenario("ChatbotServing")
	if err != nil {
		return err
	}
	r := engine.EvaluateScenario(s)
	fmt.Printf("scenario %s: passed %v, TCO %v a year\n", s.Key, r.Passed(), r.TCO)
	return nil
}
