package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// An infeasible configuration delivers no tokens: eval's text prints its
// per-token cost and energy as n/a, while --json keeps the engine's number.
func TestEvalInfeasiblePerToken(t *testing.T) {
	args := []string{"eval", "model=Llama3_70B", "hardware=T4", "mode=serving", "batch_size=64", "duration_days=30"}
	so := cliRun(t, args...)
	if evalField(so, "feasible") != "false" {
		t.Fatalf("the configuration is feasible:\n%s", so)
	}
	na := 0
	for _, line := range strings.Split(so, "\n") {
		f := strings.Fields(line)
		if len(f) > 2 && (f[0] == "cost_per_mtok_usd" || f[0] == "energy_per_token_j") {
			if f[1] != "n/a" || f[2] != "(infeasible)" {
				t.Errorf("%q: want n/a (infeasible)", line)
			}
			na++
		}
	}
	if na != 2 {
		t.Errorf("%d per-token lines, want 2:\n%s", na, so)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(cliRun(t, append(args, "--json")...)), &out); err != nil {
		t.Fatal(err)
	}
	if _, ok := out["cost_per_mtok_usd"].(float64); !ok || out["feasible"] != false {
		t.Errorf("--json: cost_per_mtok_usd %v, feasible %v", out["cost_per_mtok_usd"], out["feasible"])
	}
	// A feasible one prints its price.
	so = cliRun(t, "eval", "model=Llama3_8B", "hardware=H100", "mode=serving", "duration_days=30")
	if strings.Contains(so, "n/a") || evalField(so, "feasible") != "true" {
		t.Errorf("feasible configuration:\n%s", so)
	}
}

// evalField returns the value eval's text output prints for name.
func evalField(out, name string) string {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == name {
			return f[1]
		}
	}
	return ""
}

// Every calibrated row carries its error band around latency_s (and, in
// serving, TTFT and ITL); fidelity mlsysim has none: null in --json.
func TestEvalBands(t *testing.T) {
	var cal, ml map[string]any
	if err := json.Unmarshal([]byte(cliRun(t, "eval", "model=Llama3_8B", "hardware=H100", "mode=serving", "--json")), &cal); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"latency_s", "ttft_s", "itl_s"} {
		lo, ok1 := cal[k+"_lo"].(float64)
		hi, ok2 := cal[k+"_hi"].(float64)
		v, _ := cal[k].(float64)
		if !ok1 || !ok2 || !(lo > 0 && lo <= v && v <= hi) {
			t.Errorf("calibrated %s %v: band [%v, %v]", k, cal[k], cal[k+"_lo"], cal[k+"_hi"])
		}
	}
	if err := json.Unmarshal([]byte(cliRun(t, "eval", "model=Llama3_8B", "hardware=H100", "mode=serving", "fidelity=mlsysim", "--json")), &ml); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"latency_s_lo", "latency_s_hi", "ttft_s_lo", "itl_s_hi"} {
		if v, ok := ml[k]; !ok || v != nil {
			t.Errorf("mlsysim %s = %v (present %v), want null", k, v, ok)
		}
	}
}
