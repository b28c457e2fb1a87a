package engine

import (
	"math"

	"github.com/mlsysim/mlsysim-go/calibration"
)

// Pipeline-parallel serving under the calibrated fidelity. The model's L
// layers are split into pp stages of ⌈L/pp⌉ layers (the last one holds
// the LM head), each stage on tp GPUs (sharded as calibratedServeSteps
// shards them), stage after stage on consecutive GPUs: a stage boundary
// lies within a node unless it falls on a node's edge (gpus_per_node, the
// system's node, else 8).
//
//	m        = min(pp, batch_size)             micro-batches in flight, of b = ⌈batch/m⌉ sequences
//	p2p(T)   = Σ over the pp − 1 boundaries of T·h·bytes / β + α, at the node's link
//	           (NVLink, PCIe without it) within a node, the fabric across nodes
//	one pass = the whole model's step at b sequences (the sum of the stages: calibratedServeSteps,
//	           tp all-reduces included) + p2p(b tokens)
//	ITL      = max(one pass, m · t_stage(b))   a sequence's next token waits for its pass and for
//	           the other micro-batches' turns on the slowest stage (the last, with the LM head)
//	prefill  = the whole model's prefill of b prompts + p2p(b·seq_len) + (m − 1) · the last
//	           stage's prefill of b prompts (the batch's micro-batches follow each other through
//	           the stages): the batch's prefill, ServeResult.PrefillS
//	           (the time parts: the same terms by operation class, the transfers in comm_pp; ITL's
//	           parts are those of the bound that holds, timeparts.go)
//	TTFT     = one request's under continuous batching, as without pp (requestTTFT, bounded by
//	           the batch's prefill above without its transfers) + p2p(seq_len) of its own prompt
//
// With expert parallelism (ep > 1, serving_moe.go) each stage is max(tp,
// ep) GPUs in ep/tp attention groups, each serving ⌈b/(ep/tp)⌉ of a
// micro-batch's sequences, its experts spread whole over the ep GPUs: the
// whole model's pass is calibratedServeSteps' (all-to-alls of every MoE
// layer included), the last stage's adds the all-to-alls of its MoE layers
// (the last ⌈L/pp⌉ layers: the dense ones come first, registry
// DenseLayers), and a boundary sends a group's activations to the next
// stage's group, stages of max(tp, ep) consecutive GPUs.
//
// Memory per GPU: the weights / (tp·pp) (the dense part / (tp·pp) + the
// routed experts / (ep·pp) with EP) and the KV cache of ⌈L/pp⌉ layers on
// one tp rank for its attention group's sequences, at the peak context;
// max_batch_size from it. What it does
// not model is refused (ReasonServingPP): pp with chunk_size,
// cached_prefix_len, draft_model or decode_hardware, or more stages than
// layers.

// ppGap returns why the calibrated fidelity cannot serve c's pipeline,
// ReasonNone when it can (or pp is 1).
func ppGap(c *Config) Reason {
	pp := one(c.Dist.PP)
	if pp <= 1 {
		return ReasonNone
	}
	s := &c.Serve
	if s.ChunkSize > 0 || s.CachedLen > 0 || s.Draft != nil || s.DecodeHW != nil || pp > c.Model.Layers {
		return ReasonServingPP
	}
	return ReasonNone
}

// ppSteps is a pipeline's steps at one micro-batch size.
type ppSteps struct {
	m, b              int      // micro-batches, sequences each
	full              calServe // the whole model at b sequences
	stPre, stDec, stM float64  // the last stage: prefill, decode at seq_len, at the mean context (all-reduces in)
	p2pTok            float64  // p2p of one token of each of the b sequences
	p2pPre            float64  // p2p of the b prompts
	p2pOne            float64  // p2p of one prompt

	stPreParts, stDecParts TimeParts // stPre and stDec by operation class (timeparts.go)
}

// ppStepsAt prices the pipeline of c for batch sequences at a prompt of
// seq tokens (decode only when noPrefill).
func ppStepsAt(c *Config, batch, seq int, noPrefill bool, out *ppSteps) {
	pp := one(c.Dist.PP)
	out.m = min(pp, max(batch, 1))
	out.b = (batch + out.m - 1) / out.m
	work := serveAll
	if noPrefill {
		work = serveDecode
	}
	calibratedServeSteps(c, out.b, seq, work, &out.full)

	tp, ep := one(c.Dist.TP), one(c.Dist.EP)
	hw, prof := c.Hardware, c.profile()
	shape, _ := shapeOf(c.Model)
	sh := shape.Shard(tp)
	servingEPShape(&sh, &shape, tp, ep) // serving_moe.go
	L := c.Model.Layers
	sh.Layers = (L + pp - 1) / pp
	share := float64(sh.Layers) / float64(L)
	pool := newServePool(c, hw, prof, tp, ep)
	bg := pool.attnBatch(out.b) // an attention group's sequences
	// The last stage's MoE layers: the dense layers come first, then every
	// MoELayerStep-th is MoE.
	stageMoE := min(c.Model.MoELayers(), (sh.Layers+max(c.Model.MoELayerStep, 1)-1)/max(c.Model.MoELayerStep, 1))
	d := deviceFor(c, hw)
	kvb := kvElementBytes(c)
	if kvb == d.Bytes {
		kvb = 0
	}
	meanCtx := seq
	if c.OutputTokens > 1 {
		meanCtx += c.OutputTokens / 2
	}
	q := calibration.ServeQuery{Batch: bg, CtxA: seq, CtxB: meanCtx, KVBytes: kvb, Software: c.Calib.Software}
	if !noPrefill {
		q.Prefill, q.PromptCtx = seq, seq
	}
	var pre, dec, mean calibration.Breakdown
	prof.ServeSteps(&pre, &dec, &mean, &d, &sh, &q)
	B := float64(bg)
	ar := pool.allReduceS(B) * share
	a2a := pool.epAllToAllLayersS(c, B, stageMoE) // 0 without EP
	out.stDec, out.stM = dec.Total+ar+a2a, mean.Total+ar+a2a
	out.stDecParts = partsOf(&dec, 1)
	out.stDecParts.CommS, out.stDecParts.CommEPS = ar, a2a
	if !noPrefill {
		arPre := pool.allReduceS(B*float64(seq)) * share
		a2aPre := pool.epAllToAllLayersS(c, B*float64(seq), stageMoE)
		out.stPre = pre.Total + arPre + a2aPre
		out.stPreParts = partsOf(&pre, 1)
		out.stPreParts.CommS, out.stPreParts.CommEPS = arPre, a2aPre
	}
	h := float64(c.Model.EffectiveHidden()) * calibration.ServeActivationBytes(c.Calib.Software, activationPrecision(c))
	out.p2pTok = ppTransferS(c, B*h)
	out.p2pPre = ppTransferS(c, B*float64(seq)*h)
	out.p2pOne = ppTransferS(c, float64(seq)*h)
}

// ppTransferS returns the time to send bytes across every stage boundary
// of c's pipeline in turn: within a node at the node's link, across nodes
// at the fabric's (servingTPLink's links and efficiencies), stages of
// max(tp, ep) consecutive GPUs (servingGPUs).
func ppTransferS(c *Config, bytes float64) float64 {
	tp, pp := servingGPUs(c), one(c.Dist.PP)
	perNode := c.Dist.GPUsPerNode
	if perNode <= 0 && c.Dist.System != nil && c.Dist.System.Node != nil {
		perNode = c.Dist.System.Node.AcceleratorsPerNode
	}
	if perNode <= 0 {
		perNode = DefaultGPUsPerNode
	}
	hw, prof := c.Hardware, c.profile()
	βi, αi := servingTPLink(c, hw, prof, 1)
	var t float64
	for s := 1; s < pp; s++ {
		if s*tp%perNode == 0 {
			βf, αf := servingTPLink(c, hw, prof, perNode+1)
			t += bytes/βf + αf
		} else {
			t += bytes/βi + αi
		}
	}
	return t
}

// itl returns the pipeline's decode step (a sequence's time between
// tokens) at the KV context of the step a (seq_len) or the mean context.
func (p *ppSteps) itl(atMean bool) float64 {
	pass, stage := p.full.itl, p.stDec
	if atMean {
		pass, stage = p.full.meanS, p.stM
	}
	return math.Max(pass+p.p2pTok, float64(p.m)*stage)
}

// parts returns the batch's prefill and the decode step at seq_len (itl
// at the step a) by operation class: the prefill as compute + p2pPre sums
// it, the step as the bound itl takes (timeparts.go).
func (p *ppSteps) parts() (pre, dec TimeParts) {
	fm := float64(p.m)
	pre = p.full.preParts
	pre.scaleAdd(&p.stPreParts, fm-1)
	pre.CommPPS += p.p2pPre
	if pass := p.full.itl + p.p2pTok; pass >= fm*p.stDec {
		dec = p.full.decParts
		dec.CommPPS += p.p2pTok
	} else {
		dec.scaleAdd(&p.stDecParts, fm)
	}
	return pre, dec
}

// ppDecodeS is calibratedDecodeS of a pipeline: the decode step of n
// sequences at context ctx.
func ppDecodeS(c *Config, n, ctx int) float64 {
	var p ppSteps
	ppStepsAt(c, n, max(ctx, 1), true, &p)
	return p.itl(false)
}

// solveServingPP is solveServingCalibrated for pp > 1 (see the top of the
// file). Utilisation counts each GPU's share of the work, 1/pp of a tp
// rank's; energy the max(tp, ep)·pp GPUs over the batch's request cycle.
func solveServingPP(c *Config, r *Result) {
	hw := c.Hardware
	prof := c.profile()
	r.Calib.Kind = prof.Kind
	tp, pp := one(c.Dist.TP), one(c.Dist.PP)
	var p ppSteps
	ppStepsAt(c, c.BatchSize, c.SeqLen, false, &p)
	B := float64(c.BatchSize)
	steps := float64(c.OutputTokens - 1)
	fm := float64(p.m)

	// Memory per GPU: the stage's weights and its layers' KV cache.
	wb := weightPrecision(c).Bytes()
	r.WeightBytes = Lower(c.Model, wb).WeightBytes
	L := c.Model.Layers
	share := float64((L+pp-1)/pp) / float64(L)
	ep := one(c.Dist.EP)
	w := r.WeightBytes / float64(tp*pp)
	if ep > 1 {
		w = servingWeightsPerGPU(c.Model, r.WeightBytes, tp, ep) / float64(pp) // serving_moe.go
	}
	kvb := kvElementBytes(c)
	peak := c.SeqLen + c.OutputTokens
	perSeq := kvPerGPU(c.Model, peak, 1, kvb, tp) * share
	groups := servingGPUs(c) / tp // attention groups of a stage
	r.MemoryBytes = w + perSeq*float64((c.BatchSize+groups-1)/groups)
	r.KVCacheBytes = calibKVCacheBytes(c.Model, peak, c.BatchSize, kvb) // the model's own layout (serving_moe.go)
	if free := hw.MemCapacityBytes - w; free > 0 && perSeq > 0 {
		r.Serve.MaxBatchSize = int(math.Min(math.Floor(free/perSeq)*float64(groups), math.MaxInt32))
	}
	r.Feasible = c.BatchSize <= r.Serve.MaxBatchSize
	if !r.Feasible {
		r.Reason = ReasonMemory
	}

	compute := p.full.ttft + (fm-1)*p.stPre // the batch's prefill, without its transfers
	prefill := compute + p.p2pPre
	batch := calServe{ttft: compute, itl: p.itl(false)}
	r.TTFTS = requestTTFT(c, &batch, nil) + p.p2pOne
	r.ITLS = p.itl(false)
	meanStep := p.itl(true)
	r.TokensPerS = B / r.ITLS
	cycle := prefill + steps*meanStep
	r.Serve.PrefillS, r.Serve.DecodeS = prefill, steps*meanStep
	r.Serve.PrefillChunks, r.Serve.SpeculativeSpeedup = 1, 1
	r.LatencyS = r.TTFTS + steps*meanStep
	r.ThroughputPerS = B / cycle
	f := &p.full
	r.ComputeS, r.MemoryS = f.pre.Matmul+f.pre.Attention, f.dec.Total-f.dec.Fixed
	r.OverheadS = f.dec.Fixed + f.pre.Fixed
	r.Bottleneck = BottleneckCompute
	if steps*r.ITLS > prefill {
		r.Bottleneck = BottleneckMemory
	}
	if f.dec.Bytes > 0 {
		r.ArithmeticIntensity = f.dec.FLOPs / f.dec.Bytes
	}
	r.Calib.MatmulS, r.Calib.AttentionS, r.Calib.ElementwiseS = f.pre.Matmul, f.pre.Attention, f.pre.Elementwise+f.pre.Optimizer
	r.Calib.Prefill, r.Calib.Decode = p.parts()
	// f's FLOPs are one tp rank's of the whole model at b sequences; a GPU
	// of the pipeline does 1/pp of them, for each of the m micro-batches.
	if cycle > 0 && f.prePeak > 0 {
		per := fm / float64(pp) / cycle / f.prePeak
		r.MFU = clamp01((f.pre.ModelFLOPs + steps*f.stepModel) * per)
		r.HFU = clamp01((f.pre.FLOPs + steps*f.stepFLOPs) * per)
	}
	d := deviceFor(c, hw)
	r.EffectiveFLOPS = prof.MatmulFLOPS(&d)
	r.EffectiveBandwidth = prof.StreamBps(&d)
	r.EnergyJ = replicaTDPW(c, servingGPUs(c)*pp) * (IdlePowerFraction + DynamicPowerFraction*r.HFU) * cycle
}
