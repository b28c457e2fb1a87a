package dse

import (
	"slices"
	"strings"
	"testing"
)

func TestParseObjective(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Objective
	}{
		// The canonical form, as the run manifest records it.
		{"maximize:tokens_per_s", Objective{"tokens_per_s", true}},
		{"minimize:latency_s", Objective{"latency_s", false}},
		{"max:mfu", Objective{"mfu", true}},
		{"MIN:itl_s", Objective{"itl_s", false}},
		// The column-first form of sweep plot --objectives.
		{"latency_s:min", Objective{"latency_s", false}},
		{"tokens_per_s:max", Objective{"tokens_per_s", true}},
		{"tokens_per_s:Maximize", Objective{"tokens_per_s", true}},
		{"latency_s:minimize", Objective{"latency_s", false}},
		{" energy_j : min ", Objective{"energy_j", false}},
		// No direction: the vocabulary's.
		{"tokens_per_s", Objective{"tokens_per_s", true}},
		{"goodput", Objective{"goodput", true}},
		{"latency_s", Objective{"latency_s", false}},
		{"latency_s:", Objective{"latency_s", false}},
		{"arithmetic_intensity", Objective{"arithmetic_intensity", false}},
		{"not_in_vocabulary", Objective{"not_in_vocabulary", false}},
	} {
		got, err := ParseObjective(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseObjective(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"latency_s:fast", `"latency_s": direction "fast" is not min or max`},
		{"", "empty objective"},
		{":max", "no column name"},
		{"a:b:c", `direction "b:c"`},
	} {
		if _, err := ParseObjective(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseObjective(%q): error %v, want %q", c.in, err, c.want)
		}
	}
}

// String is the canonical form, and ParseObjective reads it back.
func TestObjectiveRoundTrip(t *testing.T) {
	objs := []Objective{{"latency_s", false}, {"tokens_per_s", true}, {"mfu", false}, {"energy_j", true}}
	text := FormatObjectives(objs)
	if want := []string{"minimize:latency_s", "maximize:tokens_per_s", "minimize:mfu", "maximize:energy_j"}; !slices.Equal(text, want) {
		t.Fatalf("FormatObjectives = %q, want %q", text, want)
	}
	back, err := ParseObjectives(strings.Join(text, ","))
	if err != nil || !slices.Equal(back, objs) {
		t.Errorf("ParseObjectives(%q) = %+v, %v; want %+v", strings.Join(text, ","), back, err, objs)
	}
	if got, err := ParseObjectives("latency_s:min,tokens_per_s:max,mfu"); err != nil || !slices.Equal(got, []Objective{{"latency_s", false}, {"tokens_per_s", true}, {"mfu", true}}) {
		t.Errorf("ParseObjectives (column-first) = %+v, %v", got, err)
	}
	if _, err := ParseObjectives("latency_s:min,,tokens_per_s:max"); err == nil {
		t.Error("ParseObjectives accepts an empty objective")
	}
}

// ParseObjective never panics, and what it accepts prints as a canonical
// form that it reads back to the same objective.
func FuzzParseObjective(f *testing.F) {
	for _, s := range []string{"maximize:tokens_per_s", "latency_s:min", "mfu", "a:b:c", ":", "min:max", " : "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseObjective(s)
		if err != nil {
			return
		}
		if o.Name == "" {
			t.Fatalf("ParseObjective(%q) = %+v: no name", s, o)
		}
		if strings.ContainsAny(o.Name, ":") || strings.TrimSpace(o.Name) != o.Name {
			return // a name only the column-first form can carry
		}
		back, err := ParseObjective(o.String())
		if err != nil || back != o {
			t.Errorf("ParseObjective(%q) = %+v; its String %q reads back as %+v, %v", s, o, o.String(), back, err)
		}
	})
}
