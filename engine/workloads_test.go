package engine

import "testing"

// A Mamba prefill is a scan over the prompt: it costs more than a decode
// step and grows with the prompt (it used to cost one decode step whatever
// the prompt); the recurrent state does not grow with the context.
func TestMambaPrefillScansThePrompt(t *testing.T) {
	short := calServeEval(t, "Mamba_2_8B", "H100", func(c *Config) { c.SeqLen, c.OutputTokens = 128, 64 })
	long := calServeEval(t, "Mamba_2_8B", "H100", func(c *Config) { c.SeqLen, c.OutputTokens = 2048, 64 })
	longer := calServeEval(t, "Mamba_2_8B", "H100", func(c *Config) { c.SeqLen, c.OutputTokens = 8192, 64 })
	if !(long.TTFTS > 2*long.ITLS) || !(short.TTFTS < long.TTFTS && long.TTFTS < longer.TTFTS) {
		t.Errorf("TTFT 128/2048/8192 tokens %v %v %v, ITL %v", short.TTFTS, long.TTFTS, longer.TTFTS, long.ITLS)
	}
	// Without eager dispatch (compiled) the scan is linear in the prompt:
	// twice the tokens, about twice the time.
	at := func(seq int) float64 {
		return calServeEval(t, "Mamba_2_8B", "H100", func(c *Config) { c.SeqLen, c.Calib.Software = seq, 1 }).TTFTS
	}
	if r := at(8192) / at(4096); r < 1.8 || r > 2.05 {
		t.Errorf("prefill of 8192 tokens / 4096: %v, want ≈ 2", r)
	}
	if short.ITLS != long.ITLS || short.KVCacheBytes != long.KVCacheBytes || long.Calib.Kind.String() == "" {
		t.Errorf("decode or state grew with the prompt: ITL %v %v, state %v %v", short.ITLS, long.ITLS, short.KVCacheBytes, long.KVCacheBytes)
	}
	// A decode step reads at least the weights.
	if floor := long.WeightBytes / 3.35e12; !(long.ITLS > floor) {
		t.Errorf("ITL %v below the weights at HBM speed %v", long.ITLS, floor)
	}
}
