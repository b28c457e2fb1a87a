package calibration

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"

	"github.com/mlsysim/mlsysim-go/registry"
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
	// ServingEngine: the stack is an inference engine (vLLM, SGLang,
	// TensorRT-LLM) that trains nothing, so the engine leaves a training
	// row on it unpriced (engine's ReasonStackMode) rather than price a
	// step no such runtime takes.
	ServingEngine bool `json:"serving_engine,omitempty"`
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
	// DecodeKVPerQueryHead: the decode attention kernel runs one thread
	// block per query head, each reading its KV head's cache, so a
	// grouped-query model's cache is read once per query head
	// (heads/kv_heads times) rather than once per KV head (TensorRT-LLM's
	// masked multi-head attention kernel before its XQA kernel for
	// MQA/GQA). False: a GQA-aware kernel reads each KV head once.
	DecodeKVPerQueryHead bool `json:"decode_kv_per_query_head"`
	// Activations16: at an 8-bit precision the engine quantises only its
	// GEMMs' inputs and keeps the activations between operators in its
	// 16-bit dtype, so the tensor-parallel all-reduces of serving sum
	// 16-bit layer outputs and its pipeline stages send 16-bit activations
	// (ServeActivationBytes), and its attention and element-wise kernels
	// run at the 16-bit rate over 2-byte elements, the KV cache at its own
	// bytes (activations16Device).
	Activations16 bool `json:"activations_16bit"`
	// FP8Recipe is "all" (an 8-bit precision runs every operator at 8
	// bits) or "te" (Transformer Engine: only the linear layers' products
	// at 8 bits; attention, element-wise ops, output layer and loss in
	// bf16, plus the casts of the products' inputs and output gradients).
	FP8Recipe string `json:"fp8_recipe"`
	// StepOverheadS is the runtime's fixed time per engine step (each
	// forward pass of a prefill, a prefill chunk or a decode step: host
	// scheduling, launch and synchronisation), seconds. Fitted to the
	// stack's published points where there are any (FitStepOverhead,
	// `sweep accuracy` checks it leave-one-source-out); 0 otherwise.
	StepOverheadS float64 `json:"step_overhead_s"`
	// TPCommOverlap: the tensor-parallel collectives of the linear layers
	// run pipelined with their products (Transformer Engine's userbuffers,
	// tp_comm_overlap), so a training step exposes only the collective
	// time in excess of the layers' GEMM time (engine's comm_tp_s).
	TPCommOverlap bool `json:"tp_comm_overlap"`
	// AttnFwdFrac and AttnBwdFrac are the fractions of the dense 16-bit
	// matrix peak that the stack's fused attention kernel reaches in the
	// forward and in the backward pass, where the stack names a kernel
	// whose published rate differs from the one the profile's attn_frac
	// and attn_bwd_factor were fitted to (0, both: the profile's). The
	// backward then does AttnBwdFLOPs times the forward's work at
	// AttnBwdFrac: its time is the forward's × AttnBwdFLOPs ·
	// AttnFwdFrac / AttnBwdFrac.
	AttnFwdFrac float64 `json:"attn_fwd_frac"`
	AttnBwdFrac float64 `json:"attn_bwd_frac"`
	// MoELayerMicrobatchS is the time per MoE layer per micro-batch of a
	// training step (forward and backward) that the operator model's
	// kernels do not account for on this stack, seconds, whatever the
	// micro-batch's tokens: on Megatron-Core, the dropless token
	// dispatcher (MoEAlltoAllTokenDispatcher, core/transformer/moe/
	// token_dispatcher.py) moves tokens_per_expert to the host before its
	// all-to-all in every MoE layer, forward and backward; the GPU's queue
	// drains there, and the host's dispatch of the layer's many small
	// kernels (router, permutation, Transformer Engine's GroupedLinear:
	// a GEMM per local expert, grouped_linear.py) is no longer hidden behind the
	// GPU's work. Fitted to the stack's published MoE runs (`sweep
	// accuracy` refits it and checks it leave-one-release-out); 0 on the
	// other stacks.
	MoELayerMicrobatchS float64 `json:"moe_layer_microbatch_s"`
	// MoELayerMicrobatchHybridEPS is the same time per MoE layer per
	// micro-batch where Megatron-Core's flex token dispatcher runs on its
	// HybridEP backend (moe_token_dispatcher_type "flex",
	// moe_flex_dispatcher_backend "hybridep") with Transformer Engine's
	// CUDA graphs over the router and the dispatch preprocessing
	// (cuda_graph_scope moe_router, moe_preprocess), as Megatron-Bridge's
	// performance recipes run their GB200 and GB300 NVL72 MoE runs
	// (Step.MoEHybridEP). HybridEP's dispatch fuses the permutation into
	// the all-to-all and returns tokens_per_expert on the device
	// (Megatron-Core's _HybridEPManager, token_dispatcher.py); dropless, it
	// still waits once on the host for the received tokens (its
	// num_permuted_tokens: "None means no up-bound, will cause a CPU
	// sync"), but the router and preprocessing replay as one graph, so
	// less host dispatch is exposed after the drain. Fitted to those runs
	// the way MoELayerMicrobatchS is to the others; 0 on the other stacks.
	MoELayerMicrobatchHybridEPS float64 `json:"moe_layer_microbatch_hybridep_s"`
	// StepHostTerms: the stack's host time between decode steps grows
	// with the step's sequences and with its tensor-parallel workers, as
	// the engines that did all their host work between the GPU's steps
	// and drove each worker by a remote call per step did (vLLM 0.3-0.4:
	// StepSeqS, StepWorkerS). Its three terms are fitted jointly to every
	// published point of the stack, on any number of GPUs
	// (FitStepHostTerms); without it StepSeqS and StepWorkerS are 0 and
	// StepOverheadS is fitted to the single-GPU points alone.
	StepHostTerms bool `json:"step_host_terms"`
	// StepSeqS is the host time per sequence of a decode step, seconds:
	// scheduling it, building its inputs, turning its sampled token into
	// Python objects and detokenising it (DecodeHostS).
	StepSeqS float64 `json:"step_seq_s"`
	// StepWorkerS is the host time per decode step per tensor-parallel
	// worker beyond the driver, seconds: the step's remote call to each
	// worker (DecodeHostS).
	StepWorkerS float64  `json:"step_worker_s"`
	Sources     []string `json:"sources"`
}

// AttnBwdFLOPs is the backward's work over the forward's in fused
// attention: five matrix products (recomputing S = QKᵀ, then dV, dP, dQ,
// dK) against the forward's two (QKᵀ, PV), 2.5× the FLOPs (Dao,
// FlashAttention-2, 2023, the FLOP count of its benchmarks: the backward
// 2.5× the forward's).
const AttnBwdFLOPs = 2.5

// Kernel choices as the hot paths test them.
func (s *Stack) unfused() bool      { return s.Elementwise == "unfused" }
func (s *Stack) materialised() bool { return s.Attention == "materialised" }
func (s *Stack) teFP8() bool        { return s.FP8Recipe == "te" }

// The stacks, in the order of data/stacks.json: a Software value is an
// index into it. The names of the first three are the stacks the engine
// has priced since its first calibrated release.
const (
	PyTorch         Software = iota // plain PyTorch, as the reference measurements ran
	Compiled                        // a compiled engine (TensorRT-LLM-like)
	Megatron                        // Megatron-LM as of 2021
	TorchCompile                    // PyTorch with torch.compile
	MegatronCore                    // Megatron-Core with Transformer Engine (NeMo, Megatron-Bridge)
	VLLM                            // vLLM
	SGLang                          // SGLang
	TensorRTLLM                     // TensorRT-LLM
	MegatronCoreFA2                 // Megatron-Core with Transformer Engine on FlashAttention-2 (NeMo 24.03)
	AutoModel                       // NeMo AutoModel: PyTorch-native FSDP2 on Transformer Engine's layers
	VLLM04                          // vLLM's engine of early 2024 (0.3-0.4): host time per sequence and per worker
	TensorRTLLM05                   // TensorRT-LLM 0.5's runtime: tensorrt-llm's kernels, its own time per engine step
	NumSoftware
)

// stackNames are the names the constants above must have in the file.
var stackNames = [NumSoftware]string{"pytorch", "compiled", "megatron", "torch-compile", "megatron-core", "vllm", "sglang", "tensorrt-llm", "megatron-core-fa2", "automodel", "vllm-0.4", "tensorrt-llm-0.5"}

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
		case !(s.StepOverheadS >= 0 && s.StepOverheadS < 1):
			return out, fmt.Errorf("stacks[%d] (%s): step_overhead_s %v: want in [0, 1)", i, s.Name, s.StepOverheadS)
		case !(s.AttnFwdFrac >= 0 && s.AttnFwdFrac <= 1 && s.AttnBwdFrac >= 0 && s.AttnBwdFrac <= 1) || (s.AttnFwdFrac > 0) != (s.AttnBwdFrac > 0):
			return out, fmt.Errorf("stacks[%d] (%s): attn_fwd_frac %v, attn_bwd_frac %v: want both in (0, 1] or both 0", i, s.Name, s.AttnFwdFrac, s.AttnBwdFrac)
		case !(s.MoELayerMicrobatchS >= 0 && s.MoELayerMicrobatchS < 0.05):
			return out, fmt.Errorf("stacks[%d] (%s): moe_layer_microbatch_s %v: want in [0, 0.05)", i, s.Name, s.MoELayerMicrobatchS)
		case !(s.MoELayerMicrobatchHybridEPS >= 0 && s.MoELayerMicrobatchHybridEPS < 0.05):
			return out, fmt.Errorf("stacks[%d] (%s): moe_layer_microbatch_hybridep_s %v: want in [0, 0.05)", i, s.Name, s.MoELayerMicrobatchHybridEPS)
		case !(s.StepSeqS >= 0 && s.StepSeqS < 0.01 && s.StepWorkerS >= 0 && s.StepWorkerS < 0.01):
			return out, fmt.Errorf("stacks[%d] (%s): step_seq_s %v, step_worker_s %v: want each in [0, 0.01)", i, s.Name, s.StepSeqS, s.StepWorkerS)
		case !s.StepHostTerms && (s.StepSeqS != 0 || s.StepWorkerS != 0):
			return out, fmt.Errorf("stacks[%d] (%s): step_seq_s %v, step_worker_s %v without step_host_terms: want 0", i, s.Name, s.StepSeqS, s.StepWorkerS)
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

// ParseSoftware returns the stack named name (as `software=` spells it).
func ParseSoftware(name string) (Software, bool) {
	for i, n := range softwareNames {
		if n == name {
			return Software(i), true
		}
	}
	return 0, false
}

// StepOverhead returns the runtime's fixed time per engine step of stack
// sw (Stack.StepOverheadS).
func StepOverhead(sw Software) float64 { return stack(sw).StepOverheadS }

// ServingEngine reports whether stack sw is an inference engine that
// trains nothing (Stack.ServingEngine).
func ServingEngine(sw Software) bool { return stack(sw).ServingEngine }

// DecodeHostS returns the host time that stack sw adds to a decode step of
// batch sequences on tp tensor-parallel GPUs beyond its time per engine
// step (StepOverheadS, charged in every pass), seconds:
//
//	StepSeqS · batch + StepWorkerS · (tp − 1)
//
// 0 on a stack without StepHostTerms. batch and tp below 1 count as 1.
func DecodeHostS(sw Software, batch, tp int) float64 {
	s := stack(sw)
	if !s.StepHostTerms {
		return 0
	}
	return s.StepSeqS*float64(max(batch, 1)) + s.StepWorkerS*float64(max(tp, 1)-1)
}

// StepHostTerms returns the host time terms of stack sw: per engine step
// (StepOverheadS), per sequence of a decode step (StepSeqS) and per
// tensor-parallel worker beyond the first of a decode step (StepWorkerS),
// and whether the stack has them (Stack.StepHostTerms).
func StepHostTerms(sw Software) (stepS, seqS, workerS float64, ok bool) {
	s := stack(sw)
	return s.StepOverheadS, s.StepSeqS, s.StepWorkerS, s.StepHostTerms
}

// FitStepHostTerms returns the non-negative host time terms (per engine
// step, per sequence of a decode step, per tensor-parallel worker beyond
// the first of a decode step; seconds) that minimise the squared residual
// per decode step of points i,
//
//	r[i] = (measured[i] − base[i]) / decode[i]
//	     ≈ step · steps[i]/decode[i] + seq · batch[i] + worker · (tp[i] − 1)
//
// base[i] the prediction without the three terms, steps[i] the engine
// steps the point takes (a prefill and its decode steps), decode[i] its
// decode steps (> 0). Least squares over every subset of the terms held
// free (the rest at 0), the best whose free terms come out non-negative:
// the non-negative least-squares optimum. A term the points cannot tell
// from the others (a singular system) is left at 0 in that subset.
// Subsets whose losses differ by less than 1e-12 of Σr² tie, and a tie
// keeps the subset tried first (subsets in the order of the bit mask
// step 1, sequence 2, worker 4: the step term before the worker term). Deterministic; bad input (no points,
// lengths that differ, a point without decode steps) returns zeros.
func FitStepHostTerms(base, steps, decode, batch, tp, measured []float64) (stepS, seqS, workerS float64) {
	n := len(base)
	if n == 0 || len(steps) != n || len(decode) != n || len(batch) != n || len(tp) != n || len(measured) != n {
		return 0, 0, 0
	}
	x := make([][3]float64, n)
	y := make([]float64, n)
	for i := range base {
		if !(decode[i] > 0) {
			return 0, 0, 0
		}
		x[i] = [3]float64{steps[i] / decode[i], batch[i], tp[i] - 1}
		y[i] = (measured[i] - base[i]) / decode[i]
	}
	var yy float64
	for _, v := range y {
		yy += v * v
	}
	best, bestLoss := [3]float64{}, math.Inf(1)
	for mask := 0; mask < 8; mask++ {
		var free []int
		for j := 0; j < 3; j++ {
			if mask&(1<<j) != 0 {
				free = append(free, j)
			}
		}
		c, ok := leastSquares(x, y, free)
		if !ok {
			continue
		}
		var loss float64
		for i := range x {
			e := y[i] - c[0]*x[i][0] - c[1]*x[i][1] - c[2]*x[i][2]
			loss += e * e
		}
		if loss < bestLoss-1e-12*yy { // a tie (collinear terms) keeps the subset found first: the step term before the worker term
			best, bestLoss = c, loss
		}
	}
	return best[0], best[1], best[2]
}

// leastSquares solves the normal equations of y ≈ Σ c[j]·x[j] over the free
// columns (the others 0), by Gaussian elimination with partial pivoting;
// false when a coefficient is negative or the system is singular.
func leastSquares(x [][3]float64, y []float64, free []int) ([3]float64, bool) {
	var c [3]float64
	k := len(free)
	if k == 0 {
		return c, true
	}
	var a [3][4]float64
	for r, jr := range free {
		for q, jq := range free {
			for i := range x {
				a[r][q] += x[i][jr] * x[i][jq]
			}
		}
		for i := range x {
			a[r][k] += x[i][jr] * y[i]
		}
	}
	for col := 0; col < k; col++ {
		p := col
		for r := col + 1; r < k; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[p][col]) {
				p = r
			}
		}
		if !(math.Abs(a[p][col]) > 1e-12*math.Max(1, math.Abs(a[col][col]))) {
			return c, false
		}
		a[col], a[p] = a[p], a[col]
		for r := 0; r < k; r++ {
			if r == col {
				continue
			}
			f := a[r][col] / a[col][col]
			for q := col; q <= k; q++ {
				a[r][q] -= f * a[col][q]
			}
		}
	}
	for r, j := range free {
		c[j] = a[r][k] / a[r][r]
		if !(c[j] >= 0) {
			return c, false
		}
	}
	return c, true
}

// FitStepOverhead returns the step overhead s ≥ 0 (seconds, at most
// 50 ms) that minimises the mean squared log error of predictions
// base[i] + s·steps[i] against measured[i]: golden-section search, 200
// iterations, deterministic. base are the predictions without the
// overhead, steps the engine steps each point takes (a prefill 1, a
// static batch of n output tokens n).
func FitStepOverhead(base, steps, measured []float64) float64 {
	loss := func(s float64) float64 {
		var l float64
		for i := range base {
			e := math.Log((base[i] + s*steps[i]) / measured[i])
			l += e * e
		}
		return l
	}
	return goldenSection(loss, 0, 50e-3, 200)
}

// goldenSection returns the midpoint of the bracket [a, b] narrowed by
// iters steps of golden-section search on loss (each step evaluates loss
// once; a tie keeps the lower part): deterministic, and a minimum for a
// unimodal loss.
func goldenSection(loss func(float64) float64, a, b float64, iters int) float64 {
	g := (math.Sqrt(5) - 1) / 2
	c, d := b-g*(b-a), a+g*(b-a)
	lc, ld := loss(c), loss(d)
	for it := 0; it < iters; it++ {
		if lc <= ld {
			b, d, ld = d, c, lc
			c = b - g*(b-a)
			lc = loss(c)
		} else {
			a, c, lc = c, d, ld
			d = a + g*(b-a)
			ld = loss(d)
		}
	}
	return (a + b) / 2
}

// FitStepOverheads2 returns the pair s1, s2 ≥ 0 that minimises the mean
// squared log error of predictions base[i] + s1·n1[i] + s2·n2[i] against
// measured[i] (FitStepOverhead's measure, extended to two non-negative
// terms): for each s2 the best s1 is FitStepOverhead's (at most 50 ms per
// unit of n1); s2 runs over [0, 50 ms × max n1[i]/n2[i]] (a time per unit
// of n2 worth at most 50 ms per unit of n1 on any point), first on a grid
// of 40 steps, then by golden-section search, 60 iterations, in the two
// steps around the grid's best. Deterministic.
func FitStepOverheads2(base, n1, n2, measured []float64) (s1, s2 float64) {
	var hi float64
	for i := range n1 {
		if n2[i] > 0 {
			hi = math.Max(hi, 50e-3*n1[i]/n2[i])
		}
	}
	b := make([]float64, len(base))
	profile := func(t float64) (float64, float64) {
		for i := range base {
			b[i] = base[i] + t*n2[i]
		}
		s := FitStepOverhead(b, n1, measured)
		var l float64
		for i := range b {
			e := math.Log((b[i] + s*n1[i]) / measured[i])
			l += e * e
		}
		return s, l
	}
	if !(hi > 0) {
		s1, _ = profile(0)
		return s1, 0
	}
	const grid = 40
	best, bestL := 0, math.Inf(1)
	for k := 0; k <= grid; k++ {
		if _, l := profile(hi * float64(k) / grid); l < bestL {
			best, bestL = k, l
		}
	}
	lo, up := hi*float64(max(best-1, 0))/grid, hi*float64(min(best+1, grid))/grid
	s2 = goldenSection(func(t float64) float64 { _, l := profile(t); return l }, lo, up, 60)
	s1, _ = profile(s2)
	return s1, s2
}

// ServeActivationBytes returns the bytes of one activation element that
// serving on stack sw moves between GPUs (a tensor-parallel all-reduce, a
// pipeline stage's send) when the activations are at precision p: 2
// (16-bit) for a stack that keeps its activations 16-bit
// (Stack.Activations16) at a narrower p, p's bytes otherwise.
func ServeActivationBytes(sw Software, p registry.Precision) float64 {
	if stack(sw).Activations16 && p.Bytes() < 2 {
		return registry.BF16.Bytes()
	}
	return p.Bytes()
}

// MoELayerMicrobatchS returns the time per MoE layer per micro-batch of a
// training step on stack sw (Stack.MoELayerMicrobatchS).
func MoELayerMicrobatchS(sw Software) float64 { return stack(sw).MoELayerMicrobatchS }

// MoELayerMicrobatchHybridEPS returns the time per MoE layer per
// micro-batch of a training step on stack sw under the flex dispatcher's
// HybridEP backend with CUDA graphs over the router and preprocessing
// (Stack.MoELayerMicrobatchHybridEPS).
func MoELayerMicrobatchHybridEPS(sw Software) float64 {
	return stack(sw).MoELayerMicrobatchHybridEPS
}

// TPCommOverlap reports whether a training step on stack sw overlaps its
// tensor-parallel collectives with the linear layers' products
// (Stack.TPCommOverlap).
func TPCommOverlap(sw Software) bool { return stack(sw).TPCommOverlap }

// KeepsScores reports whether a training step on stack sw without
// recomputation stores the attention score matrix (Stack.KeepsScores).
func KeepsScores(sw Software) bool { return stack(sw).KeepsScores }

// ActivationBytes returns the bytes of one activation element that
// operators of a training step on stack sw at precision p pass between
// them (and collectives move): CommBytes(sw, p, TrafficActivations).
func ActivationBytes(sw Software, p registry.Precision) float64 {
	return CommBytes(sw, p, TrafficActivations)
}

// Traffic is what a collective of a distributed training step moves.
type Traffic uint8

// The kinds of traffic.
const (
	// TrafficActivations: the tensor-parallel all-reduces (reduce-scatters
	// and all-gathers) of layer outputs and their gradients, the pipeline's
	// point-to-point sends and the MoE all-to-alls of routed tokens.
	TrafficActivations Traffic = iota
	// TrafficKV: the keys and values context parallelism exchanges around
	// its ring of attention ranks.
	TrafficKV
	// TrafficGradients: the data-parallel gradient all-reduce (or the
	// distributed optimizer's reduce-scatter).
	TrafficGradients
	// TrafficWeights: the parameter all-gathers of ZeRO-3 / FSDP (and of
	// the distributed optimizer after its update). The engine's step does
	// not price these all-gathers (its DP time is the gradient reduction);
	// the kind states what they would move.
	TrafficWeights
	NumTraffic
)

// CommBytes returns the bytes of one element of traffic t that a
// collective of a training step on stack sw at precision p moves:
//
//	2 (bf16)      Stack.FP8Recipe "te" and p = fp8, every kind of traffic
//	p.Bytes()     otherwise
//
// Under Transformer Engine's fp8 recipe only the linear layers' products
// run in fp8, on copies of their inputs the layers cast themselves: the
// layer outputs the tensor-parallel all-reduces sum, the activations a
// pipeline stage sends, the tokens an all-to-all dispatches and the K/V of
// the (bf16) attention context parallelism exchanges stay bf16 (Transformer
// Engine documentation, Using FP8 with Transformer Engine; fp8 attention
// is opt-in). The parameters stay in their params_dtype bf16 and are
// all-gathered so (Megatron-Core DistributedDataParallelConfig:
// fp8_param_gather defaults to false), and gradients are reduced in the
// parameters' dtype (grad_reduce_in_fp32 defaults to false: reduce in
// fp32 only when asked). Stacks of the "all" recipe (pytorch, compiled,
// megatron, torch-compile and the serving engines) run every operator at
// the row's precision, so every tensor between operators, and every
// gradient, is p's: their collectives move p's bytes, as before.
func CommBytes(sw Software, p registry.Precision, t Traffic) float64 {
	if stack(sw).teFP8() && p == registry.FP8 {
		return registry.BF16.Bytes()
	}
	return p.Bytes()
}
