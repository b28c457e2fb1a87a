package calibration

import (
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// hardwareOf returns a lookup of reg's hardware entries by name that
// fails the test on an unknown one.
func hardwareOf(t *testing.T, reg *registry.Registry) func(string) *registry.Hardware {
	t.Helper()
	return func(k string) *registry.Hardware {
		h, err := reg.Hardware(k)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
}

// A set hands out one profile per hardware entry: the measured one where
// there is one, else one derived from the reference, built once; a user
// profile replaces the embedded one of its hardware in that set only, and a
// user profile of the reference moves every derived profile with it.
func TestSet(t *testing.T) {
	reg := registry.Default()
	hw := hardwareOf(t, reg)
	emb := Embedded()
	if p := emb.Profile(hw("H100")); p.Kind != KindMeasured || p != emb.Profile(hw("H100")) {
		t.Errorf("H100: kind %v, or not shared", p.Kind)
	}
	for _, k := range []string{"A100", "A100_40GB", "B300"} { // no matrix factor (matrix_fits.json)
		p := emb.Profile(hw(k))
		want := Derive(emb.Profile(hw(Reference)), hw(Reference), hw(k))
		if p.Kind != KindDerived || p.Hardware != k || p != emb.Profile(hw(k)) || string(p.Marshal()) != string(want.Marshal()) {
			t.Errorf("%s: kind %v, hardware %q, or not shared or not Derive's", k, p.Kind, p.Hardware)
		}
	}
	if (*Set)(nil).Profile(hw("A100")) != emb.Profile(hw("A100")) {
		t.Error("a nil set is not the embedded one")
	}

	ref := *emb.Profile(hw(Reference))
	ref.MemBWFrac /= 2
	ref.Hardware = "Cloud.H100" // an alias: the set keeps the entry's key
	own := *emb.Profile(hw(Reference))
	own.Hardware, own.MemBWFrac = "B200", 0.5
	s, err := NewSet(reg, &ref, &own)
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Profile(hw("H100")); p.MemBWFrac != ref.MemBWFrac || p.Hardware != "H100" || p.Kind != KindMeasured {
		t.Errorf("user H100 profile: mem_bw_frac %g, hardware %q, kind %v", p.MemBWFrac, p.Hardware, p.Kind)
	}
	if p := s.Profile(hw("A100")); p.MemBWFrac != ref.MemBWFrac || p.Kind != KindDerived {
		t.Errorf("A100 after a user reference profile: mem_bw_frac %g, kind %v", p.MemBWFrac, p.Kind)
	}
	if p := s.Profile(hw("B200")); p.MemBWFrac != 0.5 || p.Kind != KindMeasured {
		t.Errorf("user B200 profile: mem_bw_frac %g, kind %v", p.MemBWFrac, p.Kind)
	}
	if emb.Profile(hw("H100")).MemBWFrac == ref.MemBWFrac || len(emb.Measured()) != len(s.Measured())-1 {
		t.Error("a user profile changed the embedded set")
	}
	if _, err := NewSet(reg, &Profile{Hardware: "H9000"}); err == nil {
		t.Error("a profile for unknown hardware was accepted")
	}
}
