package engine

import (
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// Pipeline-parallel serving is priced by the calibrated model (it used to
// be refused): the stages split the weights and KV cache, a token passes
// every stage, and the pipeline's GPUs are tp·pp.
func TestCalibratedServingPipeline(t *testing.T) {
	at := func(f func(*Config)) Result {
		return calServeEval(t, "Llama3_70B", "H100", func(c *Config) {
			c.BatchSize, c.SeqLen, c.OutputTokens = 1, 1024, 128
			f(c)
		})
	}
	one, two := at(func(c *Config) {}), at(func(c *Config) { c.Dist.PP = 2 })
	// 141 GB of fp16 weights do not fit one H100; split over two stages they do.
	if one.Feasible || !two.Feasible || two.Calib.Kind.String() == "" || two.Serve.GPUs != 2 {
		t.Fatalf("pp=1 feasible %v, pp=2 feasible %v (%q, calibration %q, GPUs %d)", one.Feasible, two.Feasible, two.Reason, two.Calib.Kind, two.Serve.GPUs)
	}
	if r := two.MemoryBytes / one.MemoryBytes; r < 0.49 || r > 0.51 {
		t.Errorf("memory per GPU pp=2 / pp=1: %v, want ½", r)
	}
	// One sequence's token passes both stages: the whole model's step plus
	// the activation sent across, never faster than on one GPU.
	if r := two.ITLS / one.ITLS; r < 1 || r > 1.02 {
		t.Errorf("ITL pp=2 / one GPU at batch 1: %v, want ≥ 1 and within the transfer", r)
	}
	// With micro-batches in flight the slowest stage sets the pace: at the
	// same batch a memory-bound decode gains nothing (each micro-batch reads
	// its stage's weights again), at most pp×; the stages' memory holds a
	// larger batch, which delivers more tokens per second.
	b := func(pp, batch int) Result {
		return at(func(c *Config) { c.BatchSize, c.Precision, c.Dist.PP = batch, registry.FP8, pp })
	}
	p1, p4 := b(1, 16), b(4, 16)
	if s := p4.TokensPerS / p1.TokensPerS; s > 4 || s < 0.9 {
		t.Errorf("pp=4 tokens/s speed-up %v at batch 16, want ≈ 1", s)
	}
	if p4.Serve.MaxBatchSize < 4*p1.Serve.MaxBatchSize {
		t.Errorf("largest batch pp=4 %d, pp=1 %d", p4.Serve.MaxBatchSize, p1.Serve.MaxBatchSize)
	}
	m1, m4 := b(1, p1.Serve.MaxBatchSize), b(4, p4.Serve.MaxBatchSize)
	if !m1.Feasible || !m4.Feasible || !(m4.TokensPerS > 2*m1.TokensPerS) {
		t.Errorf("at the largest batch: pp=4 %v tokens/s (feasible %v), pp=1 %v (feasible %v)", m4.TokensPerS, m4.Feasible, m1.TokensPerS, m1.Feasible)
	}
}

// A stage boundary on a node's edge goes over the fabric, slower than
// NVLink inside the node.
func TestPipelineTransferAcrossNodes(t *testing.T) {
	c := cfg(t, "Llama3_70B", "H100", func(c *Config) { c.Mode = Serving })
	c.Dist.TP, c.Dist.PP = 4, 2 // the boundary at GPU 4, inside the node
	inside := ppTransferS(&c, 1e9)
	c.Dist.TP = 8 // the boundary at GPU 8, the node's edge
	across := ppTransferS(&c, 1e9)
	if !(across > inside) {
		t.Errorf("1 GB across nodes %v s, inside a node %v s", across, inside)
	}
}

// A pipeline's evaluation allocates nothing, as every other.
func TestPipelineServingAllocatesNothing(t *testing.T) {
	c := cfg(t, "Llama3_70B", "H100", func(c *Config) {
		c.Mode, c.Fidelity, c.BatchSize, c.OutputTokens = Serving, FidelityCalibrated, 64, 256
		c.Dist.TP, c.Dist.PP, c.Serve.QPS = 4, 4, 10
	})
	if a := testing.AllocsPerRun(50, func() { Evaluate(&c) }); a != 0 {
		t.Errorf("%v allocations per evaluation", a)
	}
}

// A pipeline's prefill_s and itl_s split into the whole model's parts and
// the stage-to-stage sends (comm_pp); when the micro-batches' turns on the
// last stage bound the step, its parts are m × the stage's, without sends.
func TestPipelineTimeParts(t *testing.T) {
	at := func(f func(*Config)) (Config, Result) {
		c := cfg(t, "Llama3_8B", "H100", func(c *Config) {
			c.Mode, c.Fidelity = Serving, FidelityCalibrated
			c.BatchSize, c.SeqLen, c.OutputTokens, c.Precision = 1, 1024, 128, registry.FP16
			f(c)
		})
		return c, Evaluate(&c)
	}
	_, one := at(func(c *Config) {})
	c, two := at(func(c *Config) { c.Dist.PP = 2 })
	// One sequence, one micro-batch: the whole model's step (the same
	// shards as on one GPU) and one activation of h fp16 values per token
	// sent across the boundary.
	h := 2 * float64(c.Model.EffectiveHidden())
	if want := ppTransferS(&c, float64(c.SeqLen)*h); two.Calib.Prefill.CommPPS != want || want <= 0 {
		t.Errorf("prefill_comm_pp_s %v, want the prompt's activations %v", two.Calib.Prefill.CommPPS, want)
	}
	if want := ppTransferS(&c, h); two.Calib.Decode.CommPPS != want || want <= 0 {
		t.Errorf("decode_comm_pp_s %v, want one token's activation %v", two.Calib.Decode.CommPPS, want)
	}
	for _, p := range [][2]TimeParts{{one.Calib.Prefill, two.Calib.Prefill}, {one.Calib.Decode, two.Calib.Decode}} {
		p[1].CommPPS = 0
		if p[0] != p[1] {
			t.Errorf("pp=2 at batch 1 without its sends %+v, want pp=1's %+v", p[1], p[0])
		}
	}
	// Four micro-batches of a memory-bound decode: each reads the last
	// stage's weights in turn, the bound that holds.
	c, four := at(func(c *Config) { c.BatchSize, c.Dist.PP = 16, 4 })
	var p ppSteps
	ppStepsAt(&c, c.BatchSize, c.SeqLen, false, &p)
	if four.ITLS != 4*p.stDec || four.ITLS <= p.full.itl+p.p2pTok {
		t.Fatalf("ITL %v: want the micro-batch bound 4 × %v above one pass %v", four.ITLS, p.stDec, p.full.itl+p.p2pTok)
	}
	var want TimeParts
	want.scaleAdd(&p.stDecParts, 4)
	if four.Calib.Decode != want || want.CommPPS != 0 || want.MatmulS <= 0 {
		t.Errorf("decode parts %+v, want 4 × the last stage's %+v", four.Calib.Decode, want)
	}
}
