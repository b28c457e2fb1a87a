package engine

import (
	"fmt"
	"math"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/registry"
)

// Distributed training on clusters: data, tensor, pipeline, expert and
// context parallelism (DP/TP/PP/EP/CP) with ZeRO sharding, activation
// recomputation, interleaved pipeline schedules, MoE routing imbalance and
// the collectives of collectives.go over the fabric's topology (mlsysim
// DistributedModel, MoERoutingModel, TopologyModel; reference solvers §4.6-4.8).
//
// A training configuration is distributed when it names a system (a
// registry cluster), or uses more than one GPU or any parallelism above 1;
// otherwise it is mlsysim's single-node Engine.solve (roofline.go).

// DistSemantics selects which version of mlsysim's DistributedModel prices
// the step.
type DistSemantics uint8

// The semantics.
const (
	// DistAuto is DistGolden under fidelity mlsysim and DistNewest under
	// every other fidelity: fidelity mlsysim promises mlsysim's published
	// numbers, and the only published distributed numbers (golden G5) are
	// those of DistGolden.
	DistAuto DistSemantics = iota
	// DistNewest is the behaviour mlsysim's newest test suite pins
	// (reference solvers §4.6 [newest], §12.6), completed where the suite
	// is silent: the replica's work is sharded over tp·pp·cp·ep, TP
	// all-reduces cover one stage's ⌈L/pp⌉ layers (4 per layer), the DP
	// ring runs over the fabric when each node holds one DP rank, and the
	// bubble is b/(1−b) of the busy time.
	DistNewest
	// DistGolden is the semantics of mlsysim's golden test at @0e4b2e5f
	// (G5): each GPU is priced running the unsharded model on a local batch
	// (mlsysim's Engine.solve, which takes the 64 GB/s offload path when the
	// unsharded training state exceeds HBM), TP is 4 ring all-reduces per
	// layer over all L layers, DP is a ring over NVLink while dp ≤ GPUs per
	// node, the bubble is b of the replica latency, and the throughput is
	// N × replica throughput × scaling efficiency.
	DistGolden
	numDistSemantics
)

var distSemanticsNames = [numDistSemantics]string{"auto", "newest", "golden"}

// String returns the name in the parameter vocabulary.
func (s DistSemantics) String() string {
	if s < numDistSemantics {
		return distSemanticsNames[s]
	}
	return fmt.Sprintf("DistSemantics(%d)", s)
}

// DistReason says why a distributed configuration is infeasible. The core
// Reason (result.go) has no value for these, so Result.Reason stays
// ReasonNone and dist_reason names the cause.
type DistReason uint8

// The reasons.
const (
	DistOK              DistReason = iota
	DistTooManyRanks               // tp·pp·ep·cp exceeds the GPUs
	DistIndivisible                // tp·pp·ep·cp does not divide the GPUs
	DistDPMismatch                 // dp·tp·pp·ep·cp differs from the GPUs
	DistNoNode                     // gpus_per_node does not divide the GPUs
	DistTooManyGPUs                // gpus exceeds the system's accelerators
	DistLayersPerStage             // pp exceeds the layer count
	DistMicrobatches               // microbatches do not split the local batch evenly
	DistCalibratedSplit            // calibrated: tp, pp, ep or cp on a model without transformer layers
	DistEPFold                     // calibrated: ep on a dense model, not dividing the experts, or dividing neither dp·cp nor tp·dp·cp (moe_dist.go)
	DistGoldenRefused              // calibrated: dist_semantics=golden, mlsysim's η arithmetic
	DistLayoutStages               // calibrated: pipeline_layout's stages differ from pp·interleave
	DistLayoutLayers               // calibrated: pipeline_layout's t count differs from the model's layers
	DistLayoutMTP                  // calibrated: pipeline_layout's m count differs from mtp_layers
	DistLayoutModel                // calibrated: pipeline_layout or mtp_layers on a model without transformer layers
	numDistReasons
)

var distReasonText = [numDistReasons]string{
	"",
	"parallelism: tp·pp·ep·cp exceeds the GPUs (tp·pp·cp under calibrated, where ep folds into dp)",
	"parallelism: tp·pp·ep·cp does not divide the GPUs (tp·pp·cp under calibrated, where ep folds into dp)",
	"parallelism: dp·tp·pp·ep·cp differs from the GPUs (dp·tp·pp·cp under calibrated, where ep folds into dp)",
	"parallelism: gpus_per_node does not divide the GPUs",
	"parallelism: gpus exceeds the system's accelerators",
	"parallelism: pp exceeds the model's layers",
	"parallelism: microbatches do not split the local batch (batch_size/dp) evenly",
	"parallelism: calibrated prices tp, pp, ep and cp for transformer models only (data parallelism for others)",
	"parallelism: ep needs a MoE model whose experts it divides, and must divide dp·cp (experts split tp ways) or tp·dp·cp (whole experts), dp = gpus/(tp·pp·cp)",
	"semantics: dist_semantics=golden is mlsysim's published G5 arithmetic (an η roofline replica), which the calibrated fidelity does not price; use fidelity=mlsysim, or dist_semantics=newest or auto",
	"pipeline_layout: its stages ('|'-separated) must number pp·interleave",
	"pipeline_layout: its transformer layers (t) must number the model's layers",
	"pipeline_layout: its multi-token prediction blocks (m) must number mtp_layers",
	"pipeline_layout, mtp_layers: priced for transformer models only",
}

// String returns the reason's fixed text, "" for DistOK.
func (r DistReason) String() string {
	if r < numDistReasons {
		return distReasonText[r]
	}
	return "unknown"
}

// Defaults of the distributed model where the configuration names no
// system, fabric or node link.
const (
	// DefaultGPUsPerNode is the node size of a bare hardware + gpus
	// configuration (an 8-GPU HGX/DGX-class server).
	DefaultGPUsPerNode = 8
	// DefaultNVLinkLatencyS is mlsysim's NVLink α (Tech.Interconnect.NVLink,
	// 0.5 µs per the golden arithmetic).
	DefaultNVLinkLatencyS = 0.5e-6
	// TPAllReducesPerLayer is the tensor-parallel all-reduces of one layer
	// in a training step: 2 forward + 2 backward (Megatron-LM; mlsysim
	// TP_ALLREDUCES_PER_LAYER_TRAINING).
	TPAllReducesPerLayer = 4
	// LoRAGradientFraction is the share of the gradient a LoRA step
	// all-reduces (mlsysim DistributedModel: × 0.01).
	LoRAGradientFraction = 0.01
)

// defaultFabric is the network of a configuration that names none: one
// 400 Gb/s InfiniBand NDR NIC per GPU with mlsysim's 5 µs α (its default
// α_inter).
var defaultFabric = registry.Fabric{Key: "InfiniBand_NDR", Name: "IB NDR", Topology: "fat-tree",
	BandwidthBps: 400e9 / 8, LatencyS: 5e-6, Oversubscription: 1}

// DistConfig holds the parameters of distributed training. Zero values mean
// the defaults (parallel degrees 1, no overlap, no imbalance ...), so a Config
// built from DefaultConfig is a single-node configuration.
type DistConfig struct {
	System      *registry.Cluster // the cluster; nil = hardware × gpus
	Fabric      *registry.Fabric  // nil = the system's, else defaultFabric
	GPUs        int               // 0 = the system's accelerators (1 without a system)
	GPUsPerNode int               // 0 = the system node's, else DefaultGPUsPerNode

	TP, PP, EP, CP int // parallel degrees; 0 = 1
	Microbatches   int // per step and pipeline; 0 = 1
	Interleave     int // virtual pipeline stages per device v; 0 = 1

	Overlap      float64 // share of the DP all-reduce hidden behind compute, [0, 1]
	MoEImbalance float64 // routing imbalance f ≥ 1 (hottest expert load / mean); 0 = 1
	// EPOverlap: the expert-parallel all-to-alls of one microbatch run
	// behind the computation of the adjacent one (Megatron-Core's combined
	// 1F1B, --overlap-moe-expert-parallel-comm; moeEPOverlapExposedS).
	// Calibrated fidelity, ep folded into data parallelism only.
	EPOverlap bool
	// MoETokenDrop: the MoE dispatcher drops and pads each expert's
	// tokens to capacity (capacity factor 1, Megatron-Core's
	// --moe-expert-capacity-factor 1 --moe-pad-expert-input-to-capacity),
	// so it never waits on the host for the tokens per expert: the
	// stack's time per MoE layer per micro-batch is not charged
	// (calibration.Step.MoETokenDrop). Calibrated fidelity, training.
	MoETokenDrop bool
	// MoEHybridEP: the dropless MoE dispatcher is Megatron-Core's flex
	// token dispatcher on its HybridEP backend, with Transformer Engine's
	// CUDA graphs over the router and the dispatch preprocessing (as
	// Megatron-Bridge's GB200 and GB300 performance recipes run it): the
	// stack's time per MoE layer per micro-batch is its HybridEP value
	// (calibration.Step.MoEHybridEP). Calibrated fidelity, training.
	MoEHybridEP bool
	// Layout places the layers, the embedding, the loss and the MTP
	// blocks on the pipeline's pp·v virtual stages (Megatron-Core's
	// pipeline_model_parallel_layout, pplayout.go); nil = ⌈L/pp⌉ layers a
	// stage with the embedding, LM head, loss and MTP blocks on the last.
	// Calibrated fidelity, training.
	Layout *PipelineLayout
	// MTPLayers is the depth of multi-token prediction (DeepSeek-V3
	// §2.2): per depth one more transformer block, a projection and the
	// shared LM head with a loss, on the last stage or where Layout puts
	// the m (calibration.Profile.mtpBlocks). Calibrated fidelity,
	// training.
	MTPLayers  int
	Congestion float64 // multiplies every communication time, ≥ 1; 0 = 1
	Straggler  float64 // multiplies the step time, ≥ 1; 0 = 1

	Collective Collective    // DP all-reduce algorithm
	Topology   Topology      // fabric topology override; auto = the fabric's
	Semantics  DistSemantics // which DistributedModel prices the step
}

// DistResult holds the outcomes of distributed training. Times are per step,
// memory per GPU.
type DistResult struct {
	Active bool // the configuration was priced as distributed
	Reason DistReason

	GPUs              int
	DP                int
	StepS             float64 // the step: replica + exposed communication + bubble, × straggler
	ReplicaS          float64 // the replica's busy time without communication or bubble
	CommS             float64 // DP (exposed) + TP + PP + EP + CP
	CommDPS           float64 // DP gradient all-reduce, after overlap
	CommTPS           float64
	CommPPS           float64
	CommEPS           float64
	CommCPS           float64
	BubbleS           float64
	StragglerS        float64 // step − (replica + comm + bubble): the straggler's share
	BubbleFraction    float64 // (pp−1)/(v·m + pp − 1)
	ScalingEfficiency float64 // replica / step
	SamplesPerS       float64

	WeightsBytes     float64
	GradientsBytes   float64
	OptimizerBytes   float64
	ActivationsBytes float64
}

func one(n int) int {
	if n < 1 {
		return 1
	}
	return n
}

func oneF(x float64) float64 {
	if !(x >= 1) {
		return 1
	}
	return x
}

// distributedActive reports whether a training configuration is priced by
// the distributed model.
func distributedActive(c *Config) bool {
	d := &c.Dist
	return c.Mode == Training && (d.System != nil || d.GPUs > 1 ||
		one(d.TP)*one(d.PP)*one(d.EP)*one(d.CP) > 1)
}

var distributedParams = []*Param{
	{Name: "system", Label: "System", Type: TypeRef, RefKind: registry.KindCluster,
		Doc: "training: a cluster (sweep list systems), e.g. Research_256; sets hardware to its accelerator",
		apply: func(c *Config, v Value) {
			cl := v.Ref.(*registry.Cluster)
			c.Dist.System = cl
			if cl.Node != nil && cl.Node.Accelerator != nil {
				c.Hardware = cl.Node.Accelerator
			}
		}},
	{Name: "gpus", Modes: InTraining, Label: "GPUs", Type: TypeInt, Min: 0, Default: "0",
		Doc:   "training: GPUs of the job; 0 = all of the system's (1 without a system)",
		apply: func(c *Config, v Value) { c.Dist.GPUs = int(v.F) }},
	{Name: "gpus_per_node", Modes: InTraining | InServing, Label: "GPUs per node", Type: TypeInt, Min: 0, Default: "0",
		Doc:   "training and serving (tp, pp or ep beyond a node): GPUs per node; 0 = the system node's (8 without a system)",
		apply: func(c *Config, v Value) { c.Dist.GPUsPerNode = int(v.F) }},
	{Name: "fabric", Modes: InTraining | InServing, Label: "Fabric", Type: TypeRef, RefKind: registry.KindFabric,
		Doc:   "training and serving (tp, pp or ep beyond a node): inter-node network (sweep list fabrics); default the system's, else InfiniBand NDR",
		apply: func(c *Config, v Value) { c.Dist.Fabric = v.Ref.(*registry.Fabric) }},
	{Name: "tp", Modes: InTraining | InServing, Label: "Tensor parallel (TP)", Type: TypeInt, Min: 1, Default: "1",
		Doc:   "training and serving: tensor-parallel degree",
		apply: func(c *Config, v Value) { c.Dist.TP = int(v.F) }},
	{Name: "pp", Modes: InTraining | InServing, ServingFidelities: UnderCalibrated, Label: "Pipeline parallel (PP)", Type: TypeInt, Min: 1, Default: "1",
		Doc:   "training and serving: pipeline-parallel stages. Serving under calibrated: ⌈L/pp⌉ layers a stage, each on tp GPUs (max(tp, ep) with ep); under mlsysim not used",
		apply: func(c *Config, v Value) { c.Dist.PP = int(v.F) }},
	{Name: "ep", Modes: InTraining | InServing, ServingFidelities: UnderCalibrated, Label: "Expert parallel (EP)", Type: TypeInt, Min: 1, Default: "1",
		Doc:   "training and serving: expert-parallel degree (MoE). Training under calibrated: folded into data parallelism (dp = gpus/(tp·pp·cp); ep divides the experts and dp·cp, or tp·dp·cp with whole experts); under mlsysim a factor of its own (dp = gpus/(tp·pp·ep·cp)). Serving under calibrated: a replica of ep GPUs (a multiple of tp) with attention data parallelism; with decode_hardware the prefill pool's, decode_ep sizing the decode pool",
		apply: func(c *Config, v Value) { c.Dist.EP = int(v.F) }},
	{Name: "cp", Modes: InTraining, Label: "Context parallel (CP)", Type: TypeInt, Min: 1, Default: "1",
		Doc:   "training: context-parallel degree (the sequence split over ranks, ring attention)",
		apply: func(c *Config, v Value) { c.Dist.CP = int(v.F) }},
	{Name: "microbatches", Modes: InTraining, Label: "Microbatches", Type: TypeInt, Min: 1, Default: "1",
		Doc:   "training: microbatches per step and pipeline (m); must divide the replica's batch max(1, ⌊batch_size/dp⌋), else the row is infeasible",
		apply: func(c *Config, v Value) { c.Dist.Microbatches = int(v.F) }},
	{Name: "interleave", Modes: InTraining, Label: "Interleaved stages", Type: TypeInt, Min: 1, Default: "1",
		Doc:   "training: virtual pipeline stages per device (v, interleaved 1F1B)",
		apply: func(c *Config, v Value) { c.Dist.Interleave = int(v.F) }},
	{Name: "overlap", Modes: InTraining, Label: "Communication overlap", Type: TypeFloat, Min: 0, Max: 1, Default: "0",
		Doc:   "training: share of the DP gradient all-reduce hidden behind the backward pass",
		apply: func(c *Config, v Value) { c.Dist.Overlap = v.F }},
	{Name: "moe_imbalance", Modes: InTraining, Label: "MoE imbalance", Type: TypeFloat, Min: 1, Default: "1",
		Doc:   "training: MoE routing imbalance f ≥ 1 (hottest expert's load over the mean)",
		apply: func(c *Config, v Value) { c.Dist.MoEImbalance = v.F }},
	{Name: "ep_overlap", Modes: InTraining, Fidelities: UnderCalibrated, Label: "EP all-to-all overlap", Type: TypeBool, Default: "false",
		Doc:   "calibrated training with ep > 1: the expert-parallel all-to-alls of one microbatch hidden behind the computation of the adjacent one (Megatron-Core's combined 1F1B, --overlap-moe-expert-parallel-comm); the warm-up and cool-down microbatches stay exposed; no effect with pp > 1 and interleave 1 (Megatron-Core requires virtual pipeline stages)",
		apply: func(c *Config, v Value) { c.Dist.EPOverlap = v.F != 0 }},
	{Name: "moe_token_drop", Modes: InTraining, Fidelities: UnderCalibrated, Label: "MoE token drop", Type: TypeBool, Default: "false",
		Doc:   "calibrated training of a MoE: the dispatcher drops and pads each expert's tokens to capacity (capacity factor 1, Megatron-Core's --moe-expert-capacity-factor 1 --moe-pad-expert-input-to-capacity, NeMo's MegatronTokenDropCallback), so it never synchronises with the host on the tokens per expert: the software stack's time per MoE layer per micro-batch (moe_layer_microbatch_s) is not charged",
		apply: func(c *Config, v Value) { c.Dist.MoETokenDrop = v.F != 0 }},
	{Name: "moe_hybridep", Modes: InTraining, Fidelities: UnderCalibrated, Label: "MoE HybridEP dispatcher", Type: TypeBool, Default: "false",
		Doc:   "calibrated training of a MoE: the dropless dispatcher is Megatron-Core's flex token dispatcher on its HybridEP backend (moe_token_dispatcher_type flex, moe_flex_dispatcher_backend hybridep) with Transformer Engine's CUDA graphs over the router and preprocessing (cuda_graph_scope moe_router, moe_preprocess), as Megatron-Bridge's GB200 and GB300 performance recipes run it: the software stack's time per MoE layer per micro-batch is its HybridEP value (moe_layer_microbatch_hybridep_s) instead of moe_layer_microbatch_s; no effect with moe_token_drop",
		apply: func(c *Config, v Value) { c.Dist.MoEHybridEP = v.F != 0 }},
	{Name: "pipeline_layout", Modes: InTraining, Fidelities: UnderCalibrated, Label: "Pipeline layout", Type: TypeText, Default: "none",
		Doc:   "calibrated training: the layers of each virtual pipeline stage, in Megatron-Core's pipeline_model_parallel_layout syntax (E embedding, t transformer layer, m multi-token prediction block, L loss and LM head, '|' between the pp·interleave stages, (…)*n and x*n repeats, e.g. \"Et|(tt|)*30mL\"); each pipeline rank is priced with its own stages and the slowest sets the step; the t count must be the model's layers, the m count mtp_layers and the stages pp·interleave, else the row is infeasible; none = ⌈L/pp⌉ layers a stage, the LM head, loss and MTP blocks on the last",
		text:  parseLayoutParam,
		apply: func(c *Config, v Value) { c.Dist.Layout, _ = v.Ref.(*PipelineLayout) }},
	{Name: "mtp_layers", Modes: InTraining, Fidelities: UnderCalibrated, Label: "MTP depth", Type: TypeInt, Min: 0, Max: 64, Default: "0",
		Doc:   "calibrated training of a transformer: multi-token prediction depth (DeepSeek-V3 MTP, Megatron-Core's mtp_num_layers): per depth one more transformer block (with the routed experts in a MoE), a 2h→h projection, norms and the shared LM head with its loss, on the last pipeline stage or where pipeline_layout puts its m; counted in HFU, not in MFU (the model's FLOPs), and in the memory of the stage holding it",
		apply: func(c *Config, v Value) { c.Dist.MTPLayers = int(v.F) }},
	{Name: "congestion", Modes: InTraining, Label: "Congestion", Type: TypeFloat, Min: 1, Default: "1",
		Doc:   "training: factor on every communication time (network congestion)",
		apply: func(c *Config, v Value) { c.Dist.Congestion = v.F }},
	{Name: "straggler", Modes: InTraining, Label: "Straggler factor", Type: TypeFloat, Min: 1, Default: "1",
		Doc:   "training: factor on the step time (slowest rank)",
		apply: func(c *Config, v Value) { c.Dist.Straggler = v.F }},
	{Name: "collective", Modes: InTraining, Label: "Collective", Type: TypeEnum, Enum: collectiveNames[:], Default: "auto",
		Doc:   "training: DP all-reduce (auto: ring over the fabric or NVLink, hierarchical across multi-rank nodes; ring, tree, double_tree, hierarchical)",
		apply: func(c *Config, v Value) { c.Dist.Collective = Collective(v.F) }},
	{Name: "topology", Modes: InTraining, Label: "Topology", Type: TypeEnum, Enum: topologyNames[:], Default: "auto",
		Doc:   "training: fabric topology override (auto = the fabric's; fat_tree, dragonfly, ring, torus_3d)",
		apply: func(c *Config, v Value) { c.Dist.Topology = Topology(v.F) }},
	{Name: "dist_semantics", Modes: InTraining, Label: "Distributed semantics", Type: TypeEnum, Enum: distSemanticsNames[:], Default: "auto",
		Doc:   "training: auto (golden under fidelity=mlsysim, newest otherwise), newest (sharded replica, mlsysim's newest tests), golden (mlsysim's published G5 semantics)",
		apply: func(c *Config, v Value) { c.Dist.Semantics = DistSemantics(v.F) }},
}

var distributedOutputs = []*Output{
	{Name: "step_time_s", Label: "Step time", Better: LowerIsBetter, Unit: "s", Modes: InTraining, Doc: "one training step: replica + exposed communication + pipeline bubble (× straggler)",
		Float: func(r *Result) float64 { return r.LatencyS }},
	{Name: "replica_s", Label: "Replica busy time", Better: LowerIsBetter, Unit: "s", Modes: InTraining, Doc: "the replica's compute-bound busy time, without communication or bubble",
		Float: func(r *Result) float64 { return r.Dist.ReplicaS }},
	{Name: "comm_s", Label: "Communication", Better: LowerIsBetter, Unit: "s", Modes: InTraining, Doc: "exposed communication: comm_dp_s + comm_tp_s + comm_pp_s + comm_ep_s + comm_cp_s",
		Float: func(r *Result) float64 { return r.Dist.CommS }},
	{Name: "comm_dp_s", Label: "DP communication", Better: LowerIsBetter, Unit: "s", Modes: InTraining, Doc: "DP gradient all-reduce of the shard W/(tp·pp·ep), × (1 − overlap); calibrated: the dense W/(tp·pp) over dp and the routed experts' shard over the expert data-parallel ranks",
		Float: func(r *Result) float64 { return r.Dist.CommDPS }},
	{Name: "comm_tp_s", Label: "TP communication", Better: LowerIsBetter, Unit: "s", Modes: InTraining, Doc: "TP: 4 ring all-reduces of the activations per layer of a stage; calibrated on a stack with tp_comm_overlap (megatron-core) only the excess over the layers' GEMM time (exposed part)",
		Float: func(r *Result) float64 { return r.Dist.CommTPS }},
	{Name: "comm_pp_s", Label: "PP communication", Better: LowerIsBetter, Unit: "s", Modes: InTraining, Doc: "PP: exposed point-to-point sends of pipeline fill and drain",
		Float: func(r *Result) float64 { return r.Dist.CommPPS }},
	{Name: "comm_ep_s", Label: "EP communication", Better: LowerIsBetter, Unit: "s", Modes: InTraining, Doc: "EP: MoE token dispatch and combine all-to-alls; calibrated with the experts split etp > 1 ways, also the all-gather (dispatch) and reduce-scatter (combine) of the received tokens over the expert tensor-parallel group",
		Float: func(r *Result) float64 { return r.Dist.CommEPS }},
	{Name: "comm_cp_s", Label: "CP communication", Better: LowerIsBetter, Unit: "s", Modes: InTraining, Doc: "CP: ring-attention KV exchange; calibrated: per ring step only the excess of the K/V transfer over that step's attention (exposed part)",
		Float: func(r *Result) float64 { return r.Dist.CommCPS }},
	{Name: "bubble_s", Label: "Pipeline bubble", Better: LowerIsBetter, Unit: "s", Modes: InTraining, Doc: "pipeline bubble: replica × b/(1−b) (newest) or replica × b (golden)",
		Float: func(r *Result) float64 { return r.Dist.BubbleS }},
	{Name: "straggler_s", Label: "Straggler", Better: LowerIsBetter, Unit: "s", Modes: InTraining, Doc: "the straggler's share of the step: step_time_s − (replica_s + comm_s + bubble_s), 0 at straggler = 1",
		Float: func(r *Result) float64 { return r.Dist.StragglerS }},
	{Name: "bubble_fraction", Label: "Bubble fraction", Better: LowerIsBetter, Modes: InTraining, Doc: "b = (pp−1)/(v·m + pp − 1)",
		Float: func(r *Result) float64 { return r.Dist.BubbleFraction }},
	{Name: "scaling_efficiency", Label: "Scaling efficiency", Better: HigherIsBetter, Modes: InTraining, Doc: "replica_s / step_time_s, in (0, 1]",
		Float: func(r *Result) float64 { return r.Dist.ScalingEfficiency }},
	{Name: "dp_ranks", Label: "DP ranks", Better: NeitherIsBetter, Modes: InTraining, Doc: "data-parallel ranks: dp, or when dp is 1 gpus/(tp·pp·cp) under calibrated (ep folded in), gpus/(tp·pp·ep·cp) under mlsysim",
		Float: func(r *Result) float64 { return float64(r.Dist.DP) }},
	{Name: "gpus_used", Label: "GPUs used", Better: NeitherIsBetter, Modes: InTraining, Doc: "GPUs of the job",
		Float: func(r *Result) float64 { return float64(r.Dist.GPUs) }},
	{Name: "memory_weights_bytes", Label: "Weight memory", Better: LowerIsBetter, Unit: "B", Modes: InTraining, Doc: "per GPU: P/(tp·pp·ep)·b, ÷ dp under ZeRO-3 (calibrated: dense P/(tp·pp) ÷ dp, routed experts P_e/(etp·ep·pp) ÷ edp; with pipeline_layout or mtp_layers the parameters of the pipeline rank holding the most)",
		Float: func(r *Result) float64 { return r.Dist.WeightsBytes }},
	{Name: "memory_gradients_bytes", Label: "Gradient memory", Better: LowerIsBetter, Unit: "B", Modes: InTraining, Doc: "per GPU: P/(tp·pp·ep)·b, ÷ dp under ZeRO-2",
		Float: func(r *Result) float64 { return r.Dist.GradientsBytes }},
	{Name: "memory_optimizer_bytes", Label: "Optimizer memory", Better: LowerIsBetter, Unit: "B", Modes: InTraining, Doc: "per GPU: Adam 12 B per parameter of the shard, ÷ dp under ZeRO-1",
		Float: func(r *Result) float64 { return r.Dist.OptimizerBytes }},
	{Name: "memory_activations_bytes", Label: "Activation memory", Better: LowerIsBetter, Unit: "B", Modes: InTraining, Doc: "per GPU: activations of ⌈L/pp⌉ layers (calibrated with pipeline_layout or mtp_layers: the most layers and MTP blocks a pipeline rank holds) for min(m, pp) microbatches in flight, ÷ tp·cp",
		Float: func(r *Result) float64 { return r.Dist.ActivationsBytes }},
	{Name: "dist_reason", Label: "Parallelism infeasibility", Better: NeitherIsBetter, Type: OutString, Modes: InTraining, Doc: "why a distributed configuration is infeasible by its parallelism; empty otherwise",
		String: func(r *Result) string { return r.Dist.Reason.String() }},
}

// distTopology is the resolved system of one distributed evaluation.
type distTopology struct {
	gpus, perNode, nodes int
	intraBps, intraLatS  float64 // per direction, per GPU
	fabric               *registry.Fabric
	interBps             float64 // per GPU, after topology and oversubscription
}

func resolveTopology(c *Config, r *Result) (t distTopology, ok bool) {
	d := &c.Dist
	hw := c.Hardware
	t.perNode = d.GPUsPerNode
	t.fabric = d.Fabric
	avail, host := 0, 0
	if cl := d.System; cl != nil {
		avail = cl.Accelerators()
		if t.perNode == 0 && cl.Node != nil {
			t.perNode, host = cl.Node.AcceleratorsPerNode, cl.Node.AcceleratorsPerHost
		}
		if cl.Node != nil {
			t.intraBps, t.intraLatS = cl.Node.IntraNodeBps, cl.Node.IntraNodeLatencyS
		}
		if t.fabric == nil {
			t.fabric = cl.Fabric
		}
	}
	t.gpus = d.GPUs
	if t.gpus == 0 {
		t.gpus = max(avail, 1)
	}
	if t.perNode <= 0 {
		t.perNode = DefaultGPUsPerNode
	}
	t.perNode = min(t.perNode, t.gpus)
	if host > 0 {
		t.perNode = nvlinkSegment(t.gpus, t.perNode, host)
	}
	if t.intraBps == 0 {
		t.intraBps = hw.NVLink.PerDirectionBps()
		if t.intraBps == 0 {
			t.intraBps = hw.HostLink.PerDirectionBps()
		}
		if t.intraBps == 0 {
			t.intraBps = FallbackHostLinkBps
		}
	}
	if t.intraLatS == 0 {
		t.intraLatS = hw.NVLink.LatencyS
		if t.intraLatS == 0 {
			t.intraLatS = DefaultNVLinkLatencyS
		}
	}
	if t.fabric == nil {
		t.fabric = &defaultFabric
	}
	t.nodes = max(t.gpus/t.perNode, 1)
	topo := d.Topology
	if topo == TopologyAuto {
		topo = ParseTopology(t.fabric.Topology)
	}
	t.interBps = EffectiveFabricBps(t.fabric.BandwidthBps, topo, t.nodes, t.fabric.Oversubscription)
	switch {
	case avail > 0 && t.gpus > avail:
		r.Dist.Reason = DistTooManyGPUs
	case t.gpus%t.perNode != 0:
		r.Dist.Reason = DistNoNode
	}
	return t, r.Dist.Reason == DistOK
}

// nvlinkSegment returns the GPUs of one NVLink domain a job of gpus GPUs
// uses on nodes whose NVLink domain of domain GPUs spans hosts of host GPUs
// (an NVL72 rack: 72 GPUs, 4 per compute tray). A job that fills whole
// domains, or fits in one, uses them whole (min(domain, gpus)); otherwise it
// is placed in equal segments, the largest multiple of host that divides
// gpus and is at most domain:
//
//	s = max{ k·host ≤ domain : gpus mod k·host = 0 }
//
// the Slurm segment rule of NVIDIA's training scripts for these racks
// (Megatron-Bridge scripts/performance/utils/executors.py: for 4 GPUs per
// node, segment = nodes when nodes ≤ 18, else the largest divisor of nodes
// ≤ 18; a 256-GPU job runs in four segments of 64). A job that is no whole
// number of hosts keeps min(domain, gpus), which resolveTopology rejects
// (DistNoNode) when it does not divide gpus. host ≤ 0 means the domain is
// one host.
func nvlinkSegment(gpus, domain, host int) int {
	s := min(domain, gpus)
	if host <= 0 || s <= 0 || gpus%s == 0 || gpus%host != 0 {
		return s
	}
	for k := s / host; k > 0; k-- {
		if gpus%(k*host) == 0 {
			return k * host
		}
	}
	return s
}

// link returns the bandwidth and latency of a group of n ranks placed on
// consecutive GPUs: the node's link while the group fits in a node, the
// fabric otherwise.
func (t *distTopology) link(span int) (β, α float64) {
	if span <= t.perNode {
		return t.intraBps, t.intraLatS
	}
	return t.interBps, t.fabric.LatencyS
}

// moeMultiplier returns mlsysim MoERoutingModel's active-parameter
// multiplier under routing imbalance f:
//
//	min(E, k·f) / k, k = max(1, experts per token)
//
// 1 for dense models.
func moeMultiplier(m *registry.Model, f float64) float64 {
	if m.Class != registry.ClassMoE || m.Experts <= 0 {
		return 1
	}
	k := float64(max(m.ActiveExperts, 1))
	return math.Min(float64(m.Experts), k*oneF(f)) / k
}

// hideComm switches on the calibrated overlaps of the tensor-parallel
// collectives with the GEMMs and of the ring's K/V exchange with the
// attention (solveDistributed); tests switch it off to see the traffic
// the collectives move.
var hideComm = true

// solveDistributed prices one training step on a cluster. The parallel
// layout is dp × tp × pp × ep × cp = GPUs with dp = gpus/(tp·pp·ep·cp) when
// the dp parameter is left at 1; the global batch B (sequences) gives
// local = max(1, ⌊B/dp⌋) sequences per replica, in m microbatches of
// local/m; a layout whose m does not divide local is infeasible
// (localBatch), never priced.
//
// Memory per GPU (both semantics; ZeRO divides by dp as in
// TrainingMemoryBytes):
//
//	weights = P/(tp·pp·ep)·b, grads = P/(tp·pp·ep)·b, optimizer = 12·P/(tp·pp·ep)
//	activations = act(⌈L/pp⌉ layers, S/cp, local/m) · min(m, pp) / tp
//
// Newest semantics (the default outside fidelity mlsysim):
//
//	replica  = max(k·F·S·local / (peak·η·tp·pp·ep·cp), W_shard·(1+0.1·local)/BW) + t_dispatch + 3·⌈L/pp⌉·0.01 ms
//	TP       = 4·⌈L/pp⌉ · ring(local·S/cp·h·b, tp)           over NVLink while tp fits a node
//	DP       = allreduce(P·b/(tp·pp·ep), dp) · (1 − overlap)  (collective and link by placement)
//	EP       = 4·⌈L/pp⌉ · a2a(local·S/cp·h·b·k·mult, ep)
//	CP       = 3·⌈L/pp⌉ · (cp−1) · (KV chunk/β + α), KV chunk = 2·local·S/cp·⌈kvh/tp⌉·d·b
//	PP       = 2·(pp−1) · (local/m·S/cp·h·b/β + α)
//	bubble   = replica · b/(1−b), b = (pp−1)/(v·m + pp − 1)
//	step     = (replica + congestion·(DP + TP + PP + EP + CP) + bubble) · straggler
//
// Under fidelity calibrated TP and CP are the exposed parts: with a stack
// that pipelines the TP collectives with the GEMMs (Stack.TPCommOverlap)
// TP = max(0, congestion·TP − the stage's layer GEMM time), and each of
// the (cp−1) ring steps of a layer exposes only the excess of its K/V
// transfer over the attention on one block (ringExposedS):
// CP = ⌈L/pp⌉·(cp−1)·(max(0, x − aF) + max(0, 2x − aB)), x = congestion·
// (KV chunk/β + α), aF and aB the attention forward and backward /
// (⌈L/pp⌉·cp). The exposed parts sum to the step as before.
//
// with k = 3 (4 with full recomputation), F the forward FLOPs per token
// (2·P_active·mult for MoE), W_shard the weight shard. Samples per second
// are dp·local/step. In the communication terms b is the element the
// collective moves (commBytes): the precision's bytes, except under
// fidelity calibrated with a stack of Transformer Engine's fp8 recipe at
// fp8, whose activations, K/V and gradients move as bf16 (2 bytes).
//
// Under fidelity calibrated ep folds into data parallelism (moe_dist.go):
// dp = GPUs/(tp·pp·cp), ep divides dp·cp (or tp·dp·cp), the routed experts'
// state is sharded by etp·ep·pp (÷ edp under ZeRO) and the rest by tp·pp
// (÷ dp), the MoE layers' activations add their routed copies'
// (moeActivationDeltaBytes), and EP = 4·⌈L/pp⌉·(MoE share) ·
// [a2a(M) + ag_etp(M)], M = local·S/cp·h·b·k·f/tp: the all-to-all of a
// rank's own S/tp tokens over the node's link and the fabric
// (moeAllToAllS, moeA2ATokenShare) and, with the experts split etp > 1
// ways, the all-gather (reduce-scatter in the combine) of the received
// tokens over the expert tensor-parallel group's link
// (moeExpertTPGatherS); with ep_overlap only the part combined 1F1B does
// not hide is exposed (moeEPOverlapExposedS).
//
// Under fidelity calibrated a pipeline layout or an MTP depth
// (pipeline_layout, mtp_layers; pplayout.go) sets the rank priced: the
// slowest rank's stages make the replica (calibratedDistributed), the
// memory is the rank holding the most parameters and layers
// (layoutRankParams), ⌈L/pp⌉ in TP, EP and CP is that rank's layers and
// prediction blocks; a layout whose stages, layers or blocks do not
// match pp·v, the model or mtp_layers is infeasible (DistLayoutStages,
// DistLayoutLayers, DistLayoutMTP). Fidelity mlsysim does not use them.
//
// Golden semantics: see DistGolden and solveDistributedGolden.
func solveDistributed(c *Config, r *Result) {
	lay, pp := c.Dist.Layout, one(c.Dist.PP)
	if c.Fidelity != FidelityCalibrated || lay == nil || pp <= 1 || lay.NumStages()%pp != 0 {
		solveDistributedRank(c, r, nil)
		return
	}
	// Under a pipeline layout the ranks differ in their layers, and so in
	// their computation and their collectives (TP, EP and CP run over a
	// rank's own layers): each kind of rank (its stages' sum, rankStage)
	// is priced with its own collectives and the slowest step is the
	// job's. Choosing the rank by its computation alone and adding its
	// collectives let a layout with more work on its computation-heaviest
	// rank (an MTP block beside the loss) price a shorter step.
	first := *r // zero on entry (evaluate)
	var done [layoutCache]LayoutStage
	nd := 0
	for rk := 0; rk < pp; rk++ {
		sig := lay.rankStage(rk, pp)
		seen := false
		for i := 0; i < nd; i++ {
			seen = seen || done[i] == sig
		}
		if seen {
			continue
		}
		if nd < layoutCache {
			done[nd] = sig
			nd++
		}
		if rk == 0 {
			solveDistributedRank(c, r, &sig)
			if r.Dist.Reason != DistOK {
				return // the layout's parallelism: the same for every rank
			}
			continue
		}
		cand := first
		solveDistributedRank(c, &cand, &sig)
		if cand.Dist.StepS > r.Dist.StepS {
			*r = cand
		}
	}
}

// solveDistributedRank is solveDistributed with the rank a pipeline
// layout prices restricted to the ranks whose stages sum to *only (nil:
// the slowest in computation, layoutMicrobatch).
func solveDistributedRank(c *Config, r *Result, only *LayoutStage) {
	d := &c.Dist
	hw, m := c.Hardware, c.Model
	r.Dist.Active = true
	if c.Fidelity == FidelityCalibrated {
		r.Calib.Kind = c.profile().Kind
	}
	t, ok := resolveTopology(c, r)
	tp, pp, ep, cp := one(d.TP), one(d.PP), one(d.EP), one(d.CP)
	mb, v := one(d.Microbatches), one(d.Interleave)
	sem := d.Semantics
	if sem == DistAuto {
		sem = DistNewest
		if c.Fidelity == FidelityMLSysim {
			sem = DistGolden
		}
	}
	fold := foldEP(c, sem)
	epF := float64(ep) // the factor ep adds to the layout's product
	if fold {
		epF = 1
	}
	mp := tp * pp * cp
	if !fold {
		mp *= ep
	}
	r.Dist.GPUs = t.gpus
	if ok {
		switch {
		case float64(tp)*float64(pp)*epF*float64(cp) > float64(t.gpus): // mp may overflow
			r.Dist.Reason = DistTooManyRanks
		case t.gpus%mp != 0:
			r.Dist.Reason = DistIndivisible
		case c.DPSize > 1 && c.DPSize*mp != t.gpus:
			r.Dist.Reason = DistDPMismatch
		case m.Layers > 0 && pp > m.Layers:
			r.Dist.Reason = DistLayersPerStage
		case c.Fidelity == FidelityCalibrated && (d.Layout != nil || d.MTPLayers > 0) && (!m.Class.IsTransformer() || m.Layers < 1):
			r.Dist.Reason = DistLayoutModel
		case c.Fidelity == FidelityCalibrated && d.Layout != nil:
			r.Dist.Reason = layoutReason(d.Layout, m.Layers, pp, v, d.MTPLayers)
		}
	}
	dp, local := 1, 1
	etp, edp := tp, 1
	if r.Dist.Reason == DistOK {
		dp = t.gpus / mp
		if fold {
			var eok bool
			etp, edp, eok = expertLayout(tp, cp, dp, ep)
			if !eok || (ep > 1 && (m.MoELayers() == 0 || m.Experts%ep != 0)) {
				r.Dist.Reason = DistEPFold
			}
		}
	}
	if r.Dist.Reason == DistOK {
		local, r.Dist.Reason = localBatch(c.BatchSize, dp, mb)
	}
	if r.Dist.Reason != DistOK {
		r.Feasible = false
		return
	}
	r.Dist.DP = dp

	bpe := c.Precision.Bytes()
	g := Lower(m, bpe)
	L := g.Layers
	stageLayers := (L + pp - 1) / pp
	S := c.SeqLen
	tokens := float64(S) // tokens per sample
	if !m.Class.IsTransformer() {
		tokens = 1
	}
	h := float64(m.EffectiveHidden())

	// Memory per GPU: the training state sharded over tp·pp·ep, then ZeRO.
	P := g.Parameters
	if P <= 0 {
		P = g.WeightBytes / bpe
	}
	shard := P / float64(tp*pp*ep)
	// zshard is the shard ZeRO divides by dp; under folding the routed
	// experts' shard (xshard) is divided by edp instead.
	zshard, xshard := shard, 0.0
	pe := 0.0
	if fold {
		pe = routedExpertParams(m)
		zshard, xshard = (P-pe)/float64(tp*pp), pe/float64(etp*ep*pp)
	}
	layered := c.Fidelity == FidelityCalibrated && (d.Layout != nil || d.MTPLayers > 0)
	actLayers := stageLayers
	if layered {
		// The rank that holds the most (pplayout.go): its parameters and
		// its layers' activations.
		var dense, experts float64
		dense, experts, actLayers = layoutRankParams(c, L, pp, pe, P, 1/float64(tp), 1/float64(etp*ep))
		if fold && pe > 0 {
			zshard, xshard = dense/float64(tp), experts/float64(etp*ep)
		} else {
			shard = (dense + experts) / float64(tp*ep)
			zshard = shard
		}
	}
	split := pe > 0 // a mixture of experts under folding: two shards
	zdiv := func(stage int) float64 {
		if c.ZeroStage >= stage {
			return zshard/float64(dp) + xshard/float64(edp)
		}
		return zshard + xshard
	}
	w, gr, opt := shard*bpe, shard*bpe, AdamBytesPerParam*shard
	if split {
		w, gr, opt = zdiv(3)*bpe, zdiv(2)*bpe, AdamBytesPerParam*zdiv(1)
	}
	if c.LoRA && m.Layers > 0 && P > 0 {
		frac := math.Min(2*LoRARank*h*4*float64(m.Layers)/P, 1)
		gr *= frac
		opt *= frac
	}
	if !split { // one shard: the order of operations of before, bit for bit
		if c.ZeroStage >= 1 {
			opt /= float64(dp)
		}
		if c.ZeroStage >= 2 {
			gr /= float64(dp)
		}
		if c.ZeroStage >= 3 {
			w /= float64(dp)
		}
	}
	var act float64
	microLocal := local / mb // localBatch: mb divides local
	if m.IsHybrid() {
		// Block by block, its MoE blocks' routed tokens included (hybrid.go).
		act = hybridActivationBytes(m, actLayers, max(S/cp, 1), microLocal, activationStrategy(c), d.MoEImbalance, bpe) *
			float64(min(mb, pp)) / float64(tp)
	} else if m.Class.IsTransformer() {
		a, aok := ActivationMemoryBytes(actLayers, max(S/cp, 1), microLocal, m.EffectiveHidden(), m.Heads, activationStrategy(c), bpe)
		if !aok {
			r.Feasible, r.Reason = false, ReasonNoHeads
			return
		}
		if split { // a mixture of experts keeps its routed tokens' activations (moe_dist.go)
			a += moeActivationDeltaBytes(m, actLayers, max(S/cp, 1), microLocal, activationStrategy(c), d.MoEImbalance, bpe)
		}
		act = a * float64(min(mb, pp)) / float64(tp)
	}
	r.Dist.WeightsBytes, r.Dist.GradientsBytes, r.Dist.OptimizerBytes, r.Dist.ActivationsBytes = w, gr, opt, act
	r.MemoryBytes = w + gr + opt + act
	r.WeightBytes = g.WeightBytes
	r.Feasible = r.MemoryBytes <= hw.MemCapacityBytes
	if !r.Feasible {
		r.Reason = ReasonMemory
	}

	if sem == DistGolden && c.Fidelity == FidelityCalibrated {
		// The golden replica is the η roofline: a calibrated row would
		// carry another model's number. Refused, unpriced.
		r.Calib.Kind = c.profile().Kind
		r.Dist.Reason, r.Feasible, r.Reason = DistGoldenRefused, false, ReasonParallelism
		return
	}
	if sem == DistGolden {
		solveDistributedGolden(c, r, &t, dp, local)
		return
	}

	// Fidelity calibrated: the replica from the operator model, links at
	// the profile's collective efficiency (calib_dist.go).
	var cal calibDist
	if c.Fidelity == FidelityCalibrated {
		cal = calibratedDistributed(c, &t, local, dp, mb, stageLayers, etp, edp, fold, only)
		if cal.refuse {
			r.Dist.Reason, r.Feasible, r.Reason = DistCalibratedSplit, false, ReasonParallelism
			return
		}
	}

	peak := hw.PeakFor(c.Precision)
	mult := moeMultiplier(m, d.MoEImbalance)
	fTok := g.OpsPerSample * mult
	k := 3.0
	if c.Recompute == RecomputeFull {
		k = 4
	}
	B := float64(local)
	modelFLOPs := 3 * fTok * tokens * B // per replica
	hwFLOPs := k * fTok * tokens * B
	tCompute := hwFLOPs / (peak * c.Efficiency * float64(mp))
	bw := hw.MemBandwidthBps
	tMemory := g.WeightBytes / float64(tp*pp*ep) * (1 + ActivationTrafficPerSample*B) / bw
	overhead := hw.DispatchTaxS + 3*float64(stageLayers)*LayerTaxS
	replica := math.Max(tCompute, tMemory) + overhead
	if cal.ok {
		replica, tCompute, tMemory, overhead = cal.replica, cal.compute, cal.memory, cal.fixed
		hwFLOPs = modelFLOPs*cal.hwPerModel + cal.mtpFLOPs
		cal.apply(r)
	}
	// The layers whose collectives a rank runs: those of the stage priced,
	// or of the rank a layout or multi-token prediction sets (its layers
	// and prediction blocks, each block a layer with the routed experts).
	commLayers, moeShare := float64(stageLayers), 0.0
	if n := m.MoELayers(); n > 0 && m.Layers > 0 {
		moeShare = float64(n) / float64(m.Layers)
	}
	moeLayers := float64(stageLayers) * moeShare
	if cal.layered {
		commLayers = float64(cal.rankLayers + cal.rankMTP)
		moeLayers = float64(cal.rankLayers) * moeShare
		if moeShare > 0 {
			moeLayers += float64(cal.rankMTP)
		}
	}

	cong := oneF(d.Congestion)
	sLocal := float64(max(S/cp, 1))
	// Each collective moves its traffic in the format the stack keeps it
	// in (commBytes): bf16 activations, K/V and gradients under
	// Transformer Engine's fp8 recipe, the precision's bytes otherwise.
	ab, gb := commBytes(c, calibration.TrafficActivations), commBytes(c, calibration.TrafficGradients)
	actBytes := B * sLocal * h * ab
	var tTP, tDP, tEP, tCP, tPP float64
	if tp > 1 {
		β, α := t.link(tp)
		tTP = TPAllReducesPerLayer * commLayers * RingAllReduceS(actBytes, tp, β, α)
		if m.IsHybrid() {
			// A hybrid's block has one row-parallel output (attention's or
			// Mamba-2's out_proj, the MLP's down projection): 1 forward + 1
			// backward, half a transformer layer's (hybrid.go).
			tTP /= 2
		}
		if cal.ok {
			tTP *= cal.tpFactor
		}
	}
	if split {
		// Dense gradients over the dp ranks, the experts' over edp.
		lora := 1.0
		if c.LoRA {
			lora = LoRAGradientFraction
		}
		if dp > 1 {
			tDP = dpAllReduceS(d.Collective, zshard*gb*lora, dp, mp, &t)
		}
		if edp > 1 && xshard > 0 {
			tDP += dpAllReduceS(d.Collective, xshard*gb*lora, edp, max(t.gpus/pp/edp, 1)*pp, &t)
		}
		tDP *= 1 - clamp01(d.Overlap)
	} else if dp > 1 {
		grad := g.WeightBytes / float64(tp*pp*ep)
		if layered { // the rank holding the most (layoutRankParams)
			grad = shard * bpe
		}
		if gb != bpe { // gradients in another format than the weights' elements
			grad = grad / bpe * gb
		}
		if c.LoRA {
			grad *= LoRAGradientFraction
		}
		tDP = dpAllReduceS(d.Collective, grad, dp, mp, &t) * (1 - clamp01(d.Overlap))
	}
	if ep > 1 && fold {
		if n := m.MoELayers(); n > 0 {
			// Dispatch and combine, forward and backward, in the stage's
			// MoE layers; each token's k copies (× imbalance f), in the
			// stack's activation format (actBytes: bf16 under Transformer
			// Engine's fp8 recipe, the tokens are dispatched before the
			// experts cast them).
			// A rank sends its own S/tp tokens (moeA2ATokenShare); with
			// experts split etp ways the received tokens are all-gathered
			// over the expert tensor-parallel group after the dispatch
			// and reduce-scattered before the combine
			// (moeExpertTPGatherS), in the dispatcher and so in EP.
			vol := actBytes * float64(max(m.ActiveExperts, 1)) * oneF(d.MoEImbalance) * moeA2ATokenShare(tp)
			if !cal.layered { // the order of operations of before, bit for bit
				moeLayers = float64(stageLayers) * float64(n) / float64(m.Layers)
			}
			tEP = 4 * moeLayers * (moeAllToAllS(vol, ep, etp, &t) + moeExpertTPGatherS(vol, etp, &t))
		}
	} else if ep > 1 {
		β, α := t.link(tp * ep)
		vol := actBytes * float64(max(m.ActiveExperts, 1)) * mult
		tEP = 4 * float64(stageLayers) * AllToAllS(vol, ep, β, α)
	}
	if cp > 1 {
		β, α := t.link(tp * cp)
		// A rank's K/V block: its tensor-parallel share of the KV heads
		// (⌈kvh/tp⌉, as calibration.Transformer.Shard splits them; Megatron's
		// tensor parallelism splits the attention heads), for its S/cp
		// tokens; the ring runs between the ranks of one tp index.
		kvh := max((m.EffectiveKVHeads()+tp-1)/tp, 1)
		kvChunk := 2 * B * sLocal * float64(kvh*m.EffectiveHeadDim()) * commBytes(c, calibration.TrafficKV)
		tCP = 3 * commLayers * float64(cp-1) * (kvChunk/β + α)
	}
	if pp > 1 {
		β, α := t.link(tp * cp * int(epF) * pp)
		tPP = 2 * float64(pp-1) * (float64(microLocal)*sLocal*h*ab/β + α)
	}
	tTP, tDP, tEP, tCP, tPP = tTP*cong, tDP*cong, tEP*cong, tCP*cong, tPP*cong
	dEPdReplica := 0.0 // the exposed all-to-alls' derivative in the replica's computation
	if cal.ok && fold && d.EPOverlap && tEP > 0 && hideComm {
		// Combined 1F1B: each microbatch's all-to-alls run behind the
		// computation of the adjacent one (moe_dist.go).
		tEP, dEPdReplica = moeEPOverlapExposedS(tEP, replica-cal.parts.OptimizerS, mb, v, pp)
	}
	if cal.ok && cal.tpOverlap && hideComm {
		// The collectives pipelined with the layers' GEMMs: only the
		// excess over the GEMM time is exposed.
		tTP = math.Max(0, tTP-cal.layerGEMM)
	}
	if cal.ok && cp > 1 && hideComm && commLayers > 0 { // a rank without layers (a layout's) runs no ring
		// Each of the cp−1 ring steps of every layer overlaps its K/V
		// transfer with the attention on the block at hand.
		steps := commLayers * float64(cp-1)
		perBlock := commLayers * float64(cp)
		tCP = steps * ringExposedS(tCP/(3*steps), cal.attnFwd/perBlock, cal.attnBwd/perBlock)
	}
	b := PipelineBubbleFraction(pp, mb, v)
	bubble := replica * b / (1 - b)
	comm := tDP + tTP + tPP + tEP + tCP
	step := (replica + comm + bubble) * oneF(d.Straggler)

	r.Dist.ReplicaS, r.Dist.StepS = replica, step
	if cal.ok {
		// The step's derivative in the replica's microbatch time, times
		// the MoE layers the microbatches price (CalibResult).
		slope := (1/(1-b) + dEPdReplica) * oneF(d.Straggler)
		r.Calib.MoELayerMicrobatches = cal.moeLayers * slope
		r.Calib.RoutedCopies, r.Calib.MoEExpertMicrobatches = cal.routedCopies*slope, cal.moeLayerExperts*slope
	}
	r.Dist.CommS, r.Dist.CommDPS, r.Dist.CommTPS, r.Dist.CommPPS, r.Dist.CommEPS, r.Dist.CommCPS = comm, tDP, tTP, tPP, tEP, tCP
	r.Dist.BubbleS, r.Dist.BubbleFraction = bubble, b
	r.Dist.StragglerS = step - (replica + comm + bubble)
	r.Dist.ScalingEfficiency = replica / step
	r.Dist.SamplesPerS = float64(dp) * B / step

	r.LatencyS = step
	r.ComputeS, r.MemoryS, r.OverheadS = tCompute, tMemory, overhead
	r.ThroughputPerS = r.Dist.SamplesPerS
	r.TokensPerS = r.Dist.SamplesPerS * tokens
	r.EffectiveFLOPS, r.EffectiveBandwidth = peak*c.Efficiency, bw
	r.ArithmeticIntensity = hwFLOPs / (g.WeightBytes * (1 + ActivationTrafficPerSample*B))
	r.OverheadDominated = overhead > math.Max(tCompute, tMemory)
	r.Bottleneck = BottleneckCompute
	switch {
	case comm > math.Max(tCompute, tMemory):
		r.Bottleneck = BottleneckNetwork
	case tMemory > tCompute:
		r.Bottleneck = BottleneckMemory
	}
	gpus := float64(t.gpus)
	r.MFU = clamp01(float64(dp) * modelFLOPs / step / (peak * gpus))
	r.HFU = clamp01(float64(dp) * hwFLOPs / step / (peak * gpus))
	r.EnergyJ = gpus * hw.TDPW * (IdlePowerFraction + DynamicPowerFraction*r.HFU) * step
}

// commBytes returns the bytes of one element of traffic t that a
// collective of training configuration c moves: under fidelity calibrated
// the software stack's format at c's precision (calibration.CommBytes:
// bf16 for every kind under Transformer Engine's fp8 recipe), otherwise
// the precision's bytes (fidelity mlsysim has no software stacks).
func commBytes(c *Config, t calibration.Traffic) float64 {
	if c.Fidelity != FidelityCalibrated {
		return c.Precision.Bytes()
	}
	return calibration.CommBytes(c.Calib.Software, c.Precision, t)
}

// localBatch returns the sequences of one replica when a global batch of
// batch sequences is split over dp replicas, and why mb microbatches cannot
// split them (DistOK when they can):
//
//	local = max(1, ⌊batch/dp⌋), mb divides local (mb · local/mb = local)
//
// A batch below dp gives each replica one sequence (the batch grows with
// the replicas). Microbatches that do not split the local batch evenly, or
// outnumber its sequences, are a layout no framework runs: pricing it would
// count ⌈local/mb⌉·mb sequences a replica does not have.
func localBatch(batch, dp, mb int) (int, DistReason) {
	local := max(1, batch/dp)
	if local%mb != 0 {
		return local, DistMicrobatches
	}
	return local, DistOK
}

// dpAllReduceS returns the DP gradient all-reduce of grad bytes over dp
// ranks when each replica spans mp consecutive GPUs. With auto, the newest
// rule: when a replica fills a node or more, each node holds one DP rank
// and a ring runs over the fabric; when several ranks share a node and the
// ranks span several nodes, a hierarchical all-reduce; when all ranks sit
// in one node, a ring over the node's link.
func dpAllReduceS(alg Collective, grad float64, dp, mp int, t *distTopology) float64 {
	perNode := max(t.perNode/mp, 1) // DP ranks per node
	span := dp * mp                 // GPUs the DP group covers
	β, α := t.link(span)
	nodes := max(dp/perNode, 1)
	switch alg {
	case CollectiveTree:
		return TreeAllReduceS(grad, dp, β, α)
	case CollectiveDoubleTree:
		return DoubleTreeAllReduceS(grad, dp, β, α)
	case CollectiveRing:
		return RingAllReduceS(grad, dp, β, α)
	}
	if perNode > 1 && nodes > 1 {
		return HierarchicalAllReduceS(grad, nodes, perNode, t.intraBps, t.interBps, t.intraLatS, t.fabric.LatencyS)
	}
	return RingAllReduceS(grad, dp, β, α)
}

// solveDistributedGolden is DistGolden, the semantics that produce mlsysim's
// published DistributedModel golden G5 (reference solvers §4.6 [code] with
// the @0e4b2e5f fixes: 450 GB/s per-direction NVLink, 4 TP all-reduces per
// layer):
//
//	replica = Engine.solve(model, accelerator, local batch, training, zero, dp)  (unsharded)
//	DP      = hierarchical(W/tp, ⌈dp/g⌉ nodes, g) if g > 1 and dp > g, else ring(W/tp, dp, NVLink)
//	TP      = 4·L · ring(local·S·h·b, tp)   over NVLink if tp ≤ g, else the fabric
//	EP      = a2a(local·S·h·b·k·f, ep, fabric)
//	bubble  = replica · (pp−1)/(v·m + pp − 1)
//	step    = (replica + congestion·(DP·(1−overlap) + TP + EP) + bubble) · straggler
//	samples/s = N · (local/replica) · replica/step
//
// Memory and feasibility stay the sharded ones of solveDistributed: mlsysim
// reports the unsharded replica as out of memory, which it is not.
func solveDistributedGolden(c *Config, r *Result, t *distTopology, dp, local int) {
	d := &c.Dist
	hw, m := c.Hardware, c.Model
	tp, pp, ep := one(d.TP), one(d.PP), one(d.EP)
	nc := *c
	nc.Mode, nc.BatchSize, nc.DPSize = Training, local, dp
	var node Result
	solveRoofline(&nc, &node)
	bpe := c.Precision.Bytes()
	g := Lower(m, bpe)
	h := float64(m.EffectiveHidden())
	cong := oneF(d.Congestion)

	var tDP, tTP, tEP float64
	if dp > 1 {
		grad := g.WeightBytes / float64(tp)
		if c.LoRA {
			grad *= LoRAGradientFraction
		}
		if t.perNode > 1 && dp > t.perNode {
			n := (dp + t.perNode - 1) / t.perNode
			tDP = HierarchicalAllReduceS(grad, n, t.perNode, t.intraBps, t.interBps, t.intraLatS, t.fabric.LatencyS)
		} else {
			tDP = RingAllReduceS(grad, dp, t.intraBps, t.intraLatS)
		}
	}
	act := float64(local) * float64(c.SeqLen) * h * bpe
	if tp > 1 {
		β, α := t.link(tp)
		tTP = TPAllReducesPerLayer * float64(g.Layers) * RingAllReduceS(act, tp, β, α)
	}
	if ep > 1 {
		vol := act * float64(max(m.ActiveExperts, 1)) * oneF(d.MoEImbalance)
		tEP = AllToAllS(vol, ep, t.interBps, t.fabric.LatencyS)
	}
	tDP, tTP, tEP = tDP*cong, tTP*cong, tEP*cong
	tDP *= 1 - clamp01(d.Overlap)
	b := PipelineBubbleFraction(pp, one(d.Microbatches), one(d.Interleave))
	bubble := node.LatencyS * b
	comm := tDP + tTP + tEP
	step := (node.LatencyS + comm + bubble) * oneF(d.Straggler)

	r.Dist.ReplicaS, r.Dist.StepS = node.LatencyS, step
	r.Dist.CommS, r.Dist.CommDPS, r.Dist.CommTPS, r.Dist.CommEPS = comm, tDP, tTP, tEP
	r.Dist.BubbleS, r.Dist.BubbleFraction = bubble, b
	r.Dist.StragglerS = step - (node.LatencyS + comm + bubble)
	r.Dist.ScalingEfficiency = node.LatencyS / step
	r.Dist.SamplesPerS = float64(t.gpus) * node.ThroughputPerS * r.Dist.ScalingEfficiency

	r.LatencyS = step
	r.ComputeS, r.MemoryS, r.OverheadS = node.ComputeS, node.MemoryS, node.OverheadS
	r.OffloadSpillBytes = node.OffloadSpillBytes
	r.EffectiveFLOPS, r.EffectiveBandwidth = node.EffectiveFLOPS, node.EffectiveBandwidth
	r.ArithmeticIntensity, r.OverheadDominated = node.ArithmeticIntensity, node.OverheadDominated
	r.ThroughputPerS = r.Dist.SamplesPerS
	tokens := float64(c.SeqLen)
	if !m.Class.IsTransformer() {
		tokens = 1
	}
	r.TokensPerS = r.Dist.SamplesPerS * tokens
	r.Bottleneck = node.Bottleneck
	if comm > math.Max(node.ComputeS, node.MemoryS) {
		r.Bottleneck = BottleneckNetwork
	}
	peak := hw.PeakFor(c.Precision)
	gpus := float64(t.gpus)
	fTok := g.OpsPerSample
	k := 3.0
	if c.Recompute == RecomputeFull {
		k = 4
	}
	samples := float64(dp * local)
	r.MFU = clamp01(3 * fTok * tokens * samples / step / (peak * gpus))
	r.HFU = clamp01(k * fTok * tokens * samples / step / (peak * gpus))
	r.EnergyJ = gpus * hw.TDPW * (IdlePowerFraction + DynamicPowerFraction*r.HFU) * step
}
