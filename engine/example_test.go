package engine_test

import (
	"fmt"

	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/registry"
)

// Solve Llama-3-70B on one H100 in fp16 at batch 32 with η = 0.45, as
// mlsysim's seed example. The 141 GB of fp16 weights do not fit the H100's
// 80 GiB, so the profile is infeasible and priced on the offload path.
func ExampleSolve() {
	reg := registry.Default()
	m, _ := reg.Model("Llama3_70B")
	h, _ := reg.Hardware("H100")
	p, err := engine.Solve(m, h, engine.Options{BatchSize: 32, Precision: "fp16", Efficiency: 0.45})
	if err != nil {
		panic(err)
	}
	fmt.Println("latency:   ", p.Latency)
	fmt.Println("bottleneck:", p.Bottleneck)
	fmt.Println("feasible:  ", p.Feasible, "-", p.InfeasibleReason)
	fmt.Println("footprint: ", p.MemoryFootprint, "of", h.MemCapacityBytes/1e9, "GB")
	// Output:
	// latency:    9.267 s
	// bottleneck: Memory
	// feasible:   false - memory: the working set exceeds device memory
	// footprint:  141.2 GB of 85.89934592 GB
}

// The six stable fields of a Profile, with their units.
func ExampleProfile() {
	reg := registry.Default()
	m, _ := reg.Model("Llama3_8B")
	h, _ := reg.Hardware("H100")
	p, _ := engine.Solve(m, h, engine.Options{})
	fmt.Printf("Latency    %v (%.6f s)\n", p.Latency, float64(p.Latency))
	fmt.Printf("Throughput %.2f /s\n", p.Throughput)
	fmt.Printf("Bottleneck %s\n", p.Bottleneck)
	fmt.Printf("MFU        %.4f\n", p.MFU)
	fmt.Printf("Feasible   %v\n", p.Feasible)
	fmt.Printf("Energy     %v\n", p.Energy)
	// Output:
	// Latency    5.603 ms (0.005603 s)
	// Throughput 178.46 /s
	// Bottleneck Memory
	// MFU        0.0029
	// Feasible   true
	// Energy     1.185 J
}

// A scenario at its three levels: ChatbotServing passes every target.
func ExampleEvaluateScenario() {
	s, _ := registry.Default().Scenario("ChatbotServing")
	r := engine.EvaluateScenario(s)
	for _, c := range r.Checks {
		fmt.Printf("%-11s %-15s %s\n", c.Level, c.Name, c.Verdict)
	}
	fmt.Println(r.Latency, r.EnergyIT, r.Carbon, r.TCO, r.Passed())
	// Output:
	// feasibility memory          PASS
	// feasibility data_rate       N/A
	// performance latency         PASS
	// performance power           N/A
	// performance accuracy        N/A
	// macro       carbon_and_cost PASS
	// 5.603 ms 6.132 MWh 2.946 t CO2 $10,407.47 true
}

// Prefill then decode as a pipeline of stages.
func ExamplePipeline() {
	reg := registry.Default()
	c := engine.DefaultConfig()
	c.Fidelity = engine.FidelityMLSysim
	c.Model, _ = reg.Model("Llama3_8B")
	c.Hardware, _ = reg.Hardware("H100")
	p := engine.ServingPipeline(128)
	fmt.Print(p.Explain())
	res, err := p.Run(c)
	if err != nil {
		panic(err)
	}
	fmt.Printf("TTFT %.2f ms, ITL %.3f ms, request %.1f ms\n",
		res.Values["ttft_s"]*1e3, res.Values["itl_s"]*1e3, res.Values["latency_s"]*1e3)
	// Output:
	// serving: 2 stages
	//   1. prefill: time to first token of the batch's prompts (serving model: prefill FLOPs at peak·η + dispatch) and the KV cache it leaves
	//      requires: -
	//      produces: ttft_s, kv_cache_bytes, memory_bytes, feasible
	//   2. decode: inter-token latency over weights + KV cache (serving model: bytes / bandwidth + layer tax), request latency and energy
	//      requires: ttft_s
	//      produces: itl_s, tokens_per_s, latency_s, throughput_per_s, energy_j
	// Flow: prefill → decode
	// TTFT 70.97 ms, ITL 5.194 ms, request 730.6 ms
}
