package engine

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Composition (experimental): a Pipeline runs stages in order over one
// configuration, as mlsysim's Pipeline (reference solvers §7.1). Each stage
// may change the configuration it hands on (the mode, a parallel degree, a
// duration) and publishes named values, named as the output vocabulary names
// them ("ttft_s", "comm_tp_s", "tco_usd"); later stages read earlier values
// by name. Every number comes from Evaluate: the stages compose the existing
// models, they hold no formulas of their own.
//
//	p := engine.Pipeline{Name: "serving", Stages: []engine.Stage{engine.Prefill{}, engine.Decode{OutputTokens: 256}}}
//	fmt.Print(p.Explain())
//	res, err := p.Run(cfg)
//	fmt.Println(res.Values["ttft_s"], res.Values["itl_s"], res.Values["latency_s"])
//
// Unlike mlsysim's, a stage's values are kept per stage as well as merged
// (two stages of the same kind do not overwrite each other's record), and a
// missing requirement is an error before anything runs.

// Values are named numbers flowing between stages, in SI base units. Boolean
// outputs are 1 or 0.
type Values map[string]float64

// Stage is one step of a Pipeline.
type Stage interface {
	// Name is the stage's name in explanations and results.
	Name() string
	// Describe says in one line what the stage computes and with which model.
	Describe() string
	// Requires lists the values the stage reads: produced by an earlier
	// stage or given to RunWith.
	Requires() []string
	// Produces lists the values the stage publishes.
	Produces() []string
	// Run applies the stage to c (which later stages see) and returns its
	// values, with the Result it evaluated (nil for a stage that only
	// configures).
	Run(c *Config, in Values) (Values, *Result, error)
}

// Pipeline is an ordered list of stages.
type Pipeline struct {
	Name   string
	Stages []Stage
}

// StageResult is the record of one stage of a run.
type StageResult struct {
	Stage  string
	Values Values
	Result *Result // nil for a configuring stage
}

// PipelineResult is the outcome of Pipeline.Run: the values of all stages
// merged in order (later stages overwrite earlier names), each stage's own
// record, and the configuration as the last stage left it.
type PipelineResult struct {
	Values Values
	Stages []StageResult
	Config Config
}

// ErrEmptyPipeline is the error of running a pipeline without stages.
var ErrEmptyPipeline = errors.New("pipeline requires at least one stage")

// missing returns, per stage index, the requirements neither an earlier
// stage nor the given values provide.
func (p Pipeline) missing(given Values) map[int][]string {
	have := map[string]bool{}
	for k := range given {
		have[k] = true
	}
	out := map[int][]string{}
	for i, s := range p.Stages {
		for _, r := range s.Requires() {
			if !have[r] {
				out[i] = append(out[i], r)
			}
		}
		for _, v := range s.Produces() {
			have[v] = true
		}
	}
	return out
}

// Explain describes the pipeline: each stage with what it requires and
// produces, a warning for requirements no earlier stage produces (they must
// be given to RunWith), and the flow.
func (p Pipeline) Explain() string {
	var b strings.Builder
	name := p.Name
	if name == "" {
		name = "Pipeline"
	}
	fmt.Fprintf(&b, "%s: %d stages\n", name, len(p.Stages))
	miss := p.missing(nil)
	var flow []string
	for i, s := range p.Stages {
		flow = append(flow, s.Name())
		fmt.Fprintf(&b, "  %d. %s: %s\n", i+1, s.Name(), s.Describe())
		fmt.Fprintf(&b, "     requires: %s\n", listOrDash(s.Requires()))
		fmt.Fprintf(&b, "     produces: %s\n", listOrDash(s.Produces()))
		if m := miss[i]; len(m) > 0 {
			fmt.Fprintf(&b, "     ⚠ needs %s: must be given to RunWith\n", strings.Join(m, ", "))
		}
	}
	fmt.Fprintf(&b, "Flow: %s\n", strings.Join(flow, " → "))
	return b.String()
}

func listOrDash(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ", ")
}

// Run runs the pipeline on a copy of c with no given values.
func (p Pipeline) Run(c Config) (PipelineResult, error) { return p.RunWith(c, nil) }

// RunWith runs the stages in order on a copy of c, starting from the given
// values. It fails before running anything when the pipeline is empty or a
// requirement is neither produced earlier nor given, and stops at the first
// stage that fails (an invalid configuration); an infeasible configuration
// is not a failure, its values say feasible = 0.
func (p Pipeline) RunWith(c Config, given Values) (PipelineResult, error) {
	if len(p.Stages) == 0 {
		return PipelineResult{}, ErrEmptyPipeline
	}
	if miss := p.missing(given); len(miss) > 0 {
		idx := make([]int, 0, len(miss))
		for i := range miss {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		i := idx[0]
		return PipelineResult{}, fmt.Errorf("stage %d (%s) needs %s: no earlier stage produces it and it was not given",
			i+1, p.Stages[i].Name(), strings.Join(miss[i], ", "))
	}
	res := PipelineResult{Values: Values{}}
	for k, v := range given {
		res.Values[k] = v
	}
	for i, s := range p.Stages {
		in := Values{}
		for k, v := range res.Values {
			in[k] = v
		}
		out, r, err := s.Run(&c, in)
		if err != nil {
			return res, fmt.Errorf("stage %d (%s): %w", i+1, s.Name(), err)
		}
		for k, v := range out {
			res.Values[k] = v
		}
		res.Stages = append(res.Stages, StageResult{Stage: s.Name(), Values: out, Result: r})
	}
	res.Config = c
	return res, nil
}

// evaluateNamed validates c, evaluates it and returns the named outputs of
// the vocabulary.
func evaluateNamed(c *Config, names []string) (Values, *Result, error) {
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	r := Evaluate(c)
	v := Values{}
	for _, n := range names {
		o := LookupOutput(n)
		switch {
		case o == nil:
			return nil, nil, fmt.Errorf("no output named %q", n)
		case o.Type == OutFloat:
			v[n] = o.Float(&r)
		case o.Type == OutBool:
			v[n] = 0
			if o.Bool(&r) {
				v[n] = 1
			}
		}
	}
	return v, &r, nil
}

// Prefill is the serving prefill: the prompts of the batch (seq_len tokens
// each) pass through the model once, compute-bound, to the first token.
type Prefill struct{}

var prefillOutputs = []string{"ttft_s", "kv_cache_bytes", "memory_bytes", "feasible"}

// Name returns "prefill".
func (Prefill) Name() string { return "prefill" }

// Describe says what Prefill computes.
func (Prefill) Describe() string {
	return "time to first token of the batch's prompts (serving model: prefill FLOPs at peak·η + dispatch) and the KV cache it leaves"
}

// Requires returns nothing: the configuration holds the model, hardware, batch and prompt length.
func (Prefill) Requires() []string { return nil }

// Produces returns ttft_s, kv_cache_bytes, memory_bytes, feasible.
func (Prefill) Produces() []string { return prefillOutputs }

// Run evaluates c in serving mode for the first token only.
func (Prefill) Run(c *Config, _ Values) (Values, *Result, error) {
	c.Mode = Serving
	n := c.OutputTokens
	c.OutputTokens = 1
	v, r, err := evaluateNamed(c, prefillOutputs)
	c.OutputTokens = n
	return v, r, err
}

// Decode is the serving decode: OutputTokens tokens per request, each a pass
// over the weights and the KV cache. Its latency_s is the whole request,
// TTFT + (OutputTokens − 1)·ITL, as the serving model prices it.
type Decode struct {
	OutputTokens int // tokens per request; 0 = the configuration's output_tokens
}

var decodeOutputs = []string{"itl_s", "tokens_per_s", "latency_s", "throughput_per_s", "energy_j"}

// Name returns "decode".
func (Decode) Name() string { return "decode" }

// Describe says what Decode computes.
func (Decode) Describe() string {
	return "inter-token latency over weights + KV cache (serving model: bytes / bandwidth + layer tax), request latency and energy"
}

// Requires returns ttft_s: a request starts with its prefill.
func (Decode) Requires() []string { return []string{"ttft_s"} }

// Produces returns itl_s, tokens_per_s, latency_s, throughput_per_s, energy_j.
func (Decode) Produces() []string { return decodeOutputs }

// Run evaluates c in serving mode for OutputTokens tokens.
func (d Decode) Run(c *Config, _ Values) (Values, *Result, error) {
	c.Mode = Serving
	if d.OutputTokens > 0 {
		c.OutputTokens = d.OutputTokens
	}
	return evaluateNamed(c, decodeOutputs)
}

// TensorParallel shards every layer over Degree GPUs (Megatron-LM), at the
// price of all-reduces per layer.
type TensorParallel struct{ Degree int }

// Name returns "tensor_parallel".
func (TensorParallel) Name() string { return "tensor_parallel" }

// Describe says what TensorParallel configures.
func (t TensorParallel) Describe() string {
	return fmt.Sprintf("shard each layer over tp = %d GPUs (4 all-reduces per layer in a training step)", t.Degree)
}

// Requires returns nothing.
func (TensorParallel) Requires() []string { return nil }

// Produces returns tp.
func (TensorParallel) Produces() []string { return []string{"tp"} }

// Run sets the tensor-parallel degree.
func (t TensorParallel) Run(c *Config, _ Values) (Values, *Result, error) {
	if t.Degree < 1 {
		return nil, nil, fmt.Errorf("tp must be >= 1, got %d", t.Degree)
	}
	c.Dist.TP = t.Degree
	return Values{"tp": float64(t.Degree)}, nil, nil
}

// PipelineParallel splits the layers into Degree stages fed by Microbatches
// micro-batches per step, at the price of the pipeline bubble.
type PipelineParallel struct{ Degree, Microbatches int }

// Name returns "pipeline_parallel".
func (PipelineParallel) Name() string { return "pipeline_parallel" }

// Describe says what PipelineParallel configures.
func (p PipelineParallel) Describe() string {
	return fmt.Sprintf("split the layers into pp = %d stages over %d micro-batches (bubble (pp−1)/(m + pp − 1))", p.Degree, max(p.Microbatches, 1))
}

// Requires returns nothing.
func (PipelineParallel) Requires() []string { return nil }

// Produces returns pp and microbatches.
func (PipelineParallel) Produces() []string { return []string{"pp", "microbatches"} }

// Run sets the pipeline-parallel degree and micro-batches.
func (p PipelineParallel) Run(c *Config, _ Values) (Values, *Result, error) {
	if p.Degree < 1 || p.Microbatches < 0 {
		return nil, nil, fmt.Errorf("pp must be >= 1 and microbatches >= 0, got %d and %d", p.Degree, p.Microbatches)
	}
	c.Dist.PP, c.Dist.Microbatches = p.Degree, p.Microbatches
	return Values{"pp": float64(p.Degree), "microbatches": float64(max(p.Microbatches, 1))}, nil, nil
}

// DataParallel replicates the sharded model Degree times; the replicas
// all-reduce their gradients each step.
type DataParallel struct{ Degree int }

// Name returns "data_parallel".
func (DataParallel) Name() string { return "data_parallel" }

// Describe says what DataParallel configures.
func (d DataParallel) Describe() string {
	return fmt.Sprintf("replicate the model dp = %d times (gradient all-reduce per step)", d.Degree)
}

// Requires returns nothing.
func (DataParallel) Requires() []string { return nil }

// Produces returns dp.
func (DataParallel) Produces() []string { return []string{"dp"} }

// Run records the data-parallel degree; TrainingStep sizes the job from it.
func (d DataParallel) Run(c *Config, _ Values) (Values, *Result, error) {
	if d.Degree < 1 {
		return nil, nil, fmt.Errorf("dp must be >= 1, got %d", d.Degree)
	}
	return Values{"dp": float64(d.Degree)}, nil, nil
}

// TrainingStep prices one distributed training step of the configuration as
// the earlier stages shaped it. Without a system, the job uses
// tp·pp·ep·cp·dp GPUs, dp from a DataParallel stage (else 1); with a system
// (Config.Dist.System), its accelerators.
type TrainingStep struct{}

var trainingOutputs = []string{"step_time_s", "comm_tp_s", "comm_pp_s", "comm_dp_s", "bubble_s", "bubble_fraction",
	"scaling_efficiency", "dp_ranks", "gpus_used", "throughput_per_s", "mfu", "hfu", "memory_bytes", "feasible"}

// Name returns "training_step".
func (TrainingStep) Name() string { return "training_step" }

// Describe says what TrainingStep computes.
func (TrainingStep) Describe() string {
	return "one training step on tp × pp × dp GPUs (distributed model: replica + TP/PP/DP collectives + bubble)"
}

// Requires returns nothing; dp, when produced earlier, sizes the job.
func (TrainingStep) Requires() []string { return nil }

// Produces returns the step time, its communication and bubble, and the utilisation.
func (TrainingStep) Produces() []string { return trainingOutputs }

// Run evaluates c as a training step.
func (TrainingStep) Run(c *Config, in Values) (Values, *Result, error) {
	c.Mode = Training
	if c.Dist.System == nil && c.Dist.GPUs == 0 {
		dp := 1
		if v, ok := in["dp"]; ok {
			dp = int(v)
		}
		c.Dist.GPUs = one(c.Dist.TP) * one(c.Dist.PP) * one(c.Dist.EP) * one(c.Dist.CP) * dp
	}
	return evaluateNamed(c, trainingOutputs)
}

// Economics runs the fleet models (energy, carbon, water, TCO) over Days for
// the configuration the earlier stages left. The accelerators draw
// TDP·(0.3 + 0.7·u): u is the hfu an earlier stage produced when
// UseModelledUtilization is set, else the configuration's utilization, else
// the fleet model's default (1 under fidelity mlsysim, as mlsysim's Pipeline
// with no mfu passed).
type Economics struct {
	Days                   float64 // > 0
	UseModelledUtilization bool
}

var economicsOutputs = []string{"energy_it_kwh", "energy_kwh", "carbon_kg", "water_l", "capex_usd", "energy_cost_usd", "maintenance_usd", "tco_usd"}

// Name returns "economics".
func (Economics) Name() string { return "economics" }

// Describe says what Economics computes.
func (e Economics) Describe() string {
	return fmt.Sprintf("%g days of energy, carbon, water and TCO (fleet models)", e.Days)
}

// Requires returns hfu when UseModelledUtilization is set.
func (e Economics) Requires() []string {
	if e.UseModelledUtilization {
		return []string{"hfu"}
	}
	return nil
}

// Produces returns the energies, carbon, water and costs.
func (Economics) Produces() []string { return economicsOutputs }

// Run evaluates c with the fleet models on.
func (e Economics) Run(c *Config, in Values) (Values, *Result, error) {
	if !(e.Days > 0) {
		return nil, nil, fmt.Errorf("days must be > 0, got %v", e.Days)
	}
	c.Fleet.DurationDays = e.Days
	if e.UseModelledUtilization {
		c.Fleet.Utilization = min(max(in["hfu"], 1e-9), 1)
	}
	return evaluateNamed(c, economicsOutputs)
}

// ServingPipeline returns prefill then decode of outputTokens tokens.
func ServingPipeline(outputTokens int) Pipeline {
	return Pipeline{Name: "serving", Stages: []Stage{Prefill{}, Decode{OutputTokens: outputTokens}}}
}

// DistributedPipeline returns tp × pp × dp training: the three parallel
// stages, then the training step.
func DistributedPipeline(tp, pp, dp, microbatches int) Pipeline {
	return Pipeline{Name: "distributed training", Stages: []Stage{
		TensorParallel{Degree: tp}, PipelineParallel{Degree: pp, Microbatches: microbatches}, DataParallel{Degree: dp}, TrainingStep{},
	}}
}
