package calibration

import (
	"math"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// TestScaleMatrix checks the matrix factor's semantics: the tensor-core
// fractions scaled and capped at 1, fp32 and every other fraction kept,
// the kind and provenance saying fitted, and WithMatrixFactor leaving the
// set it copies unchanged.
func TestScaleMatrix(t *testing.T) {
	reg := registry.Default()
	h, err := reg.Hardware("B300")
	if err != nil {
		t.Fatal(err)
	}
	s := Embedded()
	d := s.Derived(h.Key)
	if d == nil || s.Profile(h).Kind != KindDerived {
		t.Fatalf("B300: no plain derived profile (%v)", s.Profile(h).Kind)
	}
	x := ScaleMatrix(*d, 0.8)
	if x.Kind != KindFitted || !strings.Contains(x.Provenance.Method, MatrixFitRule) || !strings.HasPrefix(x.Provenance.Method, DeriveRule) {
		t.Errorf("kind %v, provenance %q", x.Kind, x.Provenance.Method)
	}
	if y := ScaleMatrix(x, 0.8); strings.Count(y.Provenance.Method, MatrixFitRule) != 1 {
		t.Errorf("provenance repeats the rule: %q", y.Provenance.Method)
	}
	for _, p := range []registry.Precision{registry.BF16, registry.FP16, registry.TF32, registry.FP8, registry.INT8} {
		if got, want := x.MatmulFrac.Get(p), 0.8*d.MatmulFrac.Get(p); math.Abs(got-want) > 1e-15 {
			t.Errorf("%v: %v, want %v", p, got, want)
		}
	}
	if x.MatmulFrac.Get(registry.FP32) != d.MatmulFrac.Get(registry.FP32) || x.MemBWFrac != d.MemBWFrac || x.AttnFrac != d.AttnFrac {
		t.Error("a fraction other than the tensor-core ones moved")
	}
	big := ScaleMatrix(*d, 10)
	if big.MatmulFrac.BF16 != 1 || big.MatmulFrac.Get(registry.FP8) != 1 || MaxMatrixFactor(d)*d.MatmulFrac.BF16 > 1+1e-12 {
		t.Errorf("not capped at 1: bf16 %v fp8 %v", big.MatmulFrac.BF16, big.MatmulFrac.Get(registry.FP8))
	}
	if z := ScaleMatrix(*d, 0); z.Kind != KindDerived {
		t.Errorf("factor 0: kind %v", z.Kind)
	}
	w := s.WithMatrixFactor(h.Key, 0.8)
	if w.Profile(h).Kind != KindFitted || w.Profile(h).MatmulFrac.BF16 != x.MatmulFrac.BF16 {
		t.Errorf("WithMatrixFactor: kind %v", w.Profile(h).Kind)
	}
	if s.Profile(h).Kind != KindDerived || s.Profile(h).MatmulFrac.BF16 != d.MatmulFrac.BF16 {
		t.Error("WithMatrixFactor changed the set it copies")
	}
}
