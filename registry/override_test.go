package registry

import (
	"slices"
	"strings"
	"testing"
)

// An entry with override: true replaces the built-in one of the same key,
// in place (the nodes and systems that use it see the new values), and is
// reported; without it the name is taken, as before.
func TestOverride(t *testing.T) {
	r, err := New()
	if err != nil {
		t.Fatal(err)
	}
	h, _ := r.Hardware("H100")
	n := len(r.HardwareList)
	err = r.AddBytes("prices.yaml", []byte(`hardware:
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
models:
  - key: Llama3_8B
    override: true
    family: Language
    name: Llama 3 8B, ours
    type: transformer
    parameters: 8.03e9
    layers: 32
    hidden_dim: 4096
    heads: 32
    kv_heads: 8
    max_seq_len: 8192
    source: test
`))
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := r.Hardware("cloud.h100")
	if h2 != h || h.UnitCostUSD != 20000 || h.Name != "NVIDIA H100 SXM5 at our price" || len(r.HardwareList) != n {
		t.Errorf("override: same pointer %v, cost %v, name %q, %d entries (was %d)", h2 == h, h.UnitCostUSD, h.Name, len(r.HardwareList), n)
	}
	if alias, _ := r.Hardware("H100_SXM"); alias != nil && alias != h {
		t.Error("an alias of the old entry resolves elsewhere")
	}
	for _, nd := range r.NodeList {
		if nd.Accelerator != nil && nd.Accelerator.Key == "H100" && nd.Accelerator != h {
			t.Errorf("node %s still uses the old H100", nd.Key)
		}
	}
	want := []Override{{KindHardware, "H100", "prices.yaml"}, {KindModel, "Llama3_8B", "prices.yaml"}}
	if got := r.Overrides(); !slices.Equal(got, want) {
		t.Errorf("Overrides %v, want %v", got, want)
	}
	if d, _ := Embedded(); len(d.Overrides()) != 0 {
		t.Error("the embedded registry reports overrides")
	}
	if def, _ := Embedded(); def.HardwareList[0] == h {
		t.Error("the override reached the shared embedded registry")
	}

	// Without override: the name is taken; override of a name that does not exist: an error.
	for _, tc := range []struct{ data, want string }{
		{"hardware:\n  - {key: MI300X, tier: Cloud, name: x, year: 2024, peak_flops: 1 TFLOP/s, memory: {capacity: 1 GB, bandwidth: 1 GB/s}, tdp: 1 W, source: t}\n", `"MI300X" is already taken`},
		{"hardware:\n  - {key: H9000, override: true, tier: Cloud, name: x, year: 2024, peak_flops: 1 TFLOP/s, memory: {capacity: 1 GB, bandwidth: 1 GB/s}, tdp: 1 W, source: t}\n", `no hardware "H9000" to override`},
		{"hardware:\n  - {key: Blob, tier: Cloud, form: blob, name: x, year: 2024, peak_flops: 1 TFLOP/s, memory: {capacity: 1 GB, bandwidth: 1 GB/s}, tdp: 1 W, source: t}\n", `form "blob"`},
	} {
		r, _ := New()
		err := r.AddBytes("user.yaml", []byte(tc.data))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want an error with %q, got %v", tc.want, err)
		}
	}
}

// Patterns select by tier and by form: racks and wafers apart from single
// accelerators.
func TestMatchHardware(t *testing.T) {
	r := Default()
	keys := func(hs []*Hardware) []string {
		var out []string
		for _, h := range hs {
			out = append(out, h.Key)
		}
		return out
	}
	cloud := keys(r.MatchHardware("Cloud.*"))
	singles := keys(r.MatchHardware("cloud.accelerator.*"))
	racks := keys(r.MatchHardware("rack.*"))
	wafers := keys(r.MatchHardware("*.wafer.*"))
	for _, k := range []string{"H100", "GB200_NVL72", "Cerebras_CS3"} {
		if !slices.Contains(cloud, k) {
			t.Errorf("Cloud.* lacks %s", k)
		}
	}
	if !slices.Contains(singles, "H100") || slices.Contains(singles, "GB200_NVL72") || slices.Contains(singles, "Cerebras_CS3") {
		t.Errorf("Cloud.accelerator.* = %v", singles)
	}
	if !slices.Contains(racks, "GB200_NVL72") || !slices.Contains(racks, "GB300_NVL72") || slices.Contains(racks, "H100") {
		t.Errorf("rack.* = %v", racks)
	}
	if !slices.Equal(wafers, []string{"Cerebras_CS3"}) {
		t.Errorf("*.wafer.* = %v", wafers)
	}
	if len(singles)+len(racks)+len(wafers) != len(cloud) {
		t.Errorf("%d singles + %d racks + %d wafers != %d Cloud entries", len(singles), len(racks), len(wafers), len(cloud))
	}
	if got := keys(r.MatchHardware("h10?")); !slices.Equal(got, []string{"H100"}) {
		t.Errorf("h10? = %v", got)
	}
	if got := r.MatchHardware("[bad"); got != nil {
		t.Errorf("a malformed pattern matched %v", keys(got))
	}
	var ms []string
	for _, m := range r.MatchModels("Language.Llama3_*") {
		ms = append(ms, m.Key)
	}
	if !slices.Contains(ms, "Llama3_8B") || !slices.Contains(ms, "Llama3_70B") || slices.Contains(ms, "GPT3") {
		t.Errorf("Language.Llama3_* = %v", ms)
	}
}
