package calibration

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// The vLLM rows of published.csv, every one naming the vllm stack: the
// three latency tests of vLLM's performance benchmark (a static batch of 8
// prompts of 32 tokens, 128 output tokens each, bf16) from three Buildkite
// builds, one GPU each, and DBRX's benchmark_latency.py runs of vLLM pull
// request 3692 (32 in, 128 out, batch 8-64, tp 4 and 8 on H100s). Each row
// parses to the static batch it states, on the registry GPU its hardware
// column names.
func TestPublishedVLLMRows(t *testing.T) {
	ds, err := LoadReference()
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		model       string
		hw          string // registry key
		tp, batch   int
		experts, k  int
		s           float64 // measured seconds
		sourceNamed bool    // the row is its source's first, which names the source in full
	}
	rows := map[string]want{}
	for build, hw := range map[string]string{"vllm9513_h200": "H200", "vllm9523_a100": "A100", "vllm9555_h100": "H100"} {
		ms := map[string][3]float64{
			"vllm9513_h200": {834.059, 2075.08, 1921.1},
			"vllm9523_a100": {1579.27, 3990.59, 3643.84},
			"vllm9555_h100": {997.542, 2444.47, 2326.97},
		}[build]
		rows[build+"_llama3_8b_tp1_8_32_128"] = want{"Llama 3 8B", hw, 1, 8, 0, 0, ms[0] / 1e3, false}
		rows[build+"_llama3_70b_tp4_8_32_128"] = want{"Llama 3 70B", hw, 4, 8, 0, 0, ms[1] / 1e3, false}
		rows[build+"_mixtral8x7b_tp2_8_32_128"] = want{"Mixtral 8x7B", hw, 2, 8, 8, 2, ms[2] / 1e3, false}
	}
	// DBRX, the pull request's "This PR" block, seconds.
	for tp, s := range map[int][4]float64{4: {3.2545747229084374, 3.6656158388964832, 3.978769546896219, 4.446144629847258},
		8: {2.305059498753399, 2.564341889191419, 2.7666698359698056, 3.3472835789062083}} {
		for i, b := range []int{8, 16, 32, 64} {
			rows[fmt.Sprintf("vllm3692_h100_dbrx_tp%d_%d_32_128", tp, b)] = want{"DBRX", "H100", tp, b, 16, 4, s[i], tp == 4 && b == 8}
		}
	}
	// Mixtral 8x22B on A100-80GBs, pull request 4002's "with config"
	// blocks, seconds (tp 8 at batch 32 to the stored copy's digits).
	for tp, s := range map[int][3]float64{4: {5.4268179705676935, 6.107941208345195, 6.893939550562451},
		8: {3.7083894722008455, 4.047313968433688, 4.3906944}} {
		for i, b := range []int{8, 16, 32} {
			rows[fmt.Sprintf("vllm4002_a100_mixtral8x22b_tp%d_%d_32_128", tp, b)] = want{"Mixtral 8x22B", "A100", tp, b, 8, 2, s[i], tp == 4 && b == 8}
		}
	}
	for _, id := range []string{"vllm9513_h200_mixtral8x7b_tp2_8_32_128", "vllm9523_a100_llama3_8b_tp1_8_32_128", "vllm9555_h100_llama3_8b_tp1_8_32_128"} {
		w := rows[id]
		w.sourceNamed = true
		rows[id] = w
	}
	seen := 0
	for _, p := range ds.Published {
		if !strings.HasPrefix(p.ID, "vllm") {
			continue
		}
		w, ok := rows[p.ID]
		if !ok {
			t.Errorf("%s: not a known vLLM row", p.ID)
			continue
		}
		seen++
		// The pull requests' runs are vLLM's engine of early 2024, the
		// nightly builds its later one.
		sw, swName := VLLM, "vllm"
		if strings.HasPrefix(p.ID, "vllm3692_") || strings.HasPrefix(p.ID, "vllm4002_") {
			sw, swName = VLLM04, "vllm-0.4"
		}
		if p.Software != swName || p.Model != w.model || p.TP != w.tp || p.GPUs != w.tp || p.Shape.Experts != w.experts || p.Shape.ActiveExperts != w.k || p.Precision != "bf16" {
			t.Errorf("%s: %+v", p.ID, p)
		}
		if (p.Source != "same") != w.sourceNamed || (w.sourceNamed && !strings.Contains(p.Source, "https://")) {
			t.Errorf("%s: source %q", p.ID, p.Source)
		}
		if k := HardwareKey(nil, p.Hardware); k != w.hw {
			t.Errorf("%s: hardware %q resolves to %q, want %s", p.ID, p.Hardware, k, w.hw)
		}
		pt, ok := p.Point()
		if !ok {
			t.Errorf("%s: no point", p.ID)
			continue
		}
		if pt.Class != ClassServe || pt.Batch != w.batch || pt.Seq != 32 || pt.Out != 128 || pt.TP != w.tp || pt.Software() != sw {
			t.Errorf("%s: point %+v", p.ID, pt)
		}
		if (pt.Mode == "moe") != (w.experts > 0) {
			t.Errorf("%s: mode %q", p.ID, pt.Mode)
		}
		if math.Abs(pt.S-w.s) > 1e-12 {
			t.Errorf("%s: %g s, want %g", p.ID, pt.S, w.s)
		}
	}
	if seen != len(rows) {
		t.Errorf("%d vLLM rows, want %d", seen, len(rows))
	}
}
