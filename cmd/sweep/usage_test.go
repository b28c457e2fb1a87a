package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// Every usage error exits 2: unknown commands, flags and help topics,
// wrong argument counts, unknown shells.
func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"bogus"}, {"--bogus"}, {"eval", "--bogus"}, {"help", "bogus"}, {"completion", "bogus"},
		{"calibrate"}, {"plot"}, {"plot", "a", "b"}, {"list"}, {"list", "bogus"}, {"check"},
		{"status"}, {"eval"}, {"eval", "foo"}, {"schema", "x"}, {"run", "a", "b"}, {"scenario"},
	} {
		if code, _, se := runCLI(t, args...); code != exitBadInput {
			t.Errorf("sweep %s: exit %d, want 2 (%s)", strings.Join(args, " "), code, se)
		}
	}
	for _, args := range [][]string{{"help"}, {"help", "run"}, {"completion"}, {"completion", "bash"}, {"--help"}} {
		if code, _, se := runCLI(t, args...); code != exitOK {
			t.Errorf("sweep %s: exit %d, want 0 (%s)", strings.Join(args, " "), code, se)
		}
	}
}

func runStdin(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runIO(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// "-" reads a sweep file or registry data from standard input.
func TestStdinFiles(t *testing.T) {
	spec := "name: piped\ngrid:\n  model: [Llama3_8B]\n  hardware: [H100, MyChip]\n"
	if code, so, se := runStdin(t, spec, "check", "-"); code != exitBadInput || !strings.Contains(se, "<stdin>:4:") {
		t.Errorf("check - without MyChip: exit %d, want 2 naming <stdin>:4: %s%s", code, so, se)
	}
	reg := "hardware:\n  - key: MyChip\n    tier: Edge\n    name: My accelerator\n    year: 2026\n    peak_flops: 50 TFLOP/s\n    memory: {capacity: 16 GB, bandwidth: 200 GB/s}\n    tdp: 30 W\n    source: test\n"
	code, so, se := runStdin(t, reg, "eval", "--registry", "-", "model=Llama3_8B", "hardware=MyChip", "precision=int4", "--json")
	if code != 0 || !strings.Contains(so, `"hardware":"MyChip"`) {
		t.Errorf("eval --registry -: exit %d: %s%s", code, so, se)
	}
	good := strings.Replace(spec, "MyChip", "H200", 1)
	if code, so, se := runStdin(t, good, "check", "-"); code != 0 || !strings.Contains(so, "<stdin>: valid") {
		t.Errorf("check -: exit %d: %s%s", code, so, se)
	}
	out := t.TempDir()
	if code, so, se := runStdin(t, good, "run", "-", "--out", out, "--progress", "none"); code != 0 {
		t.Errorf("run -: exit %d: %s%s", code, so, se)
	}
}

// Completion of `sweep eval`: parameter names, then their values.
func TestCompleteEval(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
		not  []string
	}{
		{[]string{"eval", "prec"}, []string{"precision="}, []string{"kv_precision="}},
		{[]string{"eval", "precision=fp"}, []string{"precision=fp16", "precision=fp8"}, []string{"precision=int4"}},
		{[]string{"eval", "mode="}, []string{"mode=inference", "mode=training", "mode=serving"}, nil},
		{[]string{"eval", "fidelity="}, []string{"fidelity=mlsysim", "fidelity=calibrated"}, nil},
		{[]string{"eval", "hardware=H"}, []string{"hardware=H100", "hardware=H200"}, []string{"hardware=B200"}},
		{[]string{"eval", "model=llama3_7"}, []string{"model=Llama3_70B"}, nil},
		{[]string{"eval", "lora="}, []string{"lora=true", "lora=false"}, nil},
		{[]string{"eval", "system="}, []string{"system=Research_256"}, nil},
		{[]string{"eval", "model=Llama3_8B", "mo"}, []string{"mode="}, []string{"model="}},
	} {
		code, so, se := runCLI(t, append([]string{"__complete"}, tc.args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, se)
		}
		lines := map[string]bool{}
		for _, l := range strings.Split(so, "\n") {
			v, _, _ := strings.Cut(l, "\t")
			lines[v] = true
		}
		for _, w := range tc.want {
			if !lines[w] {
				t.Errorf("%v: completions lack %q:\n%s", tc.args, w, so)
			}
		}
		for _, w := range tc.not {
			if lines[w] {
				t.Errorf("%v: completions hold %q", tc.args, w)
			}
		}
	}
}

// `sweep list hardware PATTERN` shows what a sweep-file pattern selects,
// with each entry's form.
// TestListModelsArchitecture: a hybrid Mamba-Transformer, whose type (the
// engine's class) reads transformer or moe, says so in its architecture.
func TestListModelsArchitecture(t *testing.T) {
	code, so, se := runCLI(t, "list", "models", "Nemotron*", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, se)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(so), &rows); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Nemotron_H_8B": "Hybrid Mamba-Transformer", "Nemotron_3_Nano_30B_A3B": "Hybrid Mamba-Transformer MoE"}
	for _, r := range rows {
		if w, ok := want[r["key"].(string)]; ok {
			if r["architecture"] != w {
				t.Errorf("%v: architecture %v, want %q", r["key"], r["architecture"], w)
			}
			delete(want, r["key"].(string))
		}
	}
	if len(want) != 0 {
		t.Errorf("not listed: %v", want)
	}
}

func TestListPattern(t *testing.T) {
	code, so, se := runCLI(t, "list", "hardware", "Cloud.accelerator.*", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, se)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(so), &rows); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, r := range rows {
		keys[r["key"].(string)] = true
		if r["form"] != "accelerator" || r["tier"] != "Cloud" {
			t.Errorf("%v: form %v, tier %v", r["key"], r["form"], r["tier"])
		}
	}
	if !keys["H100"] || keys["GB200_NVL72"] || keys["Cerebras_CS3"] {
		t.Errorf("Cloud.accelerator.* lists %v", keys)
	}
	if code, _, _ := runCLI(t, "list", "systems", "x*"); code != exitBadInput {
		t.Errorf("list systems PATTERN: exit %d, want 2", code)
	}
}
