package engine

import (
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// fp4 is priced at the chip's FP4 rate where its entry lists one, and
// refused with a reason elsewhere, under both fidelities.
func TestFP4(t *testing.T) {
	for _, f := range []Fidelity{FidelityCalibrated, FidelityMLSysim} {
		for _, hw := range []string{"B200", "B300", "MI355X", "MI350X"} {
			r := calServeEval(t, "Llama3_70B", hw, func(c *Config) { c.Fidelity, c.Precision, c.BatchSize = f, registry.FP4, 8 })
			if r.Reason.PrecisionGap() || !(r.TTFTS > 0) {
				t.Errorf("%v fp4 on %s: reason %q TTFT %v", f, hw, r.Reason, r.TTFTS)
			}
		}
		for _, hw := range []string{"H100", "A100", "MI300X"} {
			r := calServeEval(t, "Llama3_8B", hw, func(c *Config) { c.Fidelity, c.Precision = f, registry.FP4 })
			if !r.Reason.PrecisionGap() || r.Feasible || r.LatencyS != 0 {
				t.Errorf("%v fp4 on %s: reason %q feasible %v latency %v", f, hw, r.Reason, r.Feasible, r.LatencyS)
			}
			if f == FidelityCalibrated && r.Calib.Kind.String() == "" {
				t.Errorf("fp4 on %s: refused calibrated row without its calibration column", hw)
			}
		}
	}
	// On the B300 (FP4 13.5 PFLOP/s, FP8 4.5 dense), a long prefill in fp4
	// is faster than in fp8, and its weights take half the bytes.
	r4 := calServeEval(t, "Llama3_70B", "B300", func(c *Config) { c.Precision, c.SeqLen = registry.FP4, 8192 })
	r8 := calServeEval(t, "Llama3_70B", "B300", func(c *Config) { c.Precision, c.SeqLen = registry.FP8, 8192 })
	if !(r4.TTFTS < r8.TTFTS) || r4.WeightBytes != r8.WeightBytes/2 {
		t.Errorf("B300 prefill fp4 %v fp8 %v; weights %v %v", r4.TTFTS, r8.TTFTS, r4.WeightBytes, r8.WeightBytes)
	}
}

// precision=int4 under calibrated is W4A16 on every chip, the B300 and
// MI355X (which list FP4, not INT4) included: the same row as
// weight_precision=int4 with fp16 activations, never int4 weights at a
// fallback rate with 4-bit activations and KV cache. int4 arithmetic is
// asked for explicitly and needs a listed int4 rate.
func TestInt4IsW4A16(t *testing.T) {
	for _, hw := range []string{"B300", "MI355X", "H100", "A100"} {
		short := calServeEval(t, "Llama3_8B", hw, func(c *Config) { c.Precision, c.BatchSize, c.OutputTokens = registry.INT4, 4, 64 })
		split := calServeEval(t, "Llama3_8B", hw, func(c *Config) {
			c.BatchSize, c.OutputTokens = 4, 64
			c.Prec.WeightSet, c.Prec.Weight = true, registry.INT4
			c.Prec.ActivationSet, c.Prec.Activation = true, registry.FP16
		})
		if short != split {
			t.Errorf("%s: precision=int4 differs from W4A16:\n%+v\n%+v", hw, short, split)
		}
		fp16 := calServeEval(t, "Llama3_8B", hw, func(c *Config) { c.BatchSize, c.OutputTokens = 4, 64 })
		// The weights are read at a quarter of the bytes (decode, memory
		// bound at batch 4, is faster), the KV cache is the same fp16 one.
		if !(short.ITLS < fp16.ITLS) || short.KVCacheBytes != fp16.KVCacheBytes || short.WeightBytes != fp16.WeightBytes/4 {
			t.Errorf("%s: W4A16 ITL %v vs fp16 %v, KV %v vs %v, weights %v vs %v", hw, short.ITLS, fp16.ITLS, short.KVCacheBytes, fp16.KVCacheBytes, short.WeightBytes, fp16.WeightBytes)
		}
	}
	w4a4 := func(hw string) Result {
		return calServeEval(t, "Llama3_8B", hw, func(c *Config) {
			c.Precision = registry.INT4
			c.Prec.ActivationSet, c.Prec.Activation = true, registry.INT4
		})
	}
	if r := w4a4("B300"); !r.Reason.PrecisionGap() {
		t.Errorf("int4 arithmetic on the B300 (no INT4 rate): reason %q", r.Reason)
	}
	if r := w4a4("A100_40GB"); r.Reason.PrecisionGap() || !(r.ITLS > 0) {
		t.Errorf("int4 arithmetic on the A100 40GB (INT4 1,248 TOPS): reason %q ITL %v", r.Reason, r.ITLS)
	}
}

// W8A8 and W4A8: the weights' bytes set memory and the weight reads, the
// activations' precision the rate: a compute-bound prefill of W4A8 on the
// H100 runs at its FP8 rate, as W8A8's does, while its weights take half
// the memory.
func TestWeightActivationSplit(t *testing.T) {
	w8a8 := calServeEval(t, "Llama3_70B", "H100", func(c *Config) { c.Precision, c.SeqLen = registry.FP8, 4096 })
	w4a8 := calServeEval(t, "Llama3_70B", "H100", func(c *Config) {
		c.Precision, c.SeqLen = registry.FP8, 4096
		c.Prec.WeightSet, c.Prec.Weight = true, registry.INT4
	})
	if w4a8.WeightBytes != w8a8.WeightBytes/2 || !(w4a8.ITLS < w8a8.ITLS) {
		t.Errorf("W4A8 weights %v ITL %v, W8A8 %v %v", w4a8.WeightBytes, w4a8.ITLS, w8a8.WeightBytes, w8a8.ITLS)
	}
	// The prefill at the same rate: within the weight reads' share.
	if d := w4a8.Serve.PrefillS / w8a8.Serve.PrefillS; d > 1 || d < 0.9 {
		t.Errorf("W4A8 prefill %v, W8A8 %v", w4a8.Serve.PrefillS, w8a8.Serve.PrefillS)
	}
	// Under mlsysim the split is an extension of the roofline: weights at
	// 4 bits, FLOPs at the FP8 peak; the shorthand is mlsysim's.
	m8 := calServeEval(t, "Llama3_70B", "H100", func(c *Config) { c.Fidelity, c.Precision = FidelityMLSysim, registry.FP8 })
	m48 := calServeEval(t, "Llama3_70B", "H100", func(c *Config) {
		c.Fidelity, c.Precision = FidelityMLSysim, registry.FP8
		c.Prec.WeightSet, c.Prec.Weight = true, registry.INT4
	})
	if m48.WeightBytes != m8.WeightBytes/2 || m48.TTFTS != m8.TTFTS || m48.KVCacheBytes != m8.KVCacheBytes {
		t.Errorf("mlsysim W4A8: weights %v TTFT %v KV %v; W8A8 %v %v %v", m48.WeightBytes, m48.TTFTS, m48.KVCacheBytes, m8.WeightBytes, m8.TTFTS, m8.KVCacheBytes)
	}
	mi := calServeEval(t, "Llama3_70B", "H100", func(c *Config) { c.Fidelity, c.Precision = FidelityMLSysim, registry.INT4 })
	if mi.KVCacheBytes != m8.KVCacheBytes/2 {
		t.Errorf("mlsysim int4 keeps its 4-bit KV cache: %v vs fp8 %v", mi.KVCacheBytes, m8.KVCacheBytes)
	}
}
