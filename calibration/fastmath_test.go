package calibration

import (
	"math"
	"math/rand/v2"
	"testing"
)

func pnormPow(a, b, p float64) float64 {
	if a <= 0 {
		return b
	}
	if b <= 0 {
		return a
	}
	m := math.Max(a, b)
	return m * math.Pow(math.Pow(a/m, p)+math.Pow(b/m, p), 1/p)
}

// The fast p-norm agrees with the math.Pow formulation to 1e-12 relative
// over the range of times and sharpness the model uses.
func TestPNormMatchesPow(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	worst := 0.0
	for i := 0; i < 2_000_000; i++ {
		a := math.Exp2(rng.Float64()*80 - 60)
		b := a * math.Exp2(rng.Float64()*20-10)
		if i%4 == 0 {
			b = a * (1 + (rng.Float64()-0.5)*1e-3)
		}
		p := 1 + rng.Float64()*15
		if i%3 == 0 {
			p = 11.685603605405229
		}
		want, got := pnormPow(a, b, p), PNorm(a, b, p)
		if e := math.Abs(got/want - 1); e > worst {
			worst = e
		}
		w4, g4 := pnormPow(a, b, 4), pnorm4(a, b)
		if e := math.Abs(g4/w4 - 1); e > worst {
			worst = e
		}
	}
	for i := 0; i < 200_000; i++ {
		a := math.Exp2(rng.Float64()*80 - 60)
		b := a * math.Exp2(rng.Float64()*20-10)
		p := 1 + rng.Float64()*15
		if e := math.Abs(blendCut(a, b, p)/pnormPow(a, b, p) - 1); e > worst {
			worst = e
		}
		for q := range rootSharpness {
			k := newSharpness(q)
			if e := math.Abs(k.blend(a, b)/pnormPow(a, b, q) - 1); e > worst {
				worst = e
			}
		}
	}
	if worst > 1e-12 {
		t.Errorf("worst relative difference %g, want ≤ 1e-12", worst)
	}
	for _, c := range [][3]float64{{0, 2, 5}, {2, 0, 5}, {3, 3, 7}, {1, 1e-300, 8}} {
		if got, want := PNorm(c[0], c[1], c[2]), pnormPow(c[0], c[1], c[2]); math.Abs(got/want-1) > 1e-12 {
			t.Errorf("PNorm%v = %g, want %g", c, got, want)
		}
	}
}

func TestLog2Exp2(t *testing.T) {
	for x := 1e-300; x < 1e300; x *= 1.37 {
		if got, want := log2Normal(x), math.Log2(x); math.Abs(got-want) > 1e-13*math.Max(1, math.Abs(want)) {
			t.Fatalf("log2(%g) = %.17g, want %.17g", x, got, want)
		}
	}
	for z := -999.5; z < 999; z += 0.0371 {
		if got, want := exp2Small(z), math.Exp2(z); math.Abs(got/want-1) > 1e-14 {
			t.Fatalf("exp2(%g) = %g, want %g", z, got, want)
		}
	}
}

func BenchmarkPNorm(b *testing.B) {
	s := 0.0
	for i := 0; b.Loop(); i++ {
		s += PNorm(1e-3, 0.3e-3+float64(i&1023)*1e-7, 11.685603605405229)
	}
	_ = s
}

func BenchmarkPNormPow(b *testing.B) {
	s := 0.0
	for i := 0; b.Loop(); i++ {
		s += pnormPow(1e-3, 0.3e-3+float64(i&1023)*1e-7, 11.685603605405229)
	}
	_ = s
}

func blendCut(a, b, p float64) float64 {
	k := newSharpness(p)
	return k.blend(a, b)
}
