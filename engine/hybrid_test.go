package engine

import (
	"math"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// A hybrid's KV cache is its attention blocks' alone, beside the Mamba-2
// blocks' recurrent state, which does not grow with the context.
func TestHybridKVCacheIsTheAttentionLayers(t *testing.T) {
	m, err := registry.Default().Model("Nemotron_H_8B")
	if err != nil {
		t.Fatal(err)
	}
	const S, B, b = 32768, 4, 2.0
	perLayer := 2 * float64(m.TrueKVHeads()) * float64(m.EffectiveHeadDim()) * S * B * b
	state := 24 * (8192*128 + 3*(8192+2*8*128)) * b // 24 Mamba-2 blocks: E·N + (K−1)·(E + 2GN)
	if got, want := calibKVCacheBytes(m, S, B, b), 4*perLayer+B*state; math.Abs(got-want) > 1e-9*want {
		t.Errorf("cache %g, want 4 attention layers' KV %g + 4 states %g", got, 4*perLayer, B*state)
	}
	if d := calibKVCacheBytes(m, 2*S, B, b) - calibKVCacheBytes(m, S, B, b); math.Abs(d-4*perLayer) > 1e-9*d {
		t.Errorf("cache growth over S more tokens %g, want the attention layers' %g", d, 4*perLayer)
	}
}

// Replacing attention blocks by Mamba-2 blocks cuts a long-context decode
// step and the cache: the Mamba-2 block reads a state of fixed size where
// attention reads the whole context's KV.
func TestHybridMambaCutsLongContextDecode(t *testing.T) {
	c := cfg(t, "Nemotron_H_8B", "H100", func(c *Config) {
		c.Fidelity, c.Mode = FidelityCalibrated, Serving
		c.BatchSize, c.SeqLen, c.OutputTokens = 8, 65536, 64
		c.Serve.SkipBatchingThroughput = true
	})
	hy := Evaluate(&c)
	more := *c.Model
	more.Blocks = registry.LayerBlocks{Mamba: 12, Attention: 16, MLP: 24} // 12 of the 24 Mamba-2 blocks as attention
	c.Model = &more
	at := Evaluate(&c)
	if !hy.Feasible || !(hy.ITLS > 0) || !(at.ITLS > 0) {
		t.Fatalf("feasible %v, itl %v and %v (%s)", hy.Feasible, hy.ITLS, at.ITLS, hy.Reason)
	}
	if !(hy.ITLS < at.ITLS) || !(hy.KVCacheBytes < at.KVCacheBytes/2) {
		t.Errorf("24 Mamba-2 + 4 attention blocks: itl %v, cache %v; 12 + 16: itl %v, cache %v", hy.ITLS, hy.KVCacheBytes, at.ITLS, at.KVCacheBytes)
	}
	if hy.Calib.Decode.ElementwiseS <= 0 || hy.Calib.Decode.AttentionS <= 0 {
		t.Errorf("decode parts %+v: want the state update and the attention", hy.Calib.Decode)
	}
}

// Fidelity mlsysim has no hybrid model: every mode is refused with the
// reason, never a transformer's number; calibrated refuses the serving
// options it does not price block by block.
func TestHybridRefusals(t *testing.T) {
	for _, mode := range []Mode{Inference, Training, Serving} {
		c := cfg(t, "Nemotron_3_Nano_30B_A3B", "H100", func(c *Config) { c.Mode = mode })
		if r := Evaluate(&c); r.Reason != ReasonHybrid || r.Feasible || r.LatencyS != 0 {
			t.Errorf("mlsysim %s: reason %q latency %v", mode, r.Reason, r.LatencyS)
		}
		c.Fidelity = FidelityCalibrated
		c.ResolveProfile()
		if r := Evaluate(&c); r.Reason == ReasonHybrid || !(r.LatencyS > 0) {
			t.Errorf("calibrated %s: reason %q latency %v", mode, r.Reason, r.LatencyS)
		}
	}
	c := cfg(t, "Nemotron_3_Nano_30B_A3B", "H100", func(c *Config) {
		c.Fidelity, c.Mode, c.Dist.TP = FidelityCalibrated, Serving, 2
	})
	if r := Evaluate(&c); r.Reason != ReasonHybrid || !strings.Contains(r.Reason.String(), "tp") {
		t.Errorf("calibrated serving tp 2: reason %q", r.Reason)
	}
}
