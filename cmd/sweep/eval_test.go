package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// An infeasible configuration delivers no tokens: eval's text prints its
// per-token cost and energy as n/a, and --json gives null for them, while
// the physics that explains why (memory, latency) keeps its number.
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
	if out["feasible"] != false {
		t.Errorf("--json: feasible %v", out["feasible"])
	}
	for _, k := range []string{"cost_per_mtok_usd", "cost_per_mtok_input_usd", "cost_per_mtok_output_usd", "energy_per_token_j", "tokens_per_s", "throughput_per_s", "replicas"} {
		if v, ok := out[k]; !ok || v != nil {
			t.Errorf("--json: %s = %v (present %v), want null", k, v, ok)
		}
	}
	for _, k := range []string{"memory_bytes", "latency_s", "itl_s"} {
		if v, ok := out[k].(float64); !ok || !(v > 0) {
			t.Errorf("--json: %s = %v, want a positive number", k, out[k])
		}
	}
	// A feasible one prints its price.
	so = cliRun(t, "eval", "model=Llama3_8B", "hardware=H100", "mode=serving", "duration_days=30")
	if strings.Contains(so, "n/a") || evalField(so, "feasible") != "true" {
		t.Errorf("feasible configuration:\n%s", so)
	}
}

// A P99 target no replica count meets: the row runs, but replicas and the
// prices of the fleet sized by them are n/a (unreachable), null in --json.
func TestEvalUnreachable(t *testing.T) {
	args := []string{"eval", "model=Llama3_8B", "hardware=H100", "mode=serving", "qps=10", "p99_target_s=1e-4", "duration_days=1"}
	so := cliRun(t, args...)
	if evalField(so, "feasible") != "true" || evalField(so, "sla_met") != "false" {
		t.Fatalf("want a feasible row that misses its target:\n%s", so)
	}
	for _, k := range []string{"replicas", "cost_per_mtok_usd", "tco_usd"} {
		if line := evalLine(so, k); !strings.Contains(line, "n/a (unreachable)") {
			t.Errorf("%s: %q, want n/a (unreachable)", k, line)
		}
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(cliRun(t, append(args, "--json")...)), &out); err != nil {
		t.Fatal(err)
	}
	if v, ok := out["replicas"]; !ok || v != nil {
		t.Errorf("--json: replicas = %v (present %v), want null", v, ok)
	}
	if _, ok := out["p99_s"].(float64); !ok {
		t.Errorf("--json: p99_s = %v, want the stable queue's latency", out["p99_s"])
	}
}

// evalLine returns the line eval's text output prints for name.
func evalLine(out, name string) string {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == name {
			return line
		}
	}
	return ""
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
	cliFails(t, 2, `argument "decode_tp=2": decode_tp is used only with decode_hardware, which is not set`,
		"eval", "model=Llama3_8B", "hardware=H100", "mode=serving", "decode_tp=2")
	if code, _, stderr := runCLI(t, "eval", "model=Llama3_8B", "hardware=H100", "mode=serving", "decode_hardware=H200", "decode_tp=2"); code != 0 || stderr != "" {
		t.Errorf("decode_tp with decode_hardware: exit %d, stderr %q", code, stderr)
	}
	cliFails(t, 2, `argument "decode_ep=16": decode_ep is used only with decode_hardware, which is not set`,
		"eval", "model=DeepSeek_V3", "hardware=H100", "mode=serving", "ep=8", "decode_ep=16")
	if code, _, stderr := runCLI(t, "eval", "model=DeepSeek_V3", "hardware=H100", "mode=serving", "precision=fp8", "ep=32", "decode_hardware=H100", "decode_ep=64"); code != 0 || stderr != "" {
		t.Errorf("decode_ep with decode_hardware: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr := runCLI(t, "eval", "model=Llama3_8B", "hardware=H100", "efficiency=0.3")
	if code != 0 || !strings.Contains(stderr, `note: argument "efficiency=0.3": efficiency has no effect under fidelity=calibrated`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "eval", "model=Llama3_8B", "hardware=H100", "efficiency=0.3", "fidelity=mlsysim"); code != 0 || stderr != "" {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	// mlsysim's serving model has no pipeline or expert parallelism.
	code, _, stderr = runCLI(t, "eval", "model=Llama3_70B", "hardware=H100", "mode=serving", "pp=2", "fidelity=mlsysim")
	if code != 0 || !strings.Contains(stderr, `note: argument "pp=2": pp has no effect under fidelity=mlsysim in mode=serving (only under fidelity=calibrated)`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "eval", "model=Llama3_70B", "system=Lab_64_H100", "mode=training", "pp=2", "fidelity=mlsysim"); code != 0 || stderr != "" {
		t.Errorf("training pp under mlsysim: exit %d, stderr %q", code, stderr)
	}
}

// check refuses an option no mode of the sweep uses at its file:line:col
// (exit 2) and prints a note for one no fidelity of it uses.
func TestCheckUnusedOptions(t *testing.T) {
	dir := t.TempDir()
	bad := writeSweep(t, dir, "bad.yaml", "fixed:\n  mode: training\n  output_tokens: 64\ngrid:\n  model: [Llama3_8B]\n  hardware: [H100]\n")
	cliFails(t, 2, "bad.yaml:3:3: fixed.output_tokens: unused parameter: output_tokens is not used in mode=training", "check", "--no-estimate", bad)
	note := writeSweep(t, dir, "note.yaml", "fixed:\n  efficiency: 0.4\ngrid:\n  model: [Llama3_8B]\n  hardware: [H100]\n")
	if so := cliRun(t, "check", "--no-estimate", note); !strings.Contains(so, "note: "+note+":2:3: fixed.efficiency: efficiency has no effect under fidelity=calibrated") {
		t.Errorf("check output lacks the note:\n%s", so)
	}
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

// A pipeline layout that does not fit is infeasible with dist_reason's
// fixed rule; eval adds the counts on stderr, and nothing when it fits.
func TestEvalLayoutNote(t *testing.T) {
	base := []string{"eval", "model=DeepSeek_V3", "system=Production_2K", "mode=training", "precision=fp8",
		"tp=2", "ep=64", "pp=16", "microbatches=128", "batch_size=8192", "mtp_layers=1"}
	for _, tc := range []struct{ layout, want string }{
		{"Et*4|(t*4|)*13tmL", `has 15 stages, 57 transformer layers (t) and 1 multi-token prediction blocks (m); pp·interleave = 16·1 = 16, DeepSeek_V3 has 61 layers, mtp_layers = 1`},
		{"Et*4|(t*4|)*14tL", `has 16 stages, 61 transformer layers (t) and 0 multi-token prediction blocks (m)`},
		{"Et*4|(t*4|)*14tmL", ""},
	} {
		code, stdout, stderr := runCLI(t, append(base, "pipeline_layout="+tc.layout)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.layout, code, stderr)
		}
		if tc.want == "" {
			if strings.Contains(stderr, "note: pipeline_layout") || evalField(stdout, "feasible") != "true" {
				t.Errorf("%s: feasible %q, stderr %q", tc.layout, evalField(stdout, "feasible"), stderr)
			}
			continue
		}
		if !strings.Contains(stderr, tc.want) || evalField(stdout, "feasible") != "false" {
			t.Errorf("%s: stderr %q, want %q", tc.layout, stderr, tc.want)
		}
	}
}
