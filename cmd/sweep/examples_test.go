package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/internal/duckdbtest"
	"github.com/mlsysim/mlsysim-go/outputs"
	"github.com/mlsysim/mlsysim-go/sweeps"
)

// runCLI runs the command line in-process and returns its exit code and output.
func runCLI(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// Every example study in sweeps/ runs, writes a complete manifest, its
// results and the figures its plots section asks for.
func TestExampleSweepsRun(t *testing.T) {
	files, err := fs.Glob(sweeps.FS, "*.yaml")
	if err != nil || len(files) < 6 {
		t.Fatalf("example sweeps: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			out := t.TempDir()
			code, stdout, stderr := runCLI(t, "run", filepath.Join("..", "..", "sweeps", f), "--out", out, "--progress", "none")
			if code != 0 {
				t.Fatalf("exit %d: %s %s", code, stdout, stderr)
			}
			m, err := outputs.ReadManifest(out)
			if err != nil {
				t.Fatal(err)
			}
			if !m.Complete || m.Counts.Enumerated != int64(m.Configurations) || len(m.Parts) == 0 {
				t.Errorf("manifest %+v", m.Counts)
			}
			if m.Counts.Feasible == 0 {
				t.Errorf("no feasible configuration")
			}
			pngs, _ := filepath.Glob(filepath.Join(out, "plots", "*.png"))
			if strings.Contains(m.Sweep.Text, "plots:") && len(pngs) == 0 {
				t.Errorf("no figures in %s/plots", out)
			}
		})
	}
}

// The default sweep's Parquet, read by DuckDB, holds the manifest's rows,
// typed columns, units in the metadata, and the same values as sweep eval.
func TestDefaultRunReadByDuckDB(t *testing.T) {
	out := t.TempDir()
	if code, so, se := runCLI(t, "run", "--out", out, "--progress", "none"); code != 0 {
		t.Fatalf("exit %d: %s %s", code, so, se)
	}
	m, err := outputs.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Complete || m.Counts.Written == 0 {
		t.Errorf("manifest: complete %v, %d rows", m.Complete, m.Counts.Written)
	}
	duckdbtest.Check(t, func(t *testing.T) {
		glob := filepath.Join(out, "results", "*.parquet")
		rows := duckdbtest.Query(t, fmt.Sprintf(`SELECT count(*)::INT AS n, count(DISTINCT index)::INT AS d, min(index)::INT AS lo, max(index)::INT AS hi FROM read_parquet('%s')`, glob))
		if got := rows[0]["n"].(float64); got != float64(m.Counts.Written) || rows[0]["d"].(float64) != got {
			t.Errorf("DuckDB reads %v rows (%v distinct), manifest says %d", got, rows[0]["d"], m.Counts.Written)
		}
		types := map[string]string{}
		for _, r := range duckdbtest.Query(t, fmt.Sprintf(`SELECT column_name AS c, column_type AS t FROM (DESCRIBE SELECT * FROM read_parquet('%s'))`, glob)) {
			types[r["c"].(string)] = r["t"].(string)
		}
		for col, want := range map[string]string{"index": "BIGINT", "model": "VARCHAR", "batch_size": "BIGINT", "ttft_s": "DOUBLE", "itl_s": "DOUBLE", "feasible": "BOOLEAN", "bottleneck": "VARCHAR"} {
			if types[col] != want {
				t.Errorf("column %s is %q, want %s", col, types[col], want)
			}
		}
		units := map[string]string{}
		files, _ := filepath.Glob(glob)
		for _, r := range duckdbtest.Query(t, fmt.Sprintf(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('%s')`, files[0])) {
			units[r["k"].(string)] = r["v"].(string)
		}
		for k, want := range map[string]string{"unit:itl_s": "s", "unit:kv_cache_bytes": "B", "unit:energy_j": "J", "mlsysim.sweep": "default", "mlsysim.version": version} {
			if units[k] != want {
				t.Errorf("metadata %s = %q, want %q", k, units[k], want)
			}
		}
		// A few rows against sweep eval of the same configuration.
		sample := duckdbtest.Query(t, fmt.Sprintf(`SELECT model, hardware, precision, batch_size::INT AS batch_size, seq_len::INT AS seq_len,
			ttft_s, itl_s, kv_cache_bytes, tokens_per_s, memory_bytes, feasible FROM read_parquet('%s') WHERE index IN (0, 137, 500, 863) ORDER BY index`, glob))
		if len(sample) != 4 {
			t.Fatalf("sample rows %d", len(sample))
		}
		for _, r := range sample {
			args := []string{"eval", "mode=serving", "output_tokens=256", "--json",
				"model=" + r["model"].(string), "hardware=" + r["hardware"].(string), "precision=" + r["precision"].(string),
				fmt.Sprintf("batch_size=%v", r["batch_size"]), fmt.Sprintf("seq_len=%v", r["seq_len"])}
			code, so, se := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("eval exit %d: %s", code, se)
			}
			var ev map[string]any
			if err := json.Unmarshal([]byte(so), &ev); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"ttft_s", "itl_s", "kv_cache_bytes", "tokens_per_s", "memory_bytes"} {
				if r[k] == nil || ev[k] == nil { // null (tokens_per_s of an infeasible row): in both
					if r[k] != ev[k] {
						t.Errorf("%v: %s parquet %v, eval %v", args, k, r[k], ev[k])
					}
					continue
				}
				a, b := r[k].(float64), ev[k].(float64)
				if math.Abs(a-b) > 1e-12*math.Abs(b) {
					t.Errorf("%v: %s parquet %v, eval %v", args, k, a, b)
				}
			}
			if r["feasible"] != ev["feasible"] {
				t.Errorf("%v: feasible parquet %v, eval %v", args, r["feasible"], ev["feasible"])
			}
		}
	})
}

// Bad sweep files exit 2 with every problem and its position.
func TestCheckBadFileExit2(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "bad.yaml")
	os.WriteFile(f, []byte("name: bad\ngrid:\n  model: [Llama3_8B]\n  hardwre: [H100]\n  batch_size: []\n"), 0o644)
	code, _, stderr := runCLI(t, "check", f)
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	for _, want := range []string{"bad.yaml:4:3", `did you mean "hardware"`, "bad.yaml:5:15", "empty"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestCheckPlotsTheResultsCannotFeed: a figure whose column the sweep does
// not write (a serving sweep's step_time_s; the parts of its itl_s, the
// breakdown's default, without a serving-scale parameter) is
// refused by sweep check (exit 2), where the run would evaluate the grid,
// write its results and only then stop at the figure; a figure the results
// feed passes.
func TestCheckPlotsTheResultsCannotFeed(t *testing.T) {
	head := "name: p\nfixed: {mode: serving, seq_len: 2048, output_tokens: 64}\ngrid:\n  model: [Llama3_8B, ResNet50]\n  hardware: [A100, B200]\n  precision: [fp16, fp4]\nplots:\n"
	for _, tc := range []struct{ plot, want string }{
		{"  - {kind: lines, x: batch_size, y: step_time_s}\n", `plot lines: --y: column "step_time_s" is not in the results; it is an output of training runs`},
		{"  - {kind: lines, x: batch_size, y: decode_matmul_s}\n", `a run writes it when the sweep sets a parameter of its group "serving_scale" (`},
		{"  - {kind: breakdown}\n", `plot breakdown: breakdown: the results have no parts of itl_s (time_*_s, replica_s, comm_*_s, bubble_s; prefill_*_s for prefill_s, decode_*_s for itl_s); a run writes a part when the sweep sets a parameter of its group "serving_scale" (`},
		{"  - {kind: bars, x: hardware, y: latency_s}\n  - {kind: heatmap, x: hardware, y: precision, z: latency_s}\n", ""},
	} {
		f := filepath.Join(t.TempDir(), "p.yaml")
		os.WriteFile(f, []byte(head+tc.plot), 0o644)
		code, _, se := runCLI(t, "check", f)
		if tc.want == "" {
			if code != 0 {
				t.Errorf("%q: exit %d: %s", tc.plot, code, se)
			}
			continue
		}
		if code != 2 || !strings.Contains(se, tc.want) {
			t.Errorf("%q: exit %d, stderr %q, want 2 and %q", tc.plot, code, se, tc.want)
		}
	}
}

func TestEvalGoldenAndBadName(t *testing.T) {
	code, so, _ := runCLI(t, "eval", "model=Llama3_8B", "hardware=H100", "mode=serving", "seq_len=2048", "fidelity=mlsysim", "--json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var ev map[string]any
	json.Unmarshal([]byte(so), &ev)
	if math.Abs(ev["ttft_s"].(float64)-0.07097037058756726) > 1e-12 || math.Abs(ev["itl_s"].(float64)-0.005194159837611941) > 1e-12 {
		t.Errorf("TTFT %v ITL %v (mlsysim golden G4: 70.97037 ms, 5.194160 ms)", ev["ttft_s"], ev["itl_s"])
	}
	code, _, se := runCLI(t, "eval", "model=llama3_8b", "hardware=H9000")
	if code != 2 || !strings.Contains(se, `"H100"`) || !strings.Contains(se, "H9000") {
		t.Errorf("exit %d, stderr %q", code, se)
	}
}

// Users add hardware and models from a file, without recompiling, and
// every registry lists as a table and as JSON.
func TestUserRegistryAndList(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "mine.yaml")
	os.WriteFile(f, []byte(`hardware:
  - key: MyChip
    tier: Edge
    name: My accelerator
    year: 2026
    peak_flops: 50 TFLOP/s
    memory: {capacity: 16 GB, bandwidth: 200 GB/s}
    tdp: 30 W
    source: "test"
models:
  - key: TinyLM
    family: Language
    type: transformer
    parameters: 1e8
    layers: 12
    hidden_dim: 768
    heads: 12
    source: "test"
`), 0o644)
	code, so, se := runCLI(t, "eval", "--registry", f, "model=TinyLM", "hardware=mychip", "fidelity=mlsysim", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, se)
	}
	var ev map[string]any
	json.Unmarshal([]byte(so), &ev)
	// mlsysim roofline: memory-bound, W(1+0.1)/BW + dispatch 0.01 ms + 12 layers × 0.01 ms.
	want := 1e8*2*1.1/200e9 + 0.01e-3 + 12*0.01e-3
	if got := ev["latency_s"].(float64); math.Abs(got-want) > 1e-12 {
		t.Errorf("latency %v, want %v", got, want)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("hardware:\n  - key: X\n    tier: Edge\n    peak_flop: 1 TFLOP/s\n"), 0o644)
	if code, _, se := runCLI(t, "eval", "--registry", bad, "model=Llama3_8B", "hardware=H100"); code != 2 || !strings.Contains(se, "peak_flop") {
		t.Errorf("bad registry file: exit %d, %q", code, se)
	}
	for _, kind := range listKinds {
		if code, so, se := runCLI(t, "list", kind); code != 0 || len(strings.Split(so, "\n")) < 3 {
			t.Errorf("list %s: exit %d, %d lines, %s", kind, code, len(strings.Split(so, "\n")), se)
		}
		code, so, _ := runCLI(t, "list", kind, "--json")
		var rows []map[string]any
		if code != 0 || json.Unmarshal([]byte(so), &rows) != nil || len(rows) == 0 {
			t.Errorf("list %s --json: exit %d", kind, code)
		}
	}
	if code, _, se := runCLI(t, "list", "hardwar"); code != 2 || !strings.Contains(se, `"hardware"`) {
		t.Errorf("list hardwar: exit %d, %q", code, se)
	}
}
