package calibration

import (
	"math"
	"strings"
	"testing"
)

// The vLLM rows of published.csv: the three latency tests of vLLM's
// performance benchmark (a static batch of 8 prompts of 32 tokens, 128
// output tokens each, bf16) from three Buildkite builds, one GPU each,
// every row naming the vllm stack, so that its step overhead is fitted to
// them and held out build by build.
func TestPublishedVLLMRows(t *testing.T) {
	ds, err := LoadReference()
	if err != nil {
		t.Fatal(err)
	}
	type test struct {
		model   string
		tp      int
		experts int
	}
	tests := map[string]test{
		"llama3_8b_tp1":   {"Llama 3 8B", 1, 0},
		"llama3_70b_tp4":  {"Llama 3 70B", 4, 0},
		"mixtral8x7b_tp2": {"Mixtral 8x7B", 2, 8},
	}
	// build → the registry key of its GPU column and its mean latencies, ms.
	builds := map[string]struct {
		hw string
		ms map[string]float64
	}{
		"vllm9513_h200": {"H200", map[string]float64{"llama3_8b_tp1": 834.059, "llama3_70b_tp4": 2075.08, "mixtral8x7b_tp2": 1921.1}},
		"vllm9523_a100": {"A100", map[string]float64{"llama3_8b_tp1": 1579.27, "llama3_70b_tp4": 3990.59, "mixtral8x7b_tp2": 3643.84}},
		"vllm9555_h100": {"H100", map[string]float64{"llama3_8b_tp1": 997.542, "llama3_70b_tp4": 2444.47, "mixtral8x7b_tp2": 2326.97}},
	}
	seen := 0
	for _, p := range ds.Published {
		if !strings.HasPrefix(p.ID, "vllm") {
			continue
		}
		seen++
		build, rest, ok := strings.Cut(p.ID, "_")
		b, bok := builds[build+"_"+strings.SplitN(rest, "_", 2)[0]]
		key := strings.TrimSuffix(strings.SplitN(rest, "_", 2)[1], "_8_32_128")
		tc, tok := tests[key]
		if !ok || !bok || !tok {
			t.Errorf("%s: not a known build and test", p.ID)
			continue
		}
		if p.Software != "vllm" || p.Model != tc.model || p.TP != tc.tp || p.GPUs != tc.tp || p.Shape.Experts != tc.experts || p.Precision != "bf16" {
			t.Errorf("%s: %+v", p.ID, p)
		}
		if HardwareKey(nil, p.Hardware) != b.hw {
			t.Errorf("%s: hardware %q resolves to %q, want %s", p.ID, p.Hardware, HardwareKey(nil, p.Hardware), b.hw)
		}
		pt, ok := p.Point()
		if !ok {
			t.Errorf("%s: no point", p.ID)
			continue
		}
		if pt.Class != ClassServe || pt.Batch != 8 || pt.Seq != 32 || pt.Out != 128 || pt.TP != tc.tp || pt.Software() != VLLM {
			t.Errorf("%s: point %+v", p.ID, pt)
		}
		if (pt.Mode == "moe") != (tc.experts > 0) {
			t.Errorf("%s: mode %q", p.ID, pt.Mode)
		}
		if want := b.ms[key] / 1e3; math.Abs(pt.S-want) > 1e-12 {
			t.Errorf("%s: %g s, want %g", p.ID, pt.S, want)
		}
	}
	if seen != 9 {
		t.Errorf("%d vLLM rows, want 9", seen)
	}
}
