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

// eval refuses an option its mode does not use, naming the argument (exit
// 2), and notes one its fidelity does not use.
func TestEvalUnusedOptions(t *testing.T) {
	cliFails(t, 2, `argument "output_tokens=64": output_tokens is not used in mode=training`,
		"eval", "model=Llama3_8B", "hardware=H100", "mode=training", "output_tokens=64")
	cliFails(t, 2, `argument "microbatches=4": microbatches is not used in mode=serving`,
		"eval", "model=Llama3_8B", "hardware=H100", "mode=serving", "microbatches=4")
	code, _, stderr := runCLI(t, "eval", "model=Llama3_8B", "hardware=H100", "efficiency=0.3")
	if code != 0 || !strings.Contains(stderr, `note: argument "efficiency=0.3": efficiency has no effect under fidelity=calibrated`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "eval", "model=Llama3_8B", "hardware=H100", "efficiency=0.3", "fidelity=mlsysim"); code != 0 || stderr != "" {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
