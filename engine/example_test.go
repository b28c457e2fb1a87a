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

// Parse DeepSeek-V3's pipeline layout at pp·vp = 16 as its Megatron-Bridge
// recipe writes it: the embedding and four layers on the first stage, four
// layers on each of the next fourteen, and one layer, the MTP block and
// the loss on the last. A bad text is an error naming its position.
func ExampleParsePipelineLayout() {
	l, err := engine.ParsePipelineLayout("Et*4|(t*4|)*14tmL")
	if err != nil {
		panic(err)
	}
	first, last := l.Stage(0), l.Stage(l.NumStages()-1)
	fmt.Println("stages:", l.NumStages(), "layers:", l.Layers(), "mtp:", l.MTP())
	fmt.Printf("first: %+v\nlast:  %+v\n", first, last)
	_, err = engine.ParsePipelineLayout("Et|(t|(t)*2)*3L")
	fmt.Println(err)
	// Output:
	// stages: 16 layers: 61 mtp: 1
	// first: {Layers:4 MTP:0 Embedding:true Loss:false}
	// last:  {Layers:1 MTP:1 Embedding:false Loss:true}
	// pipeline layout "Et|(t|(t)*2)*3L": position 7: groups do not nest
}

// A row the engine refuses before any model prices it (here fp4
// arithmetic, for which the H100 lists no tensor rate) is Unpriced: its
// reason says why, and every number of the output vocabulary is null for
// it rather than a 0 no model computed.
func ExampleResult_Unpriced() {
	reg := registry.Default()
	c := engine.DefaultConfig()
	for _, kv := range [][2]string{{"model", "Llama3_8B"}, {"hardware", "H100"}, {"precision", "fp4"}} {
		if err := c.Set(reg, kv[0], kv[1]); err != nil {
			panic(err)
		}
	}
	r := engine.Evaluate(&c)
	fmt.Println("unpriced:", r.Unpriced())
	fmt.Println("latency_s:", engine.LookupOutput("latency_s").NullReason(&r))
	// Output:
	// unpriced: true
	// latency_s: unpriced
}
