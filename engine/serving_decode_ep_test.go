package engine

import (
	"math"
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// decodeEPEval serves DeepSeek-V3 at fp8 on H100s, 256 sequences of 2048
// prompt tokens and 256 output tokens, at tp and ep, disaggregated onto
// H100s at decode_tp and decode_ep when split.
func decodeEPEval(t *testing.T, split bool, tp, ep, dtp, dep int) Result {
	t.Helper()
	h100 := ref(t, registry.Default().Hardware, "H100")
	return calServeEval(t, "DeepSeek_V3", "H100", func(c *Config) {
		c.Precision = registry.FP8
		c.BatchSize, c.SeqLen, c.OutputTokens = 256, 2048, 256
		c.Dist.TP, c.Dist.EP = tp, ep
		if split {
			c.Serve.DecodeHW, c.Serve.DecodeTP, c.Serve.DecodeEP = h100, dtp, dep
		}
	})
}

// Disaggregated expert parallelism with a decode pool equal to the prefill
// pool (same hardware, tp and ep) prices each step as the colocated replica
// does: the same decode step, all-to-alls and memory per GPU; the batch's
// prefill is the colocated one plus the KV transfer; the replica counts
// both pools, twice the colocated GPUs. decode_ep = ep is the default bit
// for bit.
func TestDecodeEPEqualPools(t *testing.T) {
	for _, tp := range []int{1, 4} {
		colo, split, def := decodeEPEval(t, false, tp, 32, 0, 0), decodeEPEval(t, true, tp, 32, tp, 32), decodeEPEval(t, true, tp, 32, 0, 0)
		if !colo.Feasible || !split.Feasible {
			t.Fatalf("tp=%d: feasible %v (%q) colocated, %v (%q) split", tp, colo.Feasible, colo.Reason, split.Feasible, split.Reason)
		}
		if split != def {
			t.Errorf("tp=%d: decode_ep = ep changed the result: ITL %v → %v", tp, def.ITLS, split.ITLS)
		}
		if split.ITLS != colo.ITLS || split.Calib.Decode != colo.Calib.Decode {
			t.Errorf("tp=%d: ITL %v split, %v colocated; decode parts %+v vs %+v", tp, split.ITLS, colo.ITLS, split.Calib.Decode, colo.Calib.Decode)
		}
		if split.MemoryBytes != colo.MemoryBytes || split.Serve.MaxBatchSize != colo.Serve.MaxBatchSize {
			t.Errorf("tp=%d: memory %v (max batch %d) split, %v (%d) colocated", tp, split.MemoryBytes, split.Serve.MaxBatchSize, colo.MemoryBytes, colo.Serve.MaxBatchSize)
		}
		xfer := split.Calib.Prefill.TransferS
		if !(xfer > 0) || math.Abs(split.Serve.PrefillS-(colo.Serve.PrefillS+xfer)) > 1e-12*split.Serve.PrefillS {
			t.Errorf("tp=%d: batch prefill %v split, %v colocated + KV transfer %v", tp, split.Serve.PrefillS, colo.Serve.PrefillS, xfer)
		}
		if split.Calib.Prefill.CommEPS != colo.Calib.Prefill.CommEPS || !(colo.Calib.Prefill.CommEPS > 0) {
			t.Errorf("tp=%d: prefill all-to-alls %v split, %v colocated", tp, split.Calib.Prefill.CommEPS, colo.Calib.Prefill.CommEPS)
		}
		if colo.Serve.GPUs != 32 || split.Serve.GPUs != 64 || split.Serve.DecodeGPUs != 32 {
			t.Errorf("tp=%d: GPUs %d colocated, %d split (decode %d): want 32, 64 (32)", tp, colo.Serve.GPUs, split.Serve.GPUs, split.Serve.DecodeGPUs)
		}
		// Both pools' 32 H100s draw power over the same cycle.
		if r := split.EnergyJ / colo.EnergyJ; !(r > 1.9 && r < 2.2) {
			t.Errorf("tp=%d: energy %v split, %v colocated: ratio %v, want about 2 (two pools over a cycle longer by the transfer)", tp, split.EnergyJ, colo.EnergyJ, r)
		}
	}
}

// A wider decode pool (decode_ep) holds fewer experts on each GPU, so its
// memory per GPU falls, and pays more in its all-to-alls as they spread
// over more nodes of the fabric; the prefill pool at ep 32 stays as it is
// and the replica counts 32 + decode_ep GPUs.
func TestDecodeEPWidth(t *testing.T) {
	prev := decodeEPEval(t, true, 1, 32, 1, 16)
	for _, dep := range []int{32, 64, 128, 256} {
		r := decodeEPEval(t, true, 1, 32, 1, dep)
		if !r.Feasible {
			t.Fatalf("decode_ep=%d: %q", dep, r.Reason)
		}
		if !(r.MemoryBytes < prev.MemoryBytes) {
			t.Errorf("decode_ep=%d: memory per GPU %v, not below %v", dep, r.MemoryBytes, prev.MemoryBytes)
		}
		if !(r.Calib.Decode.CommEPS > prev.Calib.Decode.CommEPS) {
			t.Errorf("decode_ep=%d: decode all-to-alls %v, not above %v", dep, r.Calib.Decode.CommEPS, prev.Calib.Decode.CommEPS)
		}
		if r.Serve.PrefillS != prev.Serve.PrefillS || r.TTFTS != prev.TTFTS || r.Calib.Prefill != prev.Calib.Prefill {
			t.Errorf("decode_ep=%d: the prefill moved: %v → %v", dep, prev.Serve.PrefillS, r.Serve.PrefillS)
		}
		if r.Serve.GPUs != 32+dep || r.Serve.DecodeGPUs != dep {
			t.Errorf("decode_ep=%d: GPUs %d (decode %d), want %d (%d)", dep, r.Serve.GPUs, r.Serve.DecodeGPUs, 32+dep, dep)
		}
		prev = r
	}
	// DeepSeek-V3 §3.4's layout: prefill attention TP4 with EP32, decode
	// attention TP4 with EP320 (here 256, dividing its 256 experts): the
	// decode GPU holds the dense part / 4 and one expert a layer.
	r := decodeEPEval(t, true, 4, 32, 4, 256)
	if !r.Feasible || r.Serve.GPUs != 32+256 {
		t.Errorf("tp4 ep32 / tp4 ep256: feasible %v (%q), GPUs %d", r.Feasible, r.Reason, r.Serve.GPUs)
	}
}

// The memory of each pool is checked at its own layout: DeepSeek-V3's
// 671 GB of fp8 weights fit neither one decode H100 nor eight; the decode
// pool at decode_ep 1 is refused for memory while the prefill pool at ep
// 32 holds its share; a prefill pool of tp 8 without EP does not hold the
// weights whatever the decode pool.
func TestDecodeEPMemoryPerPool(t *testing.T) {
	for _, dep := range []int{1, 8} {
		if r := decodeEPEval(t, true, 1, 32, 1, dep); r.Feasible || r.Reason != ReasonMemory {
			t.Errorf("decode_ep=%d: feasible %v (%q), want memory", dep, r.Feasible, r.Reason)
		}
	}
	if r := decodeEPEval(t, true, 8, 1, 1, 64); r.Feasible || r.Reason != ReasonMemory {
		t.Errorf("prefill tp 8 without EP: feasible %v (%q), want memory", r.Feasible, r.Reason)
	}
	// At ep 8 a prefill GPU holds 32 experts a layer, over 80 GB; at ep
	// 16 (16 experts a layer) it fits.
	if r := decodeEPEval(t, true, 1, 8, 1, 64); r.Feasible || r.Reason != ReasonMemory {
		t.Errorf("prefill ep 8, decode ep 64: feasible %v (%q), want memory", r.Feasible, r.Reason)
	}
	if r := decodeEPEval(t, true, 1, 16, 1, 64); !r.Feasible {
		t.Errorf("prefill ep 16, decode ep 64: %q", r.Reason)
	}
}

// decode_ep is refused where the calibrated model does not price it, and
// ignored without decode_hardware (sweeps and eval refuse it there,
// engine.UnsetNeeds).
func TestDecodeEPRefused(t *testing.T) {
	h100 := ref(t, registry.Default().Hardware, "H100")
	for _, tc := range []struct {
		name, model string
		f           func(*Config)
		want        Reason
	}{
		{"dense", "Llama3_8B", func(c *Config) { c.Serve.DecodeHW, c.Serve.DecodeEP = h100, 2 }, ReasonServingEPDense},
		{"not dividing the experts", "Mixtral_8x7B", func(c *Config) { c.Serve.DecodeHW, c.Serve.DecodeEP = h100, 16 }, ReasonServingEPLayout},
		{"not a multiple of decode_tp", "Mixtral_8x7B", func(c *Config) { c.Serve.DecodeHW, c.Serve.DecodeTP, c.Serve.DecodeEP = h100, 4, 2 }, ReasonServingEPLayout},
		{"ep not a multiple of decode_tp", "Mixtral_8x7B", func(c *Config) { c.Dist.EP = 2; c.Serve.DecodeHW, c.Serve.DecodeTP = h100, 4 }, ReasonServingEPLayout},
		{"with pp", "Mixtral_8x7B", func(c *Config) { c.Dist.PP, c.Serve.DecodeHW, c.Serve.DecodeEP = 2, h100, 2 }, ReasonServingPP},
	} {
		r := calServeEval(t, tc.model, "H100", tc.f)
		if r.Feasible || r.Reason != tc.want {
			t.Errorf("%s: feasible %v reason %q, want %q", tc.name, r.Feasible, r.Reason, tc.want)
		}
	}
	colo := func(dep int) Result {
		return calServeEval(t, "Mixtral_8x7B", "H100", func(c *Config) { c.Dist.EP, c.OutputTokens, c.Serve.DecodeEP = 2, 64, dep })
	}
	if colo(8) != colo(0) {
		t.Error("decode_ep without decode_hardware changed the result")
	}
	// Under mlsysim, whose serving has no expert parallelism, decode_ep
	// changes nothing, as ep does not.
	ml := func(dep int) Result {
		return calServeEval(t, "Mixtral_8x7B", "H100", func(c *Config) {
			c.Fidelity, c.OutputTokens = FidelityMLSysim, 64
			c.Serve.DecodeHW, c.Serve.DecodeEP = h100, dep
		})
	}
	if a, b := ml(8), ml(0); a != b || a.Serve.DecodeGPUs != 1 {
		t.Errorf("mlsysim: decode_ep changed the result (decode GPUs %d, %d)", a.Serve.DecodeGPUs, b.Serve.DecodeGPUs)
	}
}

// Speculative decoding beside expert parallelism: DeepSeek-V3 at ep 32
// with Llama-3.2 1B as a draft (a dense draft on each attention group's
// GPU, as the target's attention). The draft's steps are cheap beside
// the target's, so at a high acceptance the draft speeds decode up; each
// verify pass pays the target's all-to-alls of its K + 1 tokens a
// sequence, more than a plain step's; the draft's weights and KV cache
// count in each GPU's memory; the decode parts still sum to itl_s. Colocated
// and disaggregated onto an equal decode pool, the speculative step is
// the same.
func TestServingEPDraft(t *testing.T) {
	reg := registry.Default()
	draft := ref(t, reg.Model, "Llama3_1B")
	h100 := ref(t, reg.Hardware, "H100")
	eval := func(d *registry.Model, split bool) Result {
		return calServeEval(t, "DeepSeek_V3", "H100", func(c *Config) {
			c.Precision = registry.FP8
			c.BatchSize, c.SeqLen, c.OutputTokens = 8, 2048, 256
			c.Dist.EP = 32
			c.Serve.Draft, c.Serve.Acceptance = d, 0.9
			if split {
				c.Serve.DecodeHW = h100
			}
		})
	}
	plain, spec, split := eval(nil, false), eval(draft, false), eval(draft, true)
	if !spec.Feasible || !split.Feasible {
		t.Fatalf("ep 32 with a draft: %q, split %q", spec.Reason, split.Reason)
	}
	if !(spec.Serve.SpeculativeSpeedup > 1 && spec.ITLS < plain.ITLS) {
		t.Errorf("speculative speedup %v, ITL %v vs %v without the draft", spec.Serve.SpeculativeSpeedup, spec.ITLS, plain.ITLS)
	}
	if !(spec.Calib.Decode.CommEPS > 0) {
		t.Errorf("speculative decode all-to-alls %v, want > 0", spec.Calib.Decode.CommEPS)
	}
	if s := spec.Calib.Decode.Sum(); math.Abs(s-spec.ITLS) > 1e-9*spec.ITLS {
		t.Errorf("decode parts sum to %v, itl_s %v", s, spec.ITLS)
	}
	if !(spec.MemoryBytes > plain.MemoryBytes) {
		t.Errorf("memory %v with the draft, %v without", spec.MemoryBytes, plain.MemoryBytes)
	}
	if split.ITLS != spec.ITLS || split.Calib.Decode != spec.Calib.Decode {
		t.Errorf("ITL %v split onto an equal pool, %v colocated", split.ITLS, spec.ITLS)
	}
}

// Expert parallelism in a pipeline: DeepSeek-V3 at ep 32 in pp 2 stages
// is 64 GPUs, each holding half the layers' share of the ep 32 layout's
// weights (the dense part / 2, the experts / (32·2)); the stages'
// all-to-alls show in both steps' parts, which still sum to prefill_s and
// itl_s. A stage of 32 GPUs spans four nodes, so its one boundary crosses
// the fabric.
func TestServingEPPipeline(t *testing.T) {
	eval := func(pp int) Result {
		return calServeEval(t, "DeepSeek_V3", "H100", func(c *Config) {
			c.Precision = registry.FP8
			c.BatchSize, c.SeqLen, c.OutputTokens = 64, 2048, 256
			c.Dist.EP, c.Dist.PP = 32, pp
		})
	}
	one, two := eval(1), eval(2)
	if !one.Feasible || !two.Feasible {
		t.Fatalf("ep 32: %q at pp 1, %q at pp 2", one.Reason, two.Reason)
	}
	if two.Serve.GPUs != 64 {
		t.Errorf("ep 32 pp 2: %d GPUs, want 64", two.Serve.GPUs)
	}
	if !(two.MemoryBytes < one.MemoryBytes) {
		t.Errorf("memory per GPU %v at pp 2, not below %v at pp 1", two.MemoryBytes, one.MemoryBytes)
	}
	for _, r := range []Result{one, two} {
		if !(r.Calib.Prefill.CommEPS > 0 && r.Calib.Decode.CommEPS > 0) {
			t.Errorf("EP parts %v, %v, want > 0", r.Calib.Prefill.CommEPS, r.Calib.Decode.CommEPS)
		}
		if s := r.Calib.Prefill.Sum(); math.Abs(s-r.Serve.PrefillS) > 1e-9*r.Serve.PrefillS {
			t.Errorf("prefill parts sum to %v, prefill_s %v", s, r.Serve.PrefillS)
		}
		if s := r.Calib.Decode.Sum(); math.Abs(s-r.ITLS) > 1e-9*r.ITLS {
			t.Errorf("decode parts sum to %v, itl_s %v", s, r.ITLS)
		}
	}
	if !(two.Calib.Prefill.CommPPS > 0) {
		t.Errorf("pp 2: stage transfers %v, want > 0", two.Calib.Prefill.CommPPS)
	}
}
