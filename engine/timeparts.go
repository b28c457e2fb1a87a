package engine

import "github.com/mlsysim/mlsysim-go/calibration"

// The time of a step by operation class, from the calibrated operator
// model (calibration.Breakdown, accumulated while the model computes): what
// a stacked breakdown plots. Each set of parts sums to the time it splits:
//
//	latency_s = time_matmul_s + time_attention_s + time_elementwise_s + time_optimizer_s + time_overhead_s
//	            + comm_dp_s + comm_tp_s + comm_pp_s + comm_ep_s + comm_cp_s + bubble_s + straggler_s
//	            (inference and training; the communication, bubble and straggler parts are 0 on one GPU)
//	prefill_s = prefill_matmul_s + prefill_attention_s + prefill_elementwise_s + prefill_overhead_s
//	            + prefill_comm_tp_s + prefill_comm_pp_s + prefill_comm_ep_s + prefill_kv_transfer_s
//	itl_s     = decode_matmul_s + decode_attention_s + decode_elementwise_s + decode_overhead_s
//	            + decode_comm_tp_s + decode_comm_pp_s + decode_comm_ep_s
//
// Pipeline-parallel serving (serving_pp.go) splits its prefill as it sums
// it: the whole model's prefill of a micro-batch by class (its tp
// all-reduces in comm_tp), (m − 1) × the last stage's prefill by class and
// all-reduces, and the activations sent between stages in comm_pp. Its
// itl_s is the larger of two bounds, and the parts are those of the bound
// that holds: one pass (the whole model's step by class, the stage-to-stage
// sends in comm_pp), or, when the micro-batches' turns on the last stage
// take longer, m × the last stage's step by class and all-reduces (comm_pp
// 0: the sends overlap the other micro-batches' compute).
//
// A state-space model's selective scan is an element-wise part: a
// memory-bound kernel on the vector units, as the norms are, not a matrix
// product on the tensor cores (calibration.MambaPass). A hybrid's Mamba-2
// blocks put their SSD chunked scan there too (calibration/hybrid.go): its
// chunk-local products are small batched products inside fused scan
// kernels, timed as a fused attention kernel is (FLOPs blended with
// bytes), with its convolution and gated norm; their in_proj and out_proj
// are matrix products. A diffusion U-Net's
// convolutions are matrix products (implicit GEMMs), its attention
// attention, its norms, activations and copies element-wise
// (calibration.UNetStep).
//
// Fidelity mlsysim prices a step as a roofline (max(compute, memory) +
// overhead) without operation classes: its operation-class parts are 0, as
// matmul_s is, and the step is replica_s + communication + bubble +
// straggler (compute_s, memory_s and overhead_s are its roofline's terms).

// TimeParts is a time split by operation class, seconds; the parts sum to
// the time they split.
type TimeParts struct {
	MatmulS      float64 // matrix products: projections, MLP, MoE experts and router, LM head
	AttentionS   float64 // attention kernels (with an unfused stack's softmax and dropout)
	ElementwiseS float64 // norms, rotary, activations, residuals, embedding, loss, an SSM's scan
	OptimizerS   float64 // the Adam update (training)
	OverheadS    float64 // kernels' fixed times and host dispatch not hidden by GPU work
	CommS        float64 // serving: tensor-parallel all-reduces
	CommPPS      float64 // serving: activations sent between pipeline stages
	TransferS    float64 // serving prefill: the KV cache sent to the decode hardware
	CommEPS      float64 // serving: expert-parallel all-to-alls, dispatch and combine (serving_moe.go)
}

// add adds k × b's operation classes to t.
func (t *TimeParts) add(b *calibration.Breakdown, k float64) {
	t.MatmulS += k * b.Matmul
	t.AttentionS += k * b.Attention
	t.ElementwiseS += k * b.Elementwise
	t.OptimizerS += k * b.Optimizer
	t.OverheadS += k * b.OverheadS()
}

// scaleAdd adds k × o's parts to t.
func (t *TimeParts) scaleAdd(o *TimeParts, k float64) {
	t.MatmulS += k * o.MatmulS
	t.AttentionS += k * o.AttentionS
	t.ElementwiseS += k * o.ElementwiseS
	t.OptimizerS += k * o.OptimizerS
	t.OverheadS += k * o.OverheadS
	t.CommS += k * o.CommS
	t.CommPPS += k * o.CommPPS
	t.TransferS += k * o.TransferS
	t.CommEPS += k * o.CommEPS
}

// partsOf returns k × b's operation classes.
func partsOf(b *calibration.Breakdown, k float64) TimeParts {
	var t TimeParts
	t.add(b, k)
	return t
}

// Sum returns the sum of the parts: the time they split. (Added as a
// tree, four deep rather than eight: zeroNonFinite sums every Result.)
func (t *TimeParts) Sum() float64 {
	return ((t.MatmulS + t.AttentionS) + (t.ElementwiseS + t.OptimizerS)) + (((t.OverheadS + t.CommS) + (t.CommPPS + t.TransferS)) + t.CommEPS)
}

func partsOutputs(prefix, what string, modes ModeMask, get func(r *Result) *TimeParts, optimizer, comm, transfer bool) []*Output {
	o := []*Output{
		{Name: prefix + "matmul_s", Label: "Matrix products", Better: LowerIsBetter, Unit: "s", Modes: modes,
			Doc:   "calibrated: " + what + " in matrix products (projections, MLP, MoE experts, LM head); 0 under mlsysim",
			Float: func(r *Result) float64 { return get(r).MatmulS }},
		{Name: prefix + "attention_s", Label: "Attention", Better: LowerIsBetter, Unit: "s", Modes: modes,
			Doc:   "calibrated: " + what + " in attention kernels; 0 under mlsysim",
			Float: func(r *Result) float64 { return get(r).AttentionS }},
		{Name: prefix + "elementwise_s", Label: "Element-wise", Better: LowerIsBetter, Unit: "s", Modes: modes,
			Doc:   "calibrated: " + what + " in element-wise kernels (norms, activations, residuals, rotary, embedding, loss, a state-space model's selective scan); 0 under mlsysim",
			Float: func(r *Result) float64 { return get(r).ElementwiseS }},
	}
	if optimizer {
		o = append(o, &Output{Name: prefix + "optimizer_s", Label: "Optimizer", Better: LowerIsBetter, Unit: "s", Modes: modes,
			Doc:   "calibrated: " + what + " in the Adam update (training); 0 under mlsysim",
			Float: func(r *Result) float64 { return get(r).OptimizerS }})
	}
	o = append(o, &Output{Name: prefix + "overhead_s", Label: "Launch and dispatch", Better: LowerIsBetter, Unit: "s", Modes: modes,
		Doc:   "calibrated: " + what + " in kernels' fixed times and host dispatch not hidden behind GPU work; 0 under mlsysim",
		Float: func(r *Result) float64 { return get(r).OverheadS }})
	if comm {
		o = append(o, &Output{Name: prefix + "comm_tp_s", Label: "TP communication", Better: LowerIsBetter, Unit: "s", Modes: modes,
			Doc:   "calibrated: " + what + " in tensor-parallel all-reduces; 0 under mlsysim",
			Float: func(r *Result) float64 { return get(r).CommS }})
		o = append(o, &Output{Name: prefix + "comm_pp_s", Label: "PP communication", Better: LowerIsBetter, Unit: "s", Modes: modes,
			Doc:   "calibrated: " + what + " sending activations between pipeline stages (pp > 1); 0 under mlsysim",
			Float: func(r *Result) float64 { return get(r).CommPPS }})
		o = append(o, &Output{Name: prefix + "comm_ep_s", Label: "EP communication", Better: LowerIsBetter, Unit: "s", Modes: modes,
			Doc:   "calibrated: " + what + " in expert-parallel all-to-alls (dispatch and combine, ep > 1; a disaggregated decode pool's at decode_ep); 0 under mlsysim",
			Float: func(r *Result) float64 { return get(r).CommEPS }})
	}
	if transfer {
		o = append(o, &Output{Name: prefix + "kv_transfer_s", Label: "KV transfer", Better: LowerIsBetter, Unit: "s", Modes: modes,
			Doc:   "calibrated: " + what + " sending the KV cache to decode_hardware (disaggregated serving); 0 under mlsysim",
			Float: func(r *Result) float64 { return get(r).TransferS }})
	}
	return o
}

// stepPartsOutputs split latency_s of inference and training (with the
// distributed parts: comm_*_s, bubble_s, straggler_s); servingPartsOutputs
// split prefill_s and itl_s.
var (
	stepPartsOutputs = partsOutputs("time_", "the step's time", InInference|InTraining,
		func(r *Result) *TimeParts { return &r.Calib.Step }, true, false, false)
	servingPartsOutputs = concat(
		partsOutputs("prefill_", "the batch's prefill (prefill_s)", InServing,
			func(r *Result) *TimeParts { return &r.Calib.Prefill }, false, true, true),
		partsOutputs("decode_", "one decode step (itl_s)", InServing,
			func(r *Result) *TimeParts { return &r.Calib.Decode }, false, true, false))
)
