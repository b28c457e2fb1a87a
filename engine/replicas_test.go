package engine

import (
	"math"
	"math/rand/v2"
	"testing"
)

// linearReplicas is the capacity planner's former replica search, kept here
// as the reference searchReplicas must reproduce: k = 1, 2, ... maxR, the
// first stable k whose p99 meets the target (or maxR).
func linearReplicas(a, perQPS, base, kf, target float64, maxR int) replicaPlan {
	pl := replicaPlan{k: maxR}
	b := 1.0
	for k := 1; k <= maxR; k++ {
		b = a * b / (float64(k) + a*b)
		fk := float64(k)
		ρ := a / fk
		if ρ >= 1 {
			continue
		}
		pl.stable = true
		w50, w99 := mmcQuantiles(erlangC(b, a, fk), fk*perQPS*(1-ρ))
		p99 := base + w99*kf
		if target <= 0 || p99 <= target || k == maxR {
			return replicaPlan{k: k, ρ: ρ, p50: base + w50*kf, p99: p99,
				met: target <= 0 || p99 <= target, stable: true}
		}
	}
	return pl
}

// randomLoad draws a load around the interesting region: a offered load of
// up to aMax, a target between below the base latency and far above it.
func randomLoad(rng *rand.Rand, aMax float64) (a, perQPS, base, kf, target float64) {
	a = aMax * math.Pow(rng.Float64(), 2)
	perQPS = math.Pow(10, -2+4*rng.Float64())
	base = math.Pow(10, -3+4*rng.Float64())
	cv := 3 * rng.Float64()
	kf = (cv*cv + 1) / 2
	switch rng.IntN(5) {
	case 0:
		target = 0
	case 1:
		target = base * rng.Float64() // below base: never met
	default:
		target = base * (1 + math.Pow(10, -6+7*rng.Float64()))
	}
	return
}

// The search gives the linear search's plan exactly (same replicas, same
// bits) wherever the counts stay within the recursion's range.
func TestSearchReplicasMatchesLinear(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 1))
	for i := range 20000 {
		aMax := []float64{3, 30, 300, 3000}[i%4]
		a, perQPS, base, kf, target := randomLoad(rng, aMax)
		maxR := 1 + rng.IntN(int(2*aMax)+64)
		got := searchReplicas(a, perQPS, base, kf, target, maxR)
		want := linearReplicas(a, perQPS, base, kf, target, maxR)
		if got != want {
			t.Fatalf("a=%v perQPS=%v base=%v kf=%v target=%v maxR=%d:\n got %+v\nwant %+v",
				a, perQPS, base, kf, target, maxR, got, want)
		}
	}
}

// Above the recursion's range the counts agree with the linear search and
// the latencies to the integral's accuracy.
func TestSearchReplicasLargeLoads(t *testing.T) {
	if testing.Short() {
		t.Skip("linear searches over 10^5 counts")
	}
	rng := rand.New(rand.NewPCG(17, 2))
	for range 40 {
		a, perQPS, base, kf, target := randomLoad(rng, 1)
		a = exactReplicas * (0.5 + 2*rng.Float64())
		maxR := int(a) + 1 + rng.IntN(exactReplicas)
		got := searchReplicas(a, perQPS, base, kf, target, maxR)
		want := linearReplicas(a, perQPS, base, kf, target, maxR)
		if got.k != want.k || got.met != want.met || got.stable != want.stable ||
			!withinRel(got.p99, want.p99, 1e-9) || !withinRel(got.p50, want.p50, 1e-9) {
			t.Errorf("a=%v target=%v maxR=%d:\n got %+v\nwant %+v", a, target, maxR, got, want)
		}
	}
}

// The P99 is non-increasing in the replica count on the stable counts, which
// is what makes bisection give the first count that meets a target.
func TestReplicaP99Monotone(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 3))
	for range 300 {
		a, perQPS, base, kf, _ := randomLoad(rng, 2000)
		maxR := int(a) + 2 + rng.IntN(3000)
		prev := math.Inf(1)
		b := 1.0
		for k := 1; k <= maxR; k++ {
			b = a * b / (float64(k) + a*b)
			fk := float64(k)
			if ρ := a / fk; ρ < 1 {
				_, w99 := mmcQuantiles(erlangC(b, a, fk), fk*perQPS*(1-ρ))
				p99 := base + w99*kf
				if p99 > prev {
					t.Fatalf("a=%v: p99(%d) = %v > p99(%d) = %v", a, k, p99, k-1, prev)
				}
				prev = p99
			}
		}
	}
	// And across the integral's range, at counts far apart.
	for _, a := range []float64{1e5, 1e9, 1e15, 1e18} {
		prev := math.Inf(1)
		for _, x := range []float64{1e-9, 1e-6, 1e-4, 1e-3, 1e-2, 0.1, 1, 10} {
			if a*(1+x) > 9e18 {
				break
			}
			k := int(a*(1+x)) + 1
			fk := float64(k)
			_, w99 := mmcQuantiles(erlangC(erlangBIntegral(a, fk), a, fk), fk*(1-a/fk))
			if w99 > prev || math.IsNaN(w99) || math.IsInf(w99, 0) {
				t.Errorf("a=%v k=%d: wait %v after %v", a, k, w99, prev)
			}
			prev = w99
		}
	}
}

// Erlang B from the integral against the recursion (exact in floating
// point up to rounding) where both can be computed.
func TestErlangBIntegral(t *testing.T) {
	for _, tc := range []struct{ a, c float64 }{
		{60000, 65537}, {65000, 65537}, {65536, 65537}, {1e5, 1e5 + 1}, {1e5, 1e5 + 300},
		{1e5, 1e5 + 3000}, {2e5, 2e5 + 50}, {1000, 70000}, {3e5, 3.1e5},
	} {
		b := 1.0
		for k := 1; k <= int(tc.c); k++ {
			b = tc.a * b / (float64(k) + tc.a*b)
		}
		got := erlangBIntegral(tc.a, tc.c)
		if b == 0 && got == 0 {
			continue
		}
		if !withinRel(got, b, 1e-9) {
			t.Errorf("B(%v, %v) = %v, recursion %v", tc.c, tc.a, got, b)
		}
	}
}

// Loads that once made the linear search run for hours end in one
// configuration's time: 10^9 requests/s for a nanosecond target and 10^18
// replicas, and every stable count beyond the recursion.
func TestSearchReplicasHuge(t *testing.T) {
	for _, tc := range []struct {
		a, target float64
		maxR      int
	}{
		{1e7, 1e-9, 1e18}, {1e7, 0, 1e18}, {1e7, 100, 1e18}, {1e17, 100, 1e18},
		{1e18, 100, math.MaxInt64}, {9e18, 2, math.MaxInt64}, {0.5, 2, math.MaxInt64},
	} {
		p := searchReplicas(tc.a, 1, 1, 1, tc.target, tc.maxR)
		if p.k < 1 || p.k > tc.maxR || !finite(p.p99) || !finite(p.p50) || p.p99 < p.p50 {
			t.Errorf("a=%v target=%v maxR=%d: %+v", tc.a, tc.target, tc.maxR, p)
		}
		if p.stable && float64(p.k) <= tc.a {
			t.Errorf("a=%v: %d replicas cannot be stable", tc.a, p.k)
		}
	}
	r := serve(t, "Llama3_8B", "H100", func(c *Config) {
		c.Serve.QPS, c.Serve.P99TargetS, c.Serve.MaxReplicas = 1e9, 1e-9, 1e18
	})
	if r.Serve.Replicas != 1e18 || r.Serve.SLAMet || r.Serve.CapacityBound != "Base Latency" || !finite(r.Serve.P99S) {
		t.Errorf("qps 1e9, p99 1 ns: %+v", r.Serve)
	}
}
