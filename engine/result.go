package engine

// Bottleneck names the resource that bounds a step.
type Bottleneck uint8

// The bottlenecks, spelled as mlsysim spells them.
const (
	BottleneckCompute Bottleneck = iota
	BottleneckMemory
	BottleneckNetwork
	numBottlenecks
)

var bottleneckNames = [numBottlenecks]string{"Compute", "Memory", "Network"}

// String returns "Compute", "Memory" or "Network".
func (b Bottleneck) String() string {
	if b < numBottlenecks {
		return bottleneckNames[b]
	}
	return "Unknown"
}

// Reason says why a configuration is infeasible. Its text is fixed, so
// reporting it allocates nothing; the outputs (dist_reason, memory_bytes,
// max_batch_size ...) give the numbers.
type Reason uint8

// The reasons a configuration can be infeasible.
const (
	ReasonNone            Reason = iota // feasible
	ReasonMemory                        // the working set exceeds the device memory
	ReasonNoHeads                       // attention memory needs a head count the model lacks
	ReasonNumerical                     // the arithmetic gave NaN or Inf
	ReasonNoWorkload                    // the model has no FLOPs or bytes to move
	ReasonInvalid                       // a derived parameter value is out of its range
	ReasonParallelism                   // the parallel layout does not fit the GPUs (dist_reason says how)
	ReasonQueue                         // serving: no replica count up to max_replicas keeps the queue stable
	ReasonServingLayout                 // calibrated serving: cp, or pp without transformer layers
	ReasonServingOptions                // calibrated serving: options on a model without transformer layers
	ReasonNoInterconnect                // calibrated serving: tp or ep > 1 (decode_tp or decode_ep > 1 on decode_hardware) on hardware without a link between devices
	ReasonPrecision                     // fp4 arithmetic on hardware listing no fp4 tensor rate (precision.go; the other formats below)
	ReasonNoTokens                      // serving a model that generates no tokens (CNN, diffusion; workloads.go)
	ReasonServingPP                     // calibrated serving: pp with options the pipeline model does not price (serving_pp.go)
	ReasonHybrid                        // a hybrid Mamba-Transformer where no model prices it (fidelity mlsysim, serving options; workloads.go)
	ReasonServingEPDense                // calibrated serving: ep or decode_ep above 1 on a model without MoE layers
	ReasonServingEPLayout               // calibrated serving: ep (decode_ep) not a multiple of its pool's tp (decode_tp) or not dividing the routed experts
	ReasonStackMode                     // calibrated training on a serving engine's stack (calibration.ServingEngine; workloads.go)
	ReasonPrecisionFP8                  // calibrated: fp8 arithmetic on hardware listing no fp8 tensor rate
	ReasonPrecisionINT8                 // calibrated: int8 arithmetic on hardware listing no int8 tensor rate
	ReasonPrecisionINT4                 // calibrated: int4 arithmetic (activation_precision=int4) on hardware listing no int4 tensor rate
	numReasons
)

var reasonText = [numReasons]string{
	"",
	"memory: the working set exceeds device memory",
	"model: activation memory without recomputation needs the head count",
	"numerical: the result is not a finite number",
	"model: nothing to compute",
	"input: a derived parameter value is out of range",
	"parallelism: the layout does not fit the GPUs (see dist_reason)",
	"queue unstable: qps at or above what max_replicas replicas serve (see capacity_bottleneck)",
	"not modelled under calibrated: cp in serving, or pp on a model without transformer layers; use fidelity=mlsysim, which ignores them",
	"not modelled under calibrated: serving options (tp, chunk_size, cached_prefix_len, kv_precision, draft_model, decode_hardware) of a model without transformer layers; use fidelity=mlsysim",
	"not modelled under calibrated: tp or ep > 1 (decode_tp or decode_ep > 1 on decode_hardware) on hardware without NVLink or a host link to all-reduce or exchange tokens over",
	"precision: the hardware (or decode_hardware) lists no fp4 tensor rate for fp4 arithmetic; for fp4 weights with 16-bit arithmetic set weight_precision=fp4 alone (W4A16)",
	"model: serving generates tokens and this model (a CNN or diffusion model) produces none: no TTFT, ITL or tokens per second; use mode=inference",
	"not modelled under calibrated: pp in serving with chunk_size, cached_prefix_len, draft_model or decode_hardware, or more stages than layers",
	"not modelled: a hybrid Mamba-Transformer (hybrid_override_pattern) is priced by fidelity calibrated alone (training without cp, inference, serving without tp, pp, ep, cp, chunk_size, cached_prefix_len, kv_precision, draft_model or decode_hardware); fidelity mlsysim has no Mamba-2 layers and no mix of layer kinds",
	"expert parallelism: ep (or decode_ep) above 1 on a model without MoE layers, which has no experts to spread; set ep=1 (decode_ep=1)",
	"expert parallelism: ep must be a multiple of tp dividing the model's routed experts (with decode_hardware also decode_ep of decode_tp), each GPU holding whole experts",
	"not modelled: software is a serving engine (vllm, vllm-0.4, sglang, tensorrt-llm, tensorrt-llm-0.5), which trains nothing; train on pytorch, torch-compile, compiled, megatron, megatron-core, megatron-core-fa2 or automodel",
	"precision: the hardware (or decode_hardware) lists no fp8 tensor rate, which calibrated prices fp8 arithmetic at (an A100 has none); for fp8 weights with 16-bit arithmetic set weight_precision=fp8 alone (W8A16)",
	"precision: the hardware (or decode_hardware) lists no int8 tensor rate, which calibrated prices int8 arithmetic at; for int8 weights with 16-bit arithmetic set weight_precision=int8 alone (W8A16)",
	"precision: the hardware (or decode_hardware) lists no int4 tensor rate for activation_precision=int4; int4 weights with 16-bit arithmetic (W4A16) are precision=int4 without activation_precision",
}

// PrecisionGap reports whether r says the arithmetic's precision has no
// listed tensor rate on the hardware (ReasonPrecision and its fp8, int8 and
// int4 kin).
func (r Reason) PrecisionGap() bool {
	return r == ReasonPrecision || r == ReasonPrecisionFP8 || r == ReasonPrecisionINT8 || r == ReasonPrecisionINT4
}

// String returns the reason's fixed text, "" for ReasonNone.
func (r Reason) String() string {
	if r < numReasons {
		return reasonText[r]
	}
	return "unknown"
}

// Result is the flat outcome of evaluating one Config. All quantities are SI
// base units; the output vocabulary (Outputs) names and documents each field.
// Fields a mode does not compute are zero.
type Result struct {
	Feasible bool
	Reason   Reason

	LatencyS       float64 // one step (inference, training) or one request (serving)
	ThroughputPerS float64 // samples (inference, training) or requests (serving) per second
	Bottleneck     Bottleneck
	MFU            float64 // model FLOPs / (latency × peak)
	HFU            float64 // hardware FLOPs (with recomputation) / (latency × peak)
	EnergyJ        float64 // accelerator energy of the step or request
	MemoryBytes    float64 // memory the configuration needs on the device

	ComputeS            float64 // time the FLOPs need at peak × η
	MemoryS             float64 // time the bytes need at the effective bandwidth
	OverheadS           float64 // dispatch and per-layer framework taxes
	ArithmeticIntensity float64 // FLOPs per byte moved
	OverheadDominated   bool    // overhead > max(compute, memory)

	EffectiveFLOPS     float64 // peak × η, flop/s
	EffectiveBandwidth float64 // the bandwidth the memory time used, B/s
	OffloadSpillBytes  float64 // bytes that do not fit (offload path only)

	// Serving.
	TTFTS        float64 // time to first token (prefill)
	ITLS         float64 // inter-token latency (one decode step)
	KVCacheBytes float64 // KV cache of the batch at seq_len
	TokensPerS   float64 // decode tokens per second: batch / ITL
	WeightBytes  float64 // model weights at the precision

	// The outcomes of the other models, each defined in its own file.
	Dist  DistResult
	Serve ServeResult
	Fleet FleetResult
	Calib CalibResult
	Band  BandResult
}

// Unpriced reports whether the engine refused r's configuration before any
// model priced it: infeasible with no latency (a priced row's latency is
// positive, engine/invariants_test.go). Reason says why: an arithmetic the
// hardware has no rate for, a layout that cannot exist (Dist.Reason), a
// combination the fidelity does not model. Its numbers are null in the
// vocabulary (NullIfUnpriced).
func (r *Result) Unpriced() bool { return !r.Feasible && r.LatencyS == 0 }

// Unreachable reports whether serving capacity planning (qps > 0) found no
// replica count up to max_replicas that meets p99_target_s (sla_met is
// false): Serve.Replicas is then max_replicas, not a count that serves the
// load. False without capacity planning and outside serving.
func (r *Result) Unreachable() bool { return r.Serve.CapacityBound != "" && !r.Serve.SLAMet }
