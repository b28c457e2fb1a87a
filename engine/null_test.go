package engine

import (
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// evalSet evaluates the default configuration with the parameters kv
// (name, value, name, value ...) set.
func evalSet(t *testing.T, kv ...string) Result {
	t.Helper()
	reg := registry.Default()
	c := DefaultConfig()
	for i := 0; i+1 < len(kv); i += 2 {
		if err := c.Set(reg, kv[i], kv[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return Evaluate(&c)
}

// The outputs that claim what a configuration achieves are null where the
// claim is false; the physics that explains why stays.
func TestOutputNull(t *testing.T) {
	null := func(r *Result, name string) bool {
		t.Helper()
		o := LookupOutput(name)
		if o == nil {
			t.Fatalf("no output %s", name)
		}
		return o.Null(r)
	}
	// Llama3_70B in fp16 does not fit a T4: infeasible by memory.
	r := evalSet(t, "model", "Llama3_70B", "hardware", "T4", "mode", "serving", "batch_size", "64", "duration_days", "30")
	if r.Feasible || r.Reason != ReasonMemory {
		t.Fatalf("feasible %v, reason %v; want infeasible by memory", r.Feasible, r.Reason)
	}
	for _, n := range []string{"cost_per_mtok_usd", "cost_per_mtok_input_usd", "cost_per_mtok_output_usd",
		"energy_per_token_j", "tokens_per_s", "throughput_per_s", "mfu", "replicas", "p99_s"} {
		if !null(&r, n) {
			t.Errorf("infeasible row: %s is not null", n)
		}
	}
	for _, n := range []string{"memory_bytes", "latency_s", "itl_s", "ttft_s", "kv_cache_bytes", "feasible", "infeasible_reason", "tco_usd"} {
		if null(&r, n) {
			t.Errorf("infeasible row: %s is null; it explains why", n)
		}
	}
	// A P99 target below one request's latency: no replica count meets it,
	// the queue is stable, the row runs (feasible) but the target is unreachable.
	r = evalSet(t, "model", "Llama3_8B", "hardware", "H100", "mode", "serving", "qps", "10", "p99_target_s", "1e-4", "duration_days", "30")
	if !r.Feasible || !r.Unreachable() || r.Serve.SLAMet {
		t.Fatalf("feasible %v, unreachable %v, sla_met %v; want feasible and unreachable", r.Feasible, r.Unreachable(), r.Serve.SLAMet)
	}
	for _, n := range []string{"replicas", "cost_per_mtok_usd", "energy_per_token_j", "tco_usd", "energy_kwh"} {
		if !null(&r, n) {
			t.Errorf("unreachable target: %s is not null (value %v)", n, LookupOutput(n).Float(&r))
		}
	}
	for _, n := range []string{"p99_s", "p50_s", "tokens_per_s", "per_replica_qps", "latency_s"} {
		if null(&r, n) {
			t.Errorf("unreachable target: %s is null; a stable queue's latency explains why", n)
		}
	}
	// A reachable target: nothing is null.
	r = evalSet(t, "model", "Llama3_8B", "hardware", "H100", "mode", "serving", "qps", "1", "p99_target_s", "100", "duration_days", "30")
	if !r.Feasible || r.Unreachable() {
		t.Fatalf("feasible %v, unreachable %v; want feasible and reachable", r.Feasible, r.Unreachable())
	}
	for _, o := range Outputs() {
		if o.Modes.Has(Serving) && o.Null(&r) {
			t.Errorf("feasible row: %s is null", o.Name)
		}
	}
	// Without a duration the fleet models do not run: their outputs are
	// unknown, not 0 (a free, fail-proof fleet).
	r = evalSet(t, "model", "Llama3_8B", "hardware", "H100", "mode", "serving")
	for _, n := range []string{"energy_kwh", "pue", "carbon_kg", "tco_usd", "energy_cost_usd", "cost_per_mtok_usd",
		"energy_per_token_j", "fleet_mtbf_h", "goodput", "checkpoint_bytes"} {
		if !null(&r, n) {
			t.Errorf("no duration: %s is not null (value %v)", n, LookupOutput(n).Float(&r))
		}
	}
	if null(&r, "latency_s") || null(&r, "tokens_per_s") {
		t.Error("no duration: the row's own outputs are null")
	}
	// Hardware without a listed unit cost: the capital and every price
	// that includes it are unknown; the energy and its cost are not.
	r = evalSet(t, "model", "Llama3_8B", "hardware", "L40S", "mode", "serving", "duration_days", "30")
	if !r.Fleet.NoUnitCost {
		t.Fatal("L40S lists a unit cost; the test needs hardware without one")
	}
	for _, n := range []string{"capex_usd", "maintenance_usd", "opex_usd", "tco_usd", "cost_per_mtok_usd",
		"cost_per_mtok_input_usd", "cost_per_mtok_output_usd"} {
		if !null(&r, n) {
			t.Errorf("no unit cost: %s is not null (value %v)", n, LookupOutput(n).Float(&r))
		}
	}
	for _, n := range []string{"energy_kwh", "energy_cost_usd", "carbon_kg", "energy_per_token_j"} {
		if null(&r, n) {
			t.Errorf("no unit cost: %s is null", n)
		}
	}
	// Without capacity planning there is no target to miss.
	r = evalSet(t, "model", "Llama3_8B", "hardware", "H100", "mode", "training")
	if r.Unreachable() {
		t.Error("training row: unreachable")
	}
}

// Null allocates nothing: the evaluator asks it on every row.
func TestOutputNullAllocs(t *testing.T) {
	r := evalSet(t, "model", "Llama3_70B", "hardware", "T4", "mode", "serving")
	o := LookupOutput("cost_per_mtok_usd")
	if n := testing.AllocsPerRun(100, func() { o.Null(&r) }); n != 0 {
		t.Errorf("Null allocates %v times", n)
	}
}

// A row refused before any model priced it (Result.Unpriced) has every
// number null, with the reason "unpriced", whatever its other conditions;
// a row priced and then found infeasible keeps the numbers that explain
// why.
func TestOutputNullUnpriced(t *testing.T) {
	cases := []struct {
		name string
		kv   []string
	}{
		{"no fp4 rate", []string{"model", "Llama3_8B", "hardware", "H100", "precision", "fp4", "duration_days", "30"}},
		{"a layout that cannot exist", []string{"model", "Llama3_8B", "system", "Lab_64_H100", "mode", "training", "gpus", "64", "tp", "3"}},
		{"a CNN served", []string{"model", "ResNet50", "hardware", "H100", "mode", "serving"}},
	}
	for _, tc := range cases {
		r := evalSet(t, tc.kv...)
		if !r.Unpriced() || r.Reason == ReasonNone {
			t.Errorf("%s: unpriced %v, reason %q", tc.name, r.Unpriced(), r.Reason)
			continue
		}
		for _, o := range Outputs() {
			if o.Type != OutFloat {
				continue
			}
			if why := o.NullReason(&r); why != "unpriced" {
				t.Errorf("%s: %s is %q, want null as unpriced", tc.name, o.Name, why)
			}
		}
	}
	r := evalSet(t, "model", "Llama3_70B", "hardware", "T4", "mode", "serving", "batch_size", "64")
	if r.Unpriced() || LookupOutput("latency_s").Null(&r) || LookupOutput("memory_bytes").Null(&r) {
		t.Errorf("priced infeasible row: unpriced %v, latency or memory null", r.Unpriced())
	}
}

// A serving engine's stack trains nothing: a calibrated training row on it
// is unpriced with its reason, while serving on it and training under
// fidelity mlsysim (which has no stacks) are priced.
func TestServingEngineStackTraining(t *testing.T) {
	for _, sw := range []string{"vllm", "vllm-0.4", "sglang", "tensorrt-llm", "tensorrt-llm-0.5"} {
		r := evalSet(t, "model", "Llama3_8B", "hardware", "H100", "mode", "training", "software", sw)
		if r.Reason != ReasonStackMode || !r.Unpriced() {
			t.Errorf("%s training: reason %q, unpriced %v", sw, r.Reason, r.Unpriced())
		}
		if r := evalSet(t, "model", "Llama3_8B", "hardware", "H100", "mode", "serving", "software", sw); !r.Feasible {
			t.Errorf("%s serving: %q", sw, r.Reason)
		}
		if r := evalSet(t, "model", "Llama3_8B", "hardware", "H100", "mode", "training", "software", sw, "fidelity", "mlsysim"); r.Unpriced() {
			t.Errorf("%s training under mlsysim: %q", sw, r.Reason)
		}
	}
	for _, sw := range []string{"pytorch", "megatron-core", "automodel"} {
		if r := evalSet(t, "model", "Llama3_8B", "hardware", "H100", "mode", "training", "software", sw); r.Unpriced() {
			t.Errorf("%s training: %q", sw, r.Reason)
		}
	}
}

// NullConditions holds the conditions NullReason tests: for every output
// and for every combination of the six conditions on a result (and for
// results evaluated from configurations of every kind of null), an output
// is null exactly when its NullWhen meets the result's conditions.
func TestNullConditions(t *testing.T) {
	const known = NullIfInfeasible | NullIfUnreachable | NullIfNoBand | NullIfNoFleet | NullIfNoUnitCost | NullIfUnpriced
	outs := append([]*Output{}, Outputs()...)
	for b := range 8 {
		outs = append(outs, &Output{Name: "bit", NullWhen: 1 << b})
	}
	for _, o := range Outputs() {
		if o.NullWhen&^known != 0 {
			t.Errorf("%s: NullWhen %#x has a condition NullConditions does not test", o.Name, o.NullWhen)
		}
	}
	var rs []Result
	for m := range 64 {
		var r Result
		r.Feasible = m&1 != 0
		if m&2 != 0 {
			r.LatencyS = 1
		}
		if m&4 != 0 {
			r.Serve.CapacityBound = "p99"
		}
		r.Serve.SLAMet = m&8 != 0
		r.Band.OK = m&16 != 0
		r.Fleet.On = m&32 != 0
		for _, nuc := range []bool{false, true} {
			r.Fleet.NoUnitCost = nuc
			rs = append(rs, r)
		}
	}
	rs = append(rs,
		evalSet(t, "model", "Llama3_70B", "hardware", "T4", "mode", "serving", "batch_size", "64", "duration_days", "30"),
		evalSet(t, "model", "Llama3_8B", "hardware", "H100", "mode", "serving", "qps", "10", "p99_target_s", "1e-4", "duration_days", "30"),
		evalSet(t, "model", "Llama3_8B", "hardware", "H100", "mode", "training", "fidelity", "mlsysim"),
		evalSet(t, "model", "Llama3_8B", "hardware", "H100", "mode", "inference"))
	for k := range rs {
		r := &rs[k]
		held := r.NullConditions()
		for _, o := range outs {
			if got, want := o.NullWhen&held != 0, o.Null(r); got != want {
				t.Errorf("result %d, %s (NullWhen %#x): NullConditions says null %v, Null %v", k, o.Name, o.NullWhen, got, want)
			}
		}
	}
}
