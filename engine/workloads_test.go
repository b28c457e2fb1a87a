package engine

import (
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

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

// A 50-step Stable Diffusion 1.5 image is 50 U-Net steps on two latents
// (classifier-free guidance), timed operator by operator: on the order of
// a second on an A100 and an H100, as published, where it used to take
// 1.4 ms on an H100 (50 × the registry's 20 GFLOP at peak). The published
// figure: fal.ai's stable-diffusion-benchmarks, SD 1.5 at 512×512, 50
// steps, A100 80GB SXM, diffusers (torch 2.1, SDPA): 1.604 s an image
// (text encoder and VAE included, which the model leaves out). The check
// is an order of magnitude, not a fit.
func TestStableDiffusionImage(t *testing.T) {
	const publishedA100S = 1.604
	img := func(hw string, f func(*Config)) Result {
		c := cfg(t, "StableDiffusion_v1_5", hw, func(c *Config) {
			c.Mode, c.Fidelity = Inference, FidelityCalibrated
			if f != nil {
				f(c)
			}
		})
		return Evaluate(&c)
	}
	a100, h100 := img("A100", nil), img("H100", nil)
	if r := a100.LatencyS / publishedA100S; r < 0.1 || r > 10 {
		t.Errorf("A100 image %v s, published %v s: off by more than 10×", a100.LatencyS, publishedA100S)
	}
	if !(h100.LatencyS > 0.1 && h100.LatencyS < 10) || !(h100.LatencyS < a100.LatencyS) || h100.Calib.Kind.String() == "" {
		t.Errorf("H100 image %v s (A100 %v s)", h100.LatencyS, a100.LatencyS)
	}
	// The steps are a parameter: half the steps, half the time.
	if h25 := img("H100", func(c *Config) { c.Work.DiffusionSteps = 25 }); h25.LatencyS != h100.LatencyS/2 {
		t.Errorf("25 steps %v, 50 steps %v", h25.LatencyS, h100.LatencyS)
	}
	// By operation class: convolutions and projections are matrix
	// products, the self- and cross-attention attention, the norms, gates
	// and copies element-wise; they sum to the image's time.
	s := &h100.Calib.Step
	if !(s.MatmulS > 0 && s.AttentionS > 0 && s.ElementwiseS > 0 && s.OverheadS >= 0) || s.OptimizerS != 0 {
		t.Errorf("image parts %+v", *s)
	}
	if d := s.Sum() - h100.LatencyS; d*d > 1e-18*h100.LatencyS*h100.LatencyS {
		t.Errorf("image parts sum to %v, latency %v", s.Sum(), h100.LatencyS)
	}
}

// A state-space model's time parts: products and the selective scan
// (element-wise: a memory-bound kernel on the vector units), no
// attention; the prefill's and a decode step's parts sum to prefill_s and
// itl_s, an inference step's to latency_s.
func TestMambaTimeParts(t *testing.T) {
	sv := calServeEval(t, "Mamba_2_8B", "H100", func(c *Config) { c.BatchSize, c.SeqLen, c.OutputTokens = 8, 2048, 64 })
	c := cfg(t, "Mamba_2_8B", "H100", func(c *Config) { c.Mode, c.Fidelity, c.BatchSize = Inference, FidelityCalibrated, 8 })
	inf := Evaluate(&c)
	for _, x := range []struct {
		what  string
		parts TimeParts
		total float64
	}{{"prefill", sv.Calib.Prefill, sv.Serve.PrefillS}, {"decode", sv.Calib.Decode, sv.ITLS}, {"inference", inf.Calib.Step, inf.LatencyS}} {
		p := x.parts
		if !(p.MatmulS > 0 && p.ElementwiseS > 0) || p.AttentionS != 0 || p.CommS != 0 || p.CommPPS != 0 {
			t.Errorf("%s parts %+v", x.what, p)
		}
		if d := p.Sum() - x.total; !(x.total > 0) || d*d > 1e-18*x.total*x.total {
			t.Errorf("%s parts sum to %v, not %v", x.what, p.Sum(), x.total)
		}
	}
	// A decode step (one token) is the inference step of the same batch.
	if sv.Calib.Decode != inf.Calib.Step {
		t.Errorf("decode step parts %+v, inference step %+v", sv.Calib.Decode, inf.Calib.Step)
	}
}

// BenchmarkEvaluateWorkloads times the models this file and its siblings
// add: a pipeline-parallel serving row (Llama3_70B, tp 4 × pp 2, batch
// 64), W4A16 serving (Llama3_8B int4, batch 32), Mamba-2.8B serving (batch
// 16, 2,048-token prompts) and one Stable Diffusion 1.5 image, on an H100.
func BenchmarkEvaluateWorkloads(b *testing.B) {
	for _, bc := range []struct {
		name, model string
		mode        Mode
		f           func(*Config)
	}{
		{"pipeline-serving", "Llama3_70B", Serving, func(c *Config) { c.BatchSize, c.OutputTokens, c.Dist.TP, c.Dist.PP = 64, 256, 4, 2 }},
		{"w4a16-serving", "Llama3_8B", Serving, func(c *Config) { c.BatchSize, c.OutputTokens, c.Precision = 32, 256, registry.INT4 }},
		{"mamba-serving", "Mamba_2_8B", Serving, func(c *Config) { c.BatchSize, c.OutputTokens = 16, 256 }},
		{"diffusion-image", "StableDiffusion_v1_5", Inference, nil},
		{"hybrid-training", "Nemotron_3_Nano_30B_A3B", Training, func(c *Config) { c.BatchSize, c.SeqLen = 4, 4096 }},
	} {
		c := cfg(b, bc.model, "H100", func(c *Config) {
			c.Mode, c.Fidelity = bc.mode, FidelityCalibrated
			c.Serve.SkipBatchingThroughput = true
			if bc.f != nil {
				bc.f(c)
			}
		})
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Evaluate(&c)
			}
		})
	}
}
