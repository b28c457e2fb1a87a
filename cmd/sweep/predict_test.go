package main

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/registry"
)

// A program using only the stable API (registry lookups, engine.NewQuery,
// engine.Predict and the typed enums) gets the numbers `sweep eval` prints
// with its defaults, in inference, serving and training (on a cluster).
func TestPredictMatchesEval(t *testing.T) {
	reg := registry.Default()
	model := func(name string) *registry.Model {
		m, err := reg.Model(name)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	hw := func(name string) *registry.Hardware {
		h, err := reg.Hardware(name)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	research, err := reg.Cluster("Research_256")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		args  []string
		query func() engine.Query
	}{
		{"inference defaults", []string{"model=Llama3_8B", "hardware=H100"},
			func() engine.Query { return engine.NewQuery(model("Llama3_8B"), hw("H100")) }},
		{"inference infeasible", []string{"model=Llama3_70B", "hardware=H100", "batch_size=32"},
			func() engine.Query {
				q := engine.NewQuery(model("Llama3_70B"), hw("H100"))
				q.BatchSize = 32
				return q
			}},
		{"serving", []string{"model=Llama3_8B", "hardware=H200", "mode=serving", "precision=fp8", "batch_size=16", "seq_len=4096", "output_tokens=128"},
			func() engine.Query {
				q := engine.NewQuery(model("Llama3_8B"), hw("H200"))
				q.Mode, q.Precision, q.BatchSize, q.SeqLen, q.OutputTokens = engine.Serving, registry.FP8, 16, 4096, 128
				return q
			}},
		{"serving mlsysim", []string{"model=Llama3_8B", "hardware=H100", "mode=serving", "fidelity=mlsysim"},
			func() engine.Query {
				q := engine.NewQuery(model("Llama3_8B"), hw("H100"))
				q.Mode, q.Fidelity = engine.Serving, engine.FidelityMLSysim
				return q
			}},
		{"training one device", []string{"model=Llama3_8B", "hardware=H100", "mode=training", "precision=bf16", "batch_size=4"},
			func() engine.Query {
				q := engine.NewQuery(model("Llama3_8B"), hw("H100"))
				q.Mode, q.Precision, q.BatchSize = engine.Training, registry.BF16, 4
				return q
			}},
		{"training on a cluster", []string{"model=Llama3_70B", "system=Research_256", "mode=training", "tp=8", "pp=4", "batch_size=256"},
			func() engine.Query {
				q := engine.NewQuery(model("Llama3_70B"), nil)
				q.System, q.Mode, q.TP, q.PP, q.BatchSize = research, engine.Training, 8, 4, 256
				return q
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, so, se := runCLI(t, append([]string{"eval", "--json"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("eval exit %d: %s", code, se)
			}
			var ev map[string]any
			if err := json.Unmarshal([]byte(so), &ev); err != nil {
				t.Fatal(err)
			}
			p, err := engine.Predict(tc.query())
			if err != nil {
				t.Fatal(err)
			}
			for k, got := range map[string]float64{
				"latency_s": float64(p.Latency), "throughput_per_s": p.Throughput, "mfu": p.MFU,
				"energy_j": float64(p.Energy), "memory_bytes": float64(p.Memory), "ttft_s": float64(p.TTFT),
				"itl_s": float64(p.ITL), "tokens_per_s": p.TokensPerSec, "kv_cache_bytes": float64(p.KVCache),
			} {
				v, present := ev[k]
				if !present { // not an output of this mode: Predict leaves it zero
					if got != 0 {
						t.Errorf("%s: Predict %v, eval has none", k, got)
					}
					continue
				}
				if v == nil { // null on this row (a rate of an infeasible one): the vocabulary says so
					if o := engine.LookupOutput(k); !o.Null(&p.Result) {
						t.Errorf("%s: eval null, but the output is not null on Predict's result", k)
					}
					continue
				}
				want := v.(float64)
				if math.Abs(got-want) > 1e-12*math.Abs(want) {
					t.Errorf("%s: Predict %v, eval %v", k, got, want)
				}
			}
			if ev["feasible"] != p.Feasible || ev["infeasible_reason"] != p.InfeasibleReason || ev["bottleneck"] != p.Bottleneck.String() {
				t.Errorf("Predict feasible %v %q %v, eval %v %q %v", p.Feasible, p.InfeasibleReason, p.Bottleneck,
					ev["feasible"], ev["infeasible_reason"], ev["bottleneck"])
			}
			if ev["fidelity"] != tc.query().Fidelity.String() || ev["mode"] != tc.query().Mode.String() {
				t.Errorf("eval fidelity %v mode %v", ev["fidelity"], ev["mode"])
			}
		})
	}
}

// Predict and EvaluateChecked return errors, not panics, for what
// Validate refuses.
func TestPredictErrors(t *testing.T) {
	reg := registry.Default()
	m, _ := reg.Model("Llama3_8B")
	h, _ := reg.Hardware("H100")
	for name, q := range map[string]engine.Query{
		"no model":       engine.NewQuery(nil, h),
		"no hardware":    engine.NewQuery(m, nil),
		"zero query":     {},
		"negative batch": {Model: m, Hardware: h, BatchSize: -1},
		"efficiency > 1": {Model: m, Hardware: h, Efficiency: 2},
		"unknown mode":   {Model: m, Hardware: h, Mode: engine.Mode(9)},
		"unknown prec":   {Model: m, Hardware: h, Precision: registry.Precision(99)},
		"negative tp":    {Model: m, Hardware: h, TP: -2},
	} {
		if _, err := engine.Predict(q); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	c := engine.DefaultConfig()
	if _, err := engine.EvaluateChecked(&c); err == nil {
		t.Error("EvaluateChecked without a model: no error")
	}
	if _, err := engine.EvaluateChecked(nil); err == nil {
		t.Error("EvaluateChecked(nil): no error")
	}
}
