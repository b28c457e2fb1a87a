package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/outputs"
)

// A run with a registry file that overrides a built-in entry records the
// override in its manifest, and status shows it, in text and in --json.
func TestOverrideInManifestAndStatus(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "prices.yaml")
	if err := os.WriteFile(reg, []byte(`hardware:
  - key: H100
    override: true
    tier: Cloud
    name: NVIDIA H100 SXM5 at our price
    year: 2022
    peak_flops: 989 TFLOP/s
    memory: {capacity: 80 GiB, bandwidth: 3.35 TB/s}
    tdp: 700 W
    unit_cost: $20,000
    source: "our contract, 2026"
`), 0o644); err != nil {
		t.Fatal(err)
	}
	sweep := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(sweep, []byte("name: priced\nfixed: {model: Llama3_8B, hardware: H100, duration_days: 1}\ngrid:\n  batch_size: [1, 2]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	cliRun(t, "run", sweep, "--registry", reg, "--out", out, "--progress", "none", "--quiet")
	m, err := outputs.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	want := outputs.ManifestOverride{Kind: "hardware", Key: "H100", File: filepath.ToSlash(reg)}
	if len(m.Overrides) != 1 || m.Overrides[0] != want {
		t.Errorf("manifest overrides %+v, want [%+v]", m.Overrides, want)
	}
	so := cliRun(t, "status", out)
	if !strings.Contains(so, "override: hardware H100 from "+filepath.ToSlash(reg)) {
		t.Errorf("status does not show the override:\n%s", so)
	}
	var st struct {
		Overrides []outputs.ManifestOverride `json:"overrides"`
	}
	if err := json.Unmarshal([]byte(cliRun(t, "status", out, "--json")), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Overrides) != 1 || st.Overrides[0] != want {
		t.Errorf("status --json overrides %+v, want [%+v]", st.Overrides, want)
	}
	// Without an override the manifest says nothing of overrides.
	out2 := filepath.Join(dir, "out2")
	cliRun(t, "run", sweep, "--out", out2, "--progress", "none", "--quiet")
	raw, err := os.ReadFile(filepath.Join(out2, outputs.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "overrides") {
		t.Error("a run without overrides lists overrides")
	}
	if so := cliRun(t, "status", out2); strings.Contains(so, "override") {
		t.Errorf("status of a run without overrides:\n%s", so)
	}
}
