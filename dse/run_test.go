package dse

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

const smallSweep = `name: small
description: a test sweep
fixed: {mode: serving}
grid:
  model: [Llama3_8B, Llama3_70B]
  hardware: [H100, A100, B200]
  precision: [fp16, int8]
  batch_size: {from: 1, to: 64, scale: log2}
  seq_len: [1024, 4096]
derived:
  kv_gb: seq_len * batch_size / 1000
constraints: ["batch_size <= 32 || feasible"]
objectives:
  - {maximize: tokens_per_s}
  - {minimize: itl_s}
group_by: [model]
outputs: {row_group_rows: 40, part_rows: 100}
`

func mustParse(t testing.TB, src string) *Spec {
	t.Helper()
	s, err := ParseSpec("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func runTo(t testing.TB, s *Spec, dir string, workers int) *Report {
	t.Helper()
	rep, err := Run(context.Background(), s, Options{OutDir: dir, Workers: workers, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestRunSmall(t *testing.T) {
	s := mustParse(t, smallSweep)
	if s.Size() != 2*3*2*7*2 {
		t.Fatalf("size %d", s.Size())
	}
	dir := t.TempDir()
	rep := runTo(t, s, dir, 2)
	if rep.Enumerated != int64(s.Size()) || rep.Written == 0 || rep.Written > rep.Enumerated {
		t.Fatalf("report %+v", rep)
	}
	if len(rep.Parts) != 3 { // part_rows rounds down to whole row groups: 80, 80, 8
		t.Errorf("parts %d, want 3", len(rep.Parts))
	}
	if rep.Front == nil || len(rep.Front.Groups()) != 2 {
		t.Errorf("front groups %v", rep.Front)
	}
}

// The files are identical whatever the number of workers.
func TestRunDeterministic(t *testing.T) {
	s := mustParse(t, smallSweep)
	d1, d4 := t.TempDir(), t.TempDir()
	r1 := runTo(t, s, d1, 1)
	runTo(t, s, d4, 4)
	for _, p := range r1.Parts {
		a, err := os.ReadFile(filepath.Join(d1, p.File))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(d4, p.File))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between 1 and 4 workers", p.File)
		}
	}
}

// A scenario sets model, hardware, precision and batch; parameters given
// beside it override what it sets, and the columns show the result.
func TestScenarioAxis(t *testing.T) {
	s := mustParse(t, "name: scen\ngrid:\n  scenario: [ChatbotServing, SmartDoorbell]\n  batch_size: [1, 8]\n")
	for i, want := range []map[string]string{
		{"model": "Llama3_8B", "hardware": "H100", "batch_size": "1"},
		{"model": "Llama3_8B", "hardware": "H100", "batch_size": "8"},
		{"model": "WakeVision", "hardware": "ESP32_S3", "batch_size": "1"},
		{"model": "WakeVision", "hardware": "ESP32_S3", "batch_size": "8"},
	} {
		got, err := Configuration(s, int64(i))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("configuration %d: %s = %q, want %q", i, k, got[k], v)
			}
		}
	}
}
