package engine

import (
	"math"
	"testing"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/registry"
)

func calCfg(t testing.TB, model, hw string, mode Mode, batch, seq int) Config {
	t.Helper()
	c := cfg(t, model, hw, nil)
	c.Fidelity, c.Mode, c.BatchSize, c.SeqLen, c.Precision = FidelityCalibrated, mode, batch, seq, registry.BF16
	return c
}

// Table: H100 measurements (calibration/reference/h100-2026-11-26.json,
// median of CUDA-event timings) against the engine's calibrated fidelity on
// the registry's Llama3_8B, whose parameter count (8.03e9) matches the
// measured model's layers + head + embedding.
func TestCalibratedTable(t *testing.T) {
	cases := []struct {
		name      string
		mode      Mode
		batch, sq int
		out       func(*Result) float64
		measured  float64
		tol       float64 // relative
	}{
		{"decode b=1 ctx=1024 (llm[6])", Serving, 1, 1024, func(r *Result) float64 { return r.ITLS }, 7.7396e-3, 0.08},
		{"decode b=64 ctx=2048 (llm[11])", Serving, 64, 2048, func(r *Result) float64 { return r.ITLS }, 13.703e-3, 0.08},
		{"prefill b=1 seq=2048 (llm[2])", Serving, 1, 2048, func(r *Result) float64 { return r.Serve.PrefillS }, 58.506e-3, 0.08},
		{"prefill b=4 seq=2048 (llm[4])", Serving, 4, 2048, func(r *Result) float64 { return r.Serve.PrefillS }, 232.24e-3, 0.08},
	}
	for _, tc := range cases {
		c := calCfg(t, "Llama3_8B", "H100", tc.mode, tc.batch, tc.sq)
		r := Evaluate(&c)
		got := tc.out(&r)
		if math.Abs(got/tc.measured-1) > tc.tol {
			t.Errorf("%s: %.3f ms, measured %.3f ms", tc.name, got*1e3, tc.measured*1e3)
		}
		if r.Calib.Kind != calibration.KindMeasured {
			t.Errorf("%s: profile %v, want measured", tc.name, r.Calib.Kind)
		}
	}
}

func TestCalibratedDerivedAndMLSysimColumn(t *testing.T) {
	c := calCfg(t, "Llama3_8B", "A100", Serving, 1, 2048)
	if r := Evaluate(&c); r.Calib.Kind != calibration.KindDerived || LookupOutput("calibration").String(&r) != "derived" {
		t.Errorf("A100: profile %q, want derived", r.Calib.Kind)
	}
	c.Fidelity = FidelityMLSysim
	if r := Evaluate(&c); LookupOutput("calibration").String(&r) != "" {
		t.Errorf("mlsysim fidelity: calibration column %q, want empty", r.Calib.Kind)
	}
}

// Properties: times grow with batch and sequence, and never beat the pure
// roofline at datasheet peak and bandwidth.
func TestCalibratedProperties(t *testing.T) {
	for _, model := range []string{"Llama3_8B", "Llama3_70B", "Mixtral_8x7B", "GPT_J_6B", "ResNet50"} {
		for _, mode := range []Mode{Inference, Training, Serving} {
			if mode == Serving && model == "ResNet50" {
				continue // no tokens to serve: refused (TestCalibratedServingRefused)
			}
			prev := 0.0
			for _, b := range []int{1, 2, 8, 32, 128} {
				c := calCfg(t, model, "H100", mode, b, 1024)
				r := Evaluate(&c)
				if !(r.LatencyS > prev) {
					t.Errorf("%s %v batch %d: latency %g not above %g", model, mode, b, r.LatencyS, prev)
				}
				prev = r.LatencyS
				hw := c.Hardware
				bound := math.Max(r.ArithmeticIntensity*0, 0)
				if mode != Serving {
					fl := r.HFU * r.LatencyS * hw.PeakFor(c.Precision)
					bound = fl / hw.PeakFor(c.Precision)
				}
				if r.LatencyS < bound*(1-1e-9) {
					t.Errorf("%s %v batch %d: %g below roofline bound %g", model, mode, b, r.LatencyS, bound)
				}
			}
			prev = 0
			for _, s := range []int{128, 512, 2048, 8192} {
				c := calCfg(t, model, "H100", mode, 4, s)
				r := Evaluate(&c)
				if r.LatencyS < prev {
					t.Errorf("%s %v seq %d: latency %g below %g", model, mode, s, r.LatencyS, prev)
				}
				prev = r.LatencyS
			}
		}
	}
}

// The calibrated time of a pass is never below the roofline of its own
// FLOPs and bytes at datasheet peak and bandwidth.
func TestCalibratedAboveRoofline(t *testing.T) {
	reg := registry.Default()
	hw, _ := reg.Hardware("H100")
	p := calibration.Embedded().Profile(hw)
	d := calibration.DeviceFor(hw, registry.BF16)
	m := calibration.Transformer{Layers: 32, Hidden: 4096, Heads: 32, KVHeads: 8, HeadDim: 128, FFN: 14336, Vocab: 128256, GatedMLP: true}
	for _, b := range []int{1, 8, 64, 256} {
		for _, s := range []int{128, 1024, 8192} {
			for _, br := range []calibration.Breakdown{p.Prefill(&d, &m, b, s, calibration.PyTorch), p.DecodeStep(&d, &m, b, s, calibration.PyTorch)} {
				lb := math.Max(br.FLOPs/d.PeakFLOPS, br.Bytes/d.MemBps)
				if br.Total < lb {
					t.Errorf("b=%d s=%d: %g below roofline %g", b, s, br.Total, lb)
				}
			}
		}
	}
}

func TestEvaluateCalibratedAllocs(t *testing.T) {
	c := calCfg(t, "Llama3_8B", "A100", Training, 8, 4096)
	if n := testing.AllocsPerRun(100, func() { Evaluate(&c) }); n != 0 {
		t.Errorf("Evaluate allocates %v times", n)
	}
}

func BenchmarkEvaluateCalibrated(b *testing.B) {
	for _, mode := range []Mode{Serving, Training} {
		c := calCfg(b, "Llama3_70B", "H100", mode, 32, 4096)
		b.Run(mode.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Evaluate(&c)
			}
		})
	}
}

// BenchmarkEvaluateCalibratedCNN: ResNet-50 on an H100, batch 256, every
// convolution timed with its shape (53 of them, forward and backward).
func BenchmarkEvaluateCalibratedCNN(b *testing.B) {
	for _, mode := range []Mode{Inference, Training} {
		c := calCfg(b, "ResNet50", "H100", mode, 256, 1)
		b.Run(mode.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Evaluate(&c)
			}
		})
	}
}

// The calibrated distributed step: one stage of one GPU without
// parallelism is the single-GPU training step; tensor parallelism divides
// a stage's work; fidelity mlsysim is untouched by the hook.
func TestCalibratedDistributed(t *testing.T) {
	reg := registry.Default()
	hw, _ := reg.Hardware("A100_40GB")
	p := calibration.Embedded().Profile(hw)
	d := calibration.DeviceFor(hw, registry.FP16)
	m := calibration.Transformer{Layers: 96, Hidden: 12288, Heads: 96, KVHeads: 96, HeadDim: 128, FFN: 49152, Vocab: 51200}
	st := calibration.Step{Batch: 1, Seq: 2048, Recompute: calibration.RecomputeFull, Software: calibration.Compiled}
	// The megatron stack's materialised attention scores cost more than
	// the fused attention.
	meg := st
	meg.Software = calibration.Megatron
	if a, b := p.TrainStep(&d, &m, &meg), p.TrainStep(&d, &m, &st); !(a.Attention > b.Attention) || a.FLOPs != b.FLOPs {
		t.Errorf("megatron attention %g s (%g FLOPs), compiled %g s (%g FLOPs)", a.Attention, a.FLOPs, b.Attention, b.FLOPs)
	}
	whole := p.TrainStep(&d, &m, &st).Total
	one := p.StageMicrobatch(&d, &m, &st, calibration.Stage{Layers: 96, TP: 1, Head: true}).Total
	if math.Abs(one/whole-1) > 1e-12 {
		t.Errorf("stage of all layers, tp 1: %g s, TrainStep %g s", one, whole)
	}
	tp8 := p.StageMicrobatch(&d, &m, &st, calibration.Stage{Layers: 96, TP: 8, Head: true}).Total
	if r := whole / tp8; r < 6 || r > 8 {
		t.Errorf("tp 8 speeds a stage up %.2f×, want 6-8×", r)
	}

	c := DefaultConfig()
	c.Mode, c.Precision = Training, registry.FP16
	c.Model, _ = reg.Model("GPT3")
	cl, _ := reg.Cluster("Selene_A100_40GB")
	c.Dist.System, c.Hardware = cl, cl.Node.Accelerator
	c.Dist.GPUs, c.Dist.TP, c.Dist.PP, c.Dist.Microbatches = 384, 8, 12, 384
	c.BatchSize, c.SeqLen, c.Recompute = 1536, 2048, RecomputeFull
	r := Evaluate(&c)
	if !r.Dist.Active || r.Calib.Kind != calibration.KindDerived || !(r.Calib.MatmulS > 0) || !(r.LatencyS > r.Dist.ReplicaS) {
		t.Errorf("calibrated distributed: %+v", r.Dist)
	}
	c.Fidelity = FidelityMLSysim
	if r := Evaluate(&c); r.Calib.Kind != calibration.KindNone || r.Calib.MatmulS != 0 {
		t.Errorf("mlsysim distributed carries calibrated outputs: %+v", r.Calib)
	}
	c.Fidelity = FidelityCalibrated
	if n := testing.AllocsPerRun(50, func() { Evaluate(&c) }); n != 0 {
		t.Errorf("calibrated distributed Evaluate allocates %v times", n)
	}
}

func BenchmarkEvaluateCalibratedDistributed(b *testing.B) {
	reg := registry.Default()
	c := DefaultConfig()
	c.Mode, c.Precision = Training, registry.FP16
	c.Model, _ = reg.Model("GPT3")
	cl, _ := reg.Cluster("Selene_A100_40GB")
	c.Dist.System, c.Hardware = cl, cl.Node.Accelerator
	c.Dist.GPUs, c.Dist.TP, c.Dist.PP, c.Dist.Microbatches = 384, 8, 12, 384
	c.BatchSize, c.SeqLen, c.Recompute = 1536, 2048, RecomputeFull
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(&c)
	}
}
