package calibration

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
)

// StacksFile is the name of the software stacks' data in calibration/data.
const StacksFile = "stacks.json"

//go:embed data/stacks.json
var stacksJSON []byte

// Stack is a software stack as data (calibration/data/stacks.json): the
// kernel choices a prediction on it assumes, with the sources they come
// from. Software indexes the stacks in the file's order.
type Stack struct {
	Name string `json:"name"`
	Doc  string `json:"doc"`
	// Elementwise is "unfused" (every norm, rotary, residual and activation
	// its own kernel, as plain PyTorch runs them; eltTable) or "fused".
	Elementwise string `json:"elementwise"`
	// EagerDispatch: prefill and training passes are dispatched op by op
	// from the host, a pass taking max(host, GPU) (Profile.HostLayerS).
	EagerDispatch bool `json:"eager_dispatch"`
	// Attention is "fused" (one kernel at attn_frac of peak, FlashAttention
	// style) or "materialised" (scores written and read: unfusedAttention).
	Attention string `json:"attention"`
	// KeepsScores: a training step without recomputation stores the
	// attention score, softmax and dropout activations (engine's
	// activation memory); false for fused attention.
	KeepsScores bool `json:"keeps_scores"`
	// SplitKVDecode: decode attention split along the context
	// (flash-decoding), filling the GPU at any batch.
	SplitKVDecode bool `json:"split_kv_decode"`
	// FP8Recipe is "all" (an 8-bit precision runs every operator at 8
	// bits) or "te" (Transformer Engine: only the linear layers' products
	// at 8 bits; attention, element-wise ops, output layer and loss in
	// bf16, plus the casts of the products' inputs and output gradients).
	FP8Recipe string   `json:"fp8_recipe"`
	Sources   []string `json:"sources"`
}

// Kernel choices as the hot paths test them.
func (s *Stack) unfused() bool      { return s.Elementwise == "unfused" }
func (s *Stack) materialised() bool { return s.Attention == "materialised" }
func (s *Stack) teFP8() bool        { return s.FP8Recipe == "te" }

// The stacks, in the order of data/stacks.json: a Software value is an
// index into it. The names of the first three are the stacks the engine
// has priced since its first calibrated release.
const (
	PyTorch      Software = iota // plain PyTorch, as the reference measurements ran
	Compiled                     // a compiled engine (TensorRT-LLM-like)
	Megatron                     // Megatron-LM as of 2021
	TorchCompile                 // PyTorch with torch.compile
	MegatronCore                 // Megatron-Core with Transformer Engine (NeMo, Megatron-Bridge)
	VLLM                         // vLLM
	SGLang                       // SGLang
	TensorRTLLM                  // TensorRT-LLM
	NumSoftware
)

// stackNames are the names the constants above must have in the file.
var stackNames = [NumSoftware]string{"pytorch", "compiled", "megatron", "torch-compile", "megatron-core", "vllm", "sglang", "tensorrt-llm"}

// stackTable is data/stacks.json, read when the package is initialised.
var stackTable, softwareNames = mustStacks(stacksJSON)

func mustStacks(b []byte) ([NumSoftware]Stack, [NumSoftware]string) {
	st, err := readStacks(b)
	if err != nil {
		panic("calibration: data/" + StacksFile + ": " + err.Error())
	}
	var names [NumSoftware]string
	for i := range st {
		names[i] = st[i].Name
	}
	return st, names
}

// readStacks parses the stacks file: exactly the stacks of stackNames, in
// that order, each with known kernel choices and at least one source.
func readStacks(b []byte) ([NumSoftware]Stack, error) {
	var out [NumSoftware]Stack
	var f struct {
		Stacks []Stack `json:"stacks"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return out, err
	}
	if len(f.Stacks) != int(NumSoftware) {
		return out, fmt.Errorf("%d stacks, want %d (%v)", len(f.Stacks), NumSoftware, stackNames)
	}
	for i, s := range f.Stacks {
		switch {
		case s.Name != stackNames[i]:
			return out, fmt.Errorf("stacks[%d]: name %q, want %q", i, s.Name, stackNames[i])
		case s.Elementwise != "unfused" && s.Elementwise != "fused":
			return out, fmt.Errorf("stacks[%d] (%s): elementwise %q: want unfused or fused", i, s.Name, s.Elementwise)
		case s.Attention != "fused" && s.Attention != "materialised":
			return out, fmt.Errorf("stacks[%d] (%s): attention %q: want fused or materialised", i, s.Name, s.Attention)
		case s.FP8Recipe != "all" && s.FP8Recipe != "te":
			return out, fmt.Errorf("stacks[%d] (%s): fp8_recipe %q: want all or te", i, s.Name, s.FP8Recipe)
		case len(s.Sources) == 0:
			return out, fmt.Errorf("stacks[%d] (%s): no sources", i, s.Name)
		}
		out[i] = s
	}
	return out, nil
}

// Stacks returns the software stacks, in Software order.
func Stacks() []Stack { return append([]Stack(nil), stackTable[:]...) }

// stack returns the stack of sw (the first for a value out of range).
func stack(sw Software) *Stack {
	if sw >= NumSoftware {
		sw = 0
	}
	return &stackTable[sw]
}

// KeepsScores reports whether a training step on stack sw without
// recomputation stores the attention score matrix (Stack.KeepsScores).
func KeepsScores(sw Software) bool { return stack(sw).KeepsScores }
