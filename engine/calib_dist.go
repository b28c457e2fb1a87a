package engine

import (
	"math"

	"github.com/mlsysim/mlsysim-go/calibration"
)

// Calibrated distributed training. Under fidelity calibrated,
// solveDistributed (newest semantics) takes the replica's busy time from
// the operator model instead of k·F/(peak·η):
//
//	replica = m · t_micro + t_adam
//	t_micro = StageMicrobatch(⌈L/pp⌉ layers of the model sharded tp ways,
//	          local/m sequences, recomputation, LM head and loss)
//	t_adam  = fused Adam over the rank's P/(tp·pp·ep) parameters (÷ dp
//	          under ZeRO ≥ 1), once per step
//
// The stage timed is the last one, which holds the LM head and the loss
// (and mtp_layers prediction blocks) besides its layers: in a 1F1B
// pipeline the slowest stage sets the pace. With a pipeline layout
// (pipeline_layout, pplayout.go) every pipeline rank is timed with its own
// virtual stages, their layers, embedding, MTP blocks and LM head and
// loss (layoutMicrobatch); solveDistributed prices each kind of rank
// with its microbatch as t_micro and the collectives of its own layers
// and blocks, and the longest step is the job's. Adam covers the
// parameters of the rank holding the most (layoutRankParams). HFU adds the prediction blocks' hardware FLOPs;
// MFU counts the model's alone.
// Collectives run at the profile's achieved fraction of the link's
// datasheet bandwidth (NVLink or PCIe inside a node, InfiniBand or
// Ethernet between nodes), and full recomputation repeats the forward's
// two tensor-parallel all-reduces per layer (6 per layer instead of 4).
//
// MFU and HFU count the replica's work once, whatever the layout: MFU the
// model FLOPs 3·F·S·local, HFU those × the operator model's hardware FLOPs
// per model FLOP (recomputation included), so HFU ≥ MFU on every layout.
// Counting HFU from one rank's stage × tp·pp would miss the cp ranks (each
// computes S/cp tokens) and count the last stage's LM head pp times.

// calibratedMicrobatchS returns the calibrated time of one microbatch of
// micro sequences, forward and backward, on one GPU of the last pipeline
// stage (stageLayers layers, shapes divided by tp, with the LM head, the
// loss and mtp_layers prediction blocks), with its breakdown and its step
// (for Transformer.StageMoECounts).
func calibratedMicrobatchS(c *Config, prof *calibration.Profile, d *calibration.Device, shape *calibration.Transformer, micro, stageLayers, tp, etp int) (float64, calibration.Breakdown, calibration.Step) {
	st := calibStep(c, micro)
	b := prof.StageMicrobatch(d, shape, &st, calibration.Stage{Layers: stageLayers, TP: tp, ETP: etp, Head: true})
	return b.Total, b, st
}

// calibStep returns the calibrated training step of one microbatch of
// micro sequences of configuration c.
func calibStep(c *Config, micro int) calibration.Step {
	return calibration.Step{Batch: micro, Seq: max(c.SeqLen/one(c.Dist.CP), 1), Recompute: calibration.Recompute(c.Recompute), Software: c.Calib.Software, CP: one(c.Dist.CP),
		MoETokenDrop: c.Dist.MoETokenDrop, MoEHybridEP: c.Dist.MoEHybridEP, MTP: c.Dist.MTPLayers}
}

// layoutCache is the number of distinct virtual stages layoutMicrobatch
// times once each; stages beyond it are timed where they occur.
const layoutCache = 8

// layoutMicrobatch returns the calibrated microbatch of the slowest
// pipeline rank of layout lay over pp ranks: each rank's virtual stages
// (PipelineLayout.rankStage's, in turn: the rank runs its chunks one
// after the other) timed with their own layers, embedding, loss and MTP
// blocks (calibration.Stage) and summed, Total included; the rank whose
// sum is the largest sets the pipeline's pace. rank is that rank's sum
// of stages, mtpFLOPs the hardware FLOPs of the prediction blocks of
// one microbatch wherever they are (Breakdown.MTPFLOPs). With only set,
// the slowest of the ranks whose stages sum to *only is returned
// (PipelineLayout.rankStage), so that solveDistributed can price every
// kind of rank with its own collectives.
func layoutMicrobatch(prof *calibration.Profile, d *calibration.Device, shape *calibration.Transformer, st *calibration.Step, lay *PipelineLayout, pp, tp, etp int, only *LayoutStage) (slow calibration.Breakdown, rank LayoutStage, mtpFLOPs float64) {
	var keys [layoutCache]LayoutStage
	var vals [layoutCache]calibration.Breakdown
	n := 0
	found := false
	time := func(g *LayoutStage) calibration.Breakdown {
		for i := 0; i < n; i++ {
			if keys[i] == *g {
				return vals[i]
			}
		}
		b := prof.StageMicrobatch(d, shape, st, calibration.Stage{Layers: g.Layers, TP: tp, ETP: etp, Embedding: g.Embedding, Loss: g.Loss, MTP: g.MTP})
		if n < layoutCache {
			keys[n], vals[n] = *g, b
			n++
		}
		return b
	}
	for r := 0; r < pp; r++ {
		var sum calibration.Breakdown
		for i := r; i < len(lay.stages); i += pp {
			b := time(&lay.stages[i])
			sum.Add(&b)
			sum.Total += b.Total
		}
		mtpFLOPs += sum.MTPFLOPs
		if only != nil && lay.rankStage(r, pp) != *only {
			continue
		}
		if !found || sum.Total > slow.Total {
			slow, rank, found = sum, lay.rankStage(r, pp), true
		}
	}
	return slow, rank, mtpFLOPs
}

// calibDist is what the calibrated fidelity changes in a distributed step.
type calibDist struct {
	ok                              bool
	refuse                          bool // the layout splits a model the operator model cannot
	replica, compute, memory, fixed float64
	// hwPerModel is the hardware FLOPs per model FLOP of the stage's
	// microbatch (≥ 1: recomputation repeats forward work), b.FLOPs /
	// b.ModelFLOPs of the operator model.
	hwPerModel                       float64
	tpFactor                         float64 // on the TP all-reduce time
	matmul, attention, elementwiseOp float64
	parts                            TimeParts // the replica by operation class
	kind                             calibration.Kind
	// attnFwd and attnBwd are the stage's attention forward and backward
	// (Breakdown.AttnFwd, AttnBwd) summed over the microbatches; the
	// context-parallel ring overlaps its K/V exchanges with them
	// (ringExposedS).
	attnFwd, attnBwd float64
	// tpOverlap: the stack pipelines the tensor-parallel collectives with
	// the layers' GEMMs (calibration.TPCommOverlap), layerGEMM seconds of
	// them (the time the stage's products occupy the GPU, their kernels'
	// fixed times included, less the LM head's, summed over the
	// microbatches: a product that crosses from a split-K kernel and its
	// reduction to one kernel moves a fixed time from Fixed to Matmul, and
	// counting only Matmul as cover made a larger batch faster).
	tpOverlap bool
	layerGEMM float64
	// moeLayers is the stage's MoE layers summed over the microbatches
	// (Breakdown.MoELayers × m), routedCopies and moeLayerExperts their
	// routed token copies and local experts alike.
	moeLayers, routedCopies, moeLayerExperts float64
	// layered: a pipeline layout or multi-token prediction set the rank
	// priced (rankLayers transformer layers and rankMTP prediction
	// blocks, whose collectives the step adds); mtpFLOPs is the replica's
	// hardware FLOPs in the prediction blocks, over the microbatches.
	layered    bool
	rankLayers int
	rankMTP    int
	mtpFLOPs   float64
}

// calibratedDistributed prices the replica of a training job with the
// operator model and derates t's links by the profile's collective
// efficiencies. A model without transformer shapes (CNNs, SSMs, diffusion
// U-Nets, size-only models) is priced under data parallelism only: its
// replica is the calibrated single-GPU step of the local batch
// (solveCalibrated); with tp, pp, ep or cp above 1 refuse is set, as the
// operator model does not split such a model.
//
// With fold (moe_dist.go) the stage's MoE layers run the routed experts of
// an expert-parallel rank (⌈E/ep⌉ experts, split etp ways, the tokens of
// ep ranks, the busiest rank at moe_imbalance × the mean) and the Adam
// update covers the rank's dense shard (÷ dp under ZeRO ≥ 1) and expert
// shard (÷ edp).
//
// With a pipeline layout, only (nil: every rank) restricts the rank
// priced to the ranks whose stages sum to *only (layoutMicrobatch).
func calibratedDistributed(c *Config, t *distTopology, local, dp, mb, stageLayers, etp, edp int, fold bool, only *LayoutStage) calibDist {
	hw, m := c.Hardware, c.Model
	prof := c.profile()
	t.intraBps *= prof.IntraNodeFrac(hw)
	t.interBps *= prof.FabricFrac(t.fabric)
	shape, isTF := shapeOf(m)
	if !isTF {
		if one(c.Dist.TP)*one(c.Dist.PP)*one(c.Dist.EP)*one(c.Dist.CP) > 1 {
			return calibDist{refuse: true}
		}
		nc := *c
		nc.BatchSize, nc.DPSize, nc.Dist = local, dp, DistConfig{}
		var node Result
		solveCalibrated(&nc, &node)
		cd := calibDist{ok: true, kind: prof.Kind, tpFactor: 1, hwPerModel: 1,
			replica: node.LatencyS, compute: node.ComputeS, memory: node.MemoryS, fixed: node.OverheadS,
			matmul: node.Calib.MatmulS, attention: node.Calib.AttentionS, elementwiseOp: node.Calib.ElementwiseS, parts: node.Calib.Step}
		if c.Recompute == RecomputeFull {
			cd.hwPerModel = 4.0 / 3 // genericWork's 4·F against the model's 3·F
		}
		return cd
	}
	d := calibration.DeviceFor(hw, c.Precision)

	tp, pp, ep := one(c.Dist.TP), one(c.Dist.PP), one(c.Dist.EP)
	micro := local / mb
	if fold {
		shape.EP, shape.Imbalance = ep, oneF(c.Dist.MoEImbalance)
		if etp == 1 && tp > 1 {
			// Whole experts beside tensor-parallel attention: under
			// sequence parallelism (which Megatron-Core requires for MoE
			// with tp > 1) each of the tp ranks routes and dispatches its
			// own 1/tp of the tokens (moeEPTokenShare).
			shape.TokenShare = moeEPTokenShare(tp, etp)
		}
	} else {
		etp = tp
	}
	var (
		tMicro float64
		b      calibration.Breakdown
		st     calibration.Step
		rank   = LayoutStage{Layers: stageLayers, MTP: c.Dist.MTPLayers, Loss: true}
		mtpFL  float64
	)
	if lay := c.Dist.Layout; lay != nil {
		st = calibStep(c, micro)
		st.MTP = 0 // the layout places the blocks
		b, rank, mtpFL = layoutMicrobatch(prof, &d, &shape, &st, lay, pp, tp, etp, only)
		tMicro = b.Total
	} else {
		tMicro, b, st = calibratedMicrobatchS(c, prof, &d, &shape, micro, stageLayers, tp, etp)
		mtpFL = b.MTPFLOPs
	}
	copies, layerExperts := shape.StageMoECounts(&st, rank.Layers)
	if rank.MTP > 0 {
		mt := shape
		mt.MoELayers = 0 // the blocks' layers have the routed experts (calibration.Profile.mtpBlocks)
		c2, e2 := mt.StageMoECounts(&st, rank.MTP)
		copies, layerExperts = copies+c2, layerExperts+e2
	}
	n := float64(mb)
	var opt float64
	if !c.Calib.NoOptimizer {
		P := m.Parameters / float64(tp*pp*ep)
		if c.ZeroStage >= 1 {
			P /= float64(max(c.DPSize, t.gpus/(tp*pp*ep*one(c.Dist.CP))))
		}
		if fold {
			pe := routedExpertParams(m)
			dense, experts := (m.Parameters-pe)/float64(tp*pp), pe/float64(etp*ep*pp)
			if c.ZeroStage >= 1 {
				dense, experts = dense/float64(dp), experts/float64(edp)
			}
			P = dense + experts
		}
		if c.Dist.Layout != nil || c.Dist.MTPLayers > 0 {
			// The rank holding the most parameters (layoutRankParams).
			pe := 0.0
			if fold {
				pe = routedExpertParams(m)
			}
			dense, experts, _ := layoutRankParams(c, m.Layers, pp, pe, m.Parameters, 1/float64(tp), 1/float64(etp*ep))
			if fold && pe > 0 {
				dense, experts = dense/float64(tp), experts/float64(etp*ep)
				if c.ZeroStage >= 1 {
					dense, experts = dense/float64(dp), experts/float64(edp)
				}
				P = dense + experts
			} else {
				P = (dense + experts) / float64(tp*ep)
				if c.ZeroStage >= 1 {
					P /= float64(max(c.DPSize, t.gpus/(tp*pp*ep*one(c.Dist.CP))))
				}
			}
		}
		opt = prof.OptimizerS(&d, P)
	}
	cd := calibDist{ok: true, kind: prof.Kind, tpFactor: 1,
		replica: n*tMicro + opt,
		compute: n * (b.Matmul + b.Attention), memory: n*(b.Elementwise) + opt, fixed: n * b.Fixed,
		hwPerModel: 1,
		matmul:     n * b.Matmul, attention: n * b.Attention, elementwiseOp: n*b.Elementwise + opt,
		parts:   partsOf(&b, n),
		attnFwd: n * b.AttnFwd, attnBwd: n * b.AttnBwd,
		tpOverlap: calibration.TPCommOverlap(c.Calib.Software), layerGEMM: n * (b.Matmul + b.MatmulFixed - b.HeadMatmul - b.HeadMatmulFixed),
		moeLayers: n * b.MoELayers, routedCopies: n * copies, moeLayerExperts: n * layerExperts}
	cd.parts.OptimizerS += opt
	if fl := b.FLOPs - b.MTPFLOPs; b.ModelFLOPs > 0 && fl > b.ModelFLOPs {
		cd.hwPerModel = fl / b.ModelFLOPs
	}
	if c.Dist.Layout != nil || c.Dist.MTPLayers > 0 {
		// The replica's prediction blocks: the rank's share × its tp·cp
		// peers of the stage, over the microbatches.
		cd.layered, cd.rankLayers, cd.rankMTP = true, rank.Layers, rank.MTP
		cd.mtpFLOPs = n * mtpFL * float64(tp*one(c.Dist.CP))
	}
	if c.Recompute == RecomputeFull {
		cd.tpFactor = float64(TPAllReducesPerLayer+2) / TPAllReducesPerLayer
	}
	return cd
}

// apply writes the calibrated outcomes a distributed result reports.
func (cd *calibDist) apply(r *Result) {
	r.Calib.Kind = cd.kind
	r.Calib.MatmulS, r.Calib.AttentionS, r.Calib.ElementwiseS = cd.matmul, cd.attention, cd.elementwiseOp
	r.Calib.Step = cd.parts
}

// ringExposedS returns the exposed time of one ring step of context
// parallelism in every layer, forward and backward: the K/V block of the
// next step is sent point to point while the attention of the current
// block runs (ring attention; Megatron-Core's context parallelism through
// Transformer Engine's attention), so a step costs max(attention on a
// block, transfer of a block) and exposes only the excess:
//
//	max(0, x − aF) + max(0, 2·x − aB)
//
// with x the transfer of one K/V block, aF and aB the attention forward
// and backward on one block (the stage's attention over its layers and
// the cp blocks); the backward sends the K/V block and receives its
// gradients (2·x). A recomputed forward's attention is not counted as
// cover (nor its repeated exchange as cost), and the first block's
// attention, which has nothing to hide, is not subtracted. Sources: Liu,
// Zaharia and Abbeel, Ring Attention with Blockwise Transformers (2023):
// each host sends its key-value block to the next while computing the
// blockwise attention on the one it holds; Megatron-Core documentation,
// context parallelism: the K/V exchanged by point-to-point sends in a ring
// inside Transformer Engine's attention, overlapped with the attention of
// the block at hand. Every stack's context parallelism is priced with this
// ring, so the overlap applies to every stack.
func ringExposedS(x, aF, aB float64) float64 {
	return math.Max(0, x-aF) + math.Max(0, 2*x-aB)
}
