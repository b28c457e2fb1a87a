package apicheck

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// stableKinds are the registries whose entry names are never removed or
// renamed within a minor version.
var stableKinds = []string{registry.KindHardware, registry.KindModel, registry.KindScenario}

var namesFile = filepath.Join("testdata", "registry_names.txt")

// unresolved returns the "kind name" lines of names that reg does not
// resolve to an entry of that very key.
func unresolved(reg *registry.Registry, names []string) []string {
	var out []string
	for _, l := range names {
		kind, name, _ := strings.Cut(l, " ")
		var key string
		switch kind {
		case registry.KindHardware:
			if h, err := reg.Hardware(name); err == nil {
				key = h.Key
			}
		case registry.KindModel:
			if m, err := reg.Model(name); err == nil {
				key = m.Key
			}
		case registry.KindScenario:
			if s, err := reg.Scenario(name); err == nil {
				key = s.Key
			}
		}
		if key != name {
			out = append(out, l)
		}
	}
	return out
}

// TestRegistryNames fails when a hardware, model or scenario name shipped in
// this version (testdata/registry_names.txt) no longer resolves to itself.
func TestRegistryNames(t *testing.T) {
	reg := registry.Default()
	if *update {
		var lines []string
		for _, k := range stableKinds {
			for _, key := range reg.Keys(k) {
				lines = append(lines, k+" "+key)
			}
		}
		writeLines(t, namesFile, "# Registry names shipped in this version: never removed or renamed within a\n"+
			"# minor version (docs/api-stability.md). Regenerate with go test ./internal/apicheck -update.\n", lines)
		return
	}
	names := readLines(t, namesFile)
	if len(names) < 100 {
		t.Fatalf("only %d names in %s", len(names), namesFile)
	}
	for _, l := range unresolved(reg, names) {
		t.Errorf("shipped registry name no longer resolves: %s", l)
	}
	counts := map[string]int{}
	for _, l := range names {
		kind, _, _ := strings.Cut(l, " ")
		counts[kind]++
	}
	for _, k := range stableKinds {
		if got := len(reg.Keys(k)); got > counts[k] {
			t.Logf("%d %s entries not in the snapshot (fine; -update records them)", got-counts[k], k)
		}
	}
}

// TestNamesGuardCatchesRemoval: against a registry that lacks entries, the
// guard reports exactly the missing names.
func TestNamesGuardCatchesRemoval(t *testing.T) {
	names := readLines(t, namesFile)
	if got := unresolved(&registry.Registry{}, names); len(got) != len(names) {
		t.Errorf("an empty registry resolved %d of %d names", len(names)-len(got), len(names))
	}
	reg, err := registry.New()
	if err != nil {
		t.Fatal(err)
	}
	extra := append([]string{"hardware H100_Retired", "scenario ChatbotServing"}, names...)
	if got := unresolved(reg, extra); fmt.Sprint(got) != "[hardware H100_Retired]" {
		t.Errorf("guard reported %v", got)
	}
}
