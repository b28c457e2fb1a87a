package calibration

import (
	"math"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// The stacks file holds every stack the constants name, in order, each
// with known kernel choices and its sources; a file that does not is an
// error naming the stack and the field.
func TestStacksFile(t *testing.T) {
	st, err := readStacks(stacksJSON)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range st {
		if Software(i).String() != s.Name || s.Doc == "" || len(s.Sources) == 0 {
			t.Errorf("stack %d: %+v", i, s)
		}
	}
	good := string(stacksJSON)
	for _, tc := range []struct{ from, to, want string }{
		{`"name": "vllm"`, `"name": "vllm2"`, "vllm2"},
		{`"elementwise": "unfused"`, `"elementwise": "half"`, "elementwise"},
		{`"attention": "materialised"`, `"attention": "sparse"`, "attention"},
		{`"fp8_recipe": "te"`, `"fp8_recipe": "mx"`, "fp8_recipe"},
		{`"keeps_scores": true,`, `"keeps_scores": true, "graphs": 1,`, "graphs"},
	} {
		in := strings.Replace(good, tc.from, tc.to, 1)
		if in == good {
			t.Fatalf("%q not in the stacks file", tc.from)
		}
		if _, err := readStacks([]byte(in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s → %s: error %v, want one naming %q", tc.from, tc.to, err, tc.want)
		}
	}
}

// The stacks that share kernel choices price a training step alike, and
// Transformer Engine's fp8 recipe sits between bf16 and fp8 throughout:
// its linear products run at the fp8 rate, its attention, element-wise
// kernels, output layer and loss at bf16, plus the casts.
func TestMegatronCoreFP8(t *testing.T) {
	reg := registry.Default()
	hw, _ := reg.Hardware("H100")
	p := Embedded().Profile(hw)
	m := Transformer{Name: "llama3-8b", Layers: 32, Hidden: 4096, Heads: 32, KVHeads: 8, HeadDim: 128, FFN: 14336, Vocab: 128256, GatedMLP: true}
	step := func(sw Software, prec registry.Precision) float64 {
		d := DeviceFor(hw, prec)
		st := Step{Batch: 1, Seq: 8192, Software: sw, Optimizer: true, Params: 8e9}
		return p.TrainStep(&d, &m, &st).Total
	}
	if a, b := step(MegatronCore, registry.BF16), step(Compiled, registry.BF16); a != b {
		t.Errorf("bf16: megatron-core %g s, compiled %g s: the same kernel choices must price alike", a, b)
	}
	if a, b := step(TorchCompile, registry.FP8), step(Compiled, registry.FP8); a != b {
		t.Errorf("fp8 training: torch-compile %g s, compiled %g s: differ only in decode", a, b)
	}
	te, all, bf := step(MegatronCore, registry.FP8), step(Compiled, registry.FP8), step(MegatronCore, registry.BF16)
	if !(all < te && te < bf) {
		t.Errorf("fp8 step: all-fp8 %g s, Transformer Engine recipe %g s, bf16 %g s: want all < te < bf16", all, te, bf)
	}
}

// A stack's step overhead is added once per engine step: once to a
// prefill, once per output token to a static batch (the step counts the
// accuracy report's fit assumes).
func TestStepOverheadPerStep(t *testing.T) {
	reg := registry.Default()
	hw, _ := reg.Hardware("H100")
	p := Embedded().Profile(hw)
	d := DeviceFor(hw, registry.FP8)
	m := Transformer{Name: "llama-7b", Layers: 32, Hidden: 4096, Heads: 32, KVHeads: 32, HeadDim: 128, FFN: 11008, Vocab: 32000, GatedMLP: true}
	s := StepOverhead(TensorRTLLM)
	if !(s > 0) || StepOverhead(Compiled) != 0 {
		t.Fatalf("step overheads: tensorrt-llm %g s, compiled %g s", s, StepOverhead(Compiled))
	}
	pre := p.Prefill(&d, &m, 1, 128, TensorRTLLM).Total - p.Prefill(&d, &m, 1, 128, Compiled).Total
	if math.Abs(pre-s) > 1e-12 {
		t.Errorf("prefill: +%g s, want one step overhead %g s", pre, s)
	}
	srv := p.Serve(&d, &m, 64, 128, 128, TensorRTLLM) - p.Serve(&d, &m, 64, 128, 128, Compiled)
	if math.Abs(srv-128*s) > 1e-9 {
		t.Errorf("static batch of 128 tokens: +%g s, want 128 step overheads %g s", srv, 128*s)
	}
}
