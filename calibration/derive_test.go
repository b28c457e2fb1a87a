package calibration

import (
	"math"
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// The derived matrix fractions of a GPU of another vendor than the
// reference's follow the published maximum achievable matmul rates
// (registry achievable_matmul_flops, Bekman's MAMF table): the fraction is
// the reference's × (its MAMF share of its datasheet rate) / (the H100's),
// bf16's ratio for the 16-bit formats and tf32, fp8's where both publish
// fp8, fp32 untouched; a GPU of the reference's vendor (NVIDIA) or without
// a published rate keeps the reference's fractions; the reference derived
// from itself is unchanged.
func TestDeriveMAMF(t *testing.T) {
	reg := registry.Default()
	hw := hardwareOf(t, reg)
	ref := Embedded().Profile(hw(Reference))
	if ref.Kind != KindMeasured {
		t.Fatalf("reference profile is %v", ref.Kind)
	}
	// Ratios computed by hand from the table: (MAMF / registry rate) /
	// (794.5/989) for bf16, / (1402.6/1979) for fp8.
	h16, h8 := 794.5/989, 1402.6/1979
	for _, c := range []struct {
		key      string
		r16, r8  float64 // want; r8 = r16 where no fp8 is published
		measured bool    // an embedded measured profile, not derived
	}{
		// The reference's vendor: its fractions, whatever the table says.
		{"A100", 1, 1, false}, {"A100_40GB", 1, 1, false}, {"A100_PCIe", 1, 1, false},
		{"H200", 1, 1, false}, {"GH200", 1, 1, false}, {"B200", 1, 1, false},
		{"B300", 1, 1, false}, {"GB200_GPU", 1, 1, false},
		// Other vendors: scaled.
		{"Gaudi2", (418.7 / 432) / h16, (826.5 / 865) / h8, false},
		{"Gaudi3", (1243.0 / 1835) / h16, (1289.5 / 1835) / h8, false},
		{"MI300X", (668.4 / 1307) / h16, (668.4 / 1307) / h16, false},
		{"MI325X", (784.9 / 1307.4) / h16, (784.9 / 1307.4) / h16, false},
		{"MI355X", (1565.0 / 2516.6) / h16, (1565.0 / 2516.6) / h16, false},
		// No published MAMF: today's rule.
		{"L40S", 1, 1, false}, {"GB300_GPU", 1, 1, false}, {"H100_PCIe", 1, 1, false},
		{"GB200_NVL72", 1, 1, false}, {"TPUv5p", 1, 1, false},
		{"H100", 1, 1, true},
	} {
		h := hw(c.key)
		p := Embedded().Profile(h)
		if (p.Kind == KindMeasured) != c.measured {
			t.Errorf("%s: profile kind %v", c.key, p.Kind)
			continue
		}
		d := Derive(ref, hw(Reference), h)
		want := d
		if f, ok := MatrixFactorFor(c.key); ok { // a factor fitted to published rows (data/matrix_fits.json)
			want = ScaleMatrix(d, f.Factor)
			if p.Kind != KindFitted {
				t.Errorf("%s: profile kind %v with a committed matrix factor", c.key, p.Kind)
			}
		}
		if !c.measured && string(p.Marshal()) != string(want.Marshal()) {
			t.Errorf("%s: the set's profile is not Derive's (times its committed matrix factor)", c.key)
		}
		in, f := ref.MatmulFrac, d.MatmulFrac
		for _, x := range []struct {
			name      string
			got, want float64
		}{
			{"bf16", f.BF16, in.BF16 * c.r16},
			{"fp16", f.Get(registry.FP16), in.Get(registry.FP16) * c.r16},
			{"tf32", f.Get(registry.TF32), in.Get(registry.TF32) * c.r16},
			{"int8", f.Get(registry.INT8), in.Get(registry.INT8) * c.r16},
			{"fp8", f.Get(registry.FP8), in.Get(registry.FP8) * c.r8},
			{"fp32", f.Get(registry.FP32), in.Get(registry.FP32)},
		} {
			if math.Abs(x.got-x.want) > 1e-12 {
				t.Errorf("%s %s: matrix fraction %.6f, want %.6f", c.key, x.name, x.got, x.want)
			}
		}
		if d.MemBWFrac != ref.MemBWFrac || d.AttnFrac != ref.AttnFrac || d.KernelS != ref.KernelS {
			t.Errorf("%s: a fraction other than the matrix ones moved", c.key)
		}
		if d.GEMMKernelS != ref.GEMMKernelS {
			t.Errorf("%s: GEMM kernel times %+v, want the reference's %+v (fixed times carry over)", c.key, d.GEMMKernelS, ref.GEMMKernelS)
		}
		if d.Kind != KindDerived || d.Provenance.Method != DeriveRule || d.Hardware != c.key {
			t.Errorf("%s: kind %v, method %q, hardware %q", c.key, d.Kind, d.Provenance.Method, d.Hardware)
		}
	}

	// The reference derived from itself keeps its fractions bit for bit;
	// without a reference entry (a registry lacking it) the rule is today's.
	for _, refHW := range []*registry.Hardware{hw(Reference), nil} {
		if d := Derive(ref, refHW, hw(Reference)); d.MatmulFrac != ref.MatmulFrac {
			t.Errorf("reference entry %v: matrix fractions %+v, want %+v", refHW != nil, d.MatmulFrac, ref.MatmulFrac)
		}
	}
	if d := Derive(ref, nil, hw("MI300X")); d.MatmulFrac != ref.MatmulFrac {
		t.Errorf("no reference entry: MI300X fractions %+v moved", d.MatmulFrac)
	}

	// Unset precisions stay unset where the ratio is bf16's (they fall back
	// to the scaled bf16 fraction), fp8 is set where its ratio differs, a
	// fraction never exceeds 1, and fp32 keeps the reference's bf16 fallback.
	thin := *ref
	thin.MatmulFrac = PrecFrac{BF16: 0.9}
	a, b := *hw(Reference), *hw("Gaudi2")
	d := Derive(&thin, &a, &b)
	if f := d.MatmulFrac; f.BF16 != 1 || f.FP16 != 0 || f.TF32 != 0 || f.FP8 != 1 || f.FP32 != 0.9 {
		t.Errorf("thin reference on Gaudi2: %+v, want bf16 1 (capped), fp8 1 (capped), fp32 0.9, others unset", f)
	}
	b.AchievableMatmulFLOPS[registry.FP8] = 0 // bf16 measured only: fp8 follows bf16
	d = Derive(&thin, &a, &b)
	if f := d.MatmulFrac; f.FP8 != 0 {
		t.Errorf("fp8 set to %g where its ratio is bf16's", f.FP8)
	}
}
