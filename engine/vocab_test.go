package engine

import (
	"strings"
	"testing"
	"unicode"
)

// Every column of the vocabulary reads well on an axis: a label that is not
// the snake_case name, starts with a capital, and leaves the unit to the
// axis (which appends it, scaled: "Latency (ms)").
func TestVocabularyLabels(t *testing.T) {
	check := func(kind, name, unit, label string) {
		t.Helper()
		switch {
		case label == "":
			t.Errorf("%s %s: no label", kind, name)
		case strings.Contains(label, "_"):
			t.Errorf("%s %s: label %q is not prose", kind, name, label)
		case !unicode.IsUpper([]rune(label)[0]):
			t.Errorf("%s %s: label %q does not start with a capital", kind, name, label)
		case unit != "" && strings.Contains(label, "("):
			t.Errorf("%s %s: label %q names a unit; the axis adds %q", kind, name, label, unit)
		}
	}
	for _, p := range Params() {
		check("parameter", p.Name, p.Unit, p.Label)
	}
	for _, o := range Outputs() {
		check("output", o.Name, o.Unit, o.Label)
	}
}

// Every output states which way it improves; names and reasons improve in
// neither.
func TestVocabularyBetter(t *testing.T) {
	for _, o := range Outputs() {
		switch {
		case o.Better == BetterUnstated || o.Better > NeitherIsBetter:
			t.Errorf("output %s: better direction %d is not higher, lower or none", o.Name, o.Better)
		case o.Type == OutString && o.Better != NeitherIsBetter:
			t.Errorf("output %s: a text column is better %s", o.Name, o.Better)
		}
	}
	for _, c := range []struct {
		name string
		want Better
	}{
		// The outputs that sweep plot maximised before the vocabulary said so.
		{"tokens_per_s", HigherIsBetter},
		{"throughput_per_s", HigherIsBetter},
		{"mfu", HigherIsBetter},
		{"hfu", HigherIsBetter},
		{"goodput", HigherIsBetter},
		{"scaling_efficiency", HigherIsBetter},
		// Times, sizes, energy and money are minimised.
		{"latency_s", LowerIsBetter},
		{"itl_s", LowerIsBetter},
		{"step_time_s", LowerIsBetter},
		{"memory_bytes", LowerIsBetter},
		{"energy_j", LowerIsBetter},
		{"cost_per_mtok_usd", LowerIsBetter},
		// A property of the workload, not a goal.
		{"arithmetic_intensity", NeitherIsBetter},
		// Inputs have no direction.
		{"batch_size", NeitherIsBetter},
		{"tp", NeitherIsBetter},
	} {
		col, ok := Lookup(c.name)
		if !ok || col.Better != c.want {
			t.Errorf("Lookup(%q) = %+v, %v; want better %s", c.name, col, ok, c.want)
		}
	}
}

func TestLookup(t *testing.T) {
	for _, c := range []struct {
		name, unit, label string
	}{
		{"latency_s", "s", "Latency"},
		{"tokens_per_s", "1/s", "Throughput"},
		{"kv_cache_bytes", "B", "KV cache"},
		{"step_time_s", "s", "Step time"},                       // declared in distributed.go
		{"cost_per_mtok_usd", "USD", "Cost per million tokens"}, // fleet.go
		{"batch_size", "", "Batch size"},
		{"tp", "", "Tensor parallel (TP)"},
		{"qps", "1/s", "Request rate"},
	} {
		col, ok := Lookup(c.name)
		if !ok || col.Name != c.name || col.Unit != c.unit || col.Label != c.label {
			t.Errorf("Lookup(%q) = %+v, %v; want unit %q, label %q", c.name, col, ok, c.unit, c.label)
		}
	}
	if col, ok := Lookup("no_such_column"); ok {
		t.Errorf("Lookup of an unknown name = %+v, true", col)
	}
}
