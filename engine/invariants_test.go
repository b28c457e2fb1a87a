package engine

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/registry"
)

// The physics-invariant suite: seeded random serving, inference and
// training configurations over the vocabulary (every model, hardware and
// system entry, every precision, the serving options, single-GPU and
// distributed training layouts, both fidelities), each checked for what no
// model may break. There is no exemption list: a broken invariant is a
// bug in the model.

// invariantSpace is what the generator draws from.
type invariantSpace struct {
	models  []*registry.Model
	hws     []*registry.Hardware
	drafts  []*registry.Model // transformers of at most 3B parameters
	systems []*registry.Cluster
	// decodeTP draws decode_tp (and, for a MoE, decode_ep) beside
	// decode_hardware. The serving digest (serving_digest_test.go) leaves
	// it off: its draw, and so its recorded digest, predate the parameters.
	decodeTP bool
}

func newInvariantSpace(t testing.TB) *invariantSpace {
	t.Helper()
	reg := registry.Default()
	sp := &invariantSpace{decodeTP: true}
	for _, k := range reg.Keys(registry.KindModel) {
		m, err := reg.Model(k)
		if err != nil {
			t.Fatal(err)
		}
		sp.models = append(sp.models, m)
		if _, ok := shapeOf(m); ok && m.Parameters > 0 && m.Parameters <= 3e9 && m.VocabSize >= 32000 {
			sp.drafts = append(sp.drafts, m)
		}
	}
	for _, k := range reg.Keys(registry.KindHardware) {
		h, err := reg.Hardware(k)
		if err != nil {
			t.Fatal(err)
		}
		sp.hws = append(sp.hws, h)
	}
	for _, k := range reg.Keys(registry.KindCluster) {
		cl, err := reg.Cluster(k)
		if err != nil {
			t.Fatal(err)
		}
		sp.systems = append(sp.systems, cl)
	}
	if len(sp.models) == 0 || len(sp.hws) == 0 || len(sp.drafts) == 0 || len(sp.systems) == 0 {
		t.Fatal("empty registry")
	}
	return sp
}

// logInt draws an integer in [lo, hi], log-uniform.
func logInt(rng *rand.Rand, lo, hi int) int {
	v := math.Exp(math.Log(float64(lo)) + rng.Float64()*(math.Log(float64(hi))-math.Log(float64(lo))))
	return min(max(int(v), lo), hi)
}

// draw returns a random valid configuration: serving (one in two),
// inference (one in six) or training (one in three), calibrated (four in
// five) or mlsysim.
func (sp *invariantSpace) draw(rng *rand.Rand) Config {
	c := DefaultConfig()
	c.Model = sp.models[rng.Intn(len(sp.models))]
	c.Hardware = sp.hws[rng.Intn(len(sp.hws))]
	c.Mode = Serving
	switch rng.Intn(6) {
	case 0:
		c.Mode = Inference
	case 1, 2:
		c.Mode = Training
	}
	if rng.Intn(5) == 0 {
		c.Fidelity = FidelityMLSysim
		c.Efficiency = 0.05 + 0.95*rng.Float64()
	}
	c.Precision = registry.Precision(rng.Intn(int(registry.NumPrecisions)))
	c.Calib.Software = calibration.Software(rng.Intn(int(calibration.NumSoftware)))
	c.BatchSize = logInt(rng, 1, 1024)
	c.SeqLen = logInt(rng, 1, 131072)
	c.OutputTokens = logInt(rng, 1, 8192)
	if c.Mode == Training {
		sp.drawTraining(rng, &c)
	} else {
		if rng.Intn(4) == 0 {
			c.Prec.WeightSet, c.Prec.Weight = true, registry.Precision(rng.Intn(int(registry.NumPrecisions)))
		}
		if rng.Intn(4) == 0 {
			c.Prec.ActivationSet, c.Prec.Activation = true, registry.Precision(rng.Intn(int(registry.NumPrecisions)))
		}
		if c.Mode == Inference && rng.Intn(4) == 0 {
			c.Work.DiffusionSteps = logInt(rng, 1, 200)
		}
	}
	c.ResolveProfile()
	if c.Mode != Serving {
		return c
	}
	s := &c.Serve
	if rng.Intn(2) == 0 {
		c.Dist.TP = 1 << rng.Intn(5) // 1-16
	}
	if c.Model.Class == registry.ClassMoE && rng.Intn(3) == 0 {
		c.Dist.EP = 1 << rng.Intn(7) // 1-64: wide EP with attention DP
	}
	if rng.Intn(4) == 0 {
		c.Dist.PP = 1 << rng.Intn(5) // 1-16
	}
	if rng.Intn(4) == 0 {
		s.ChunkSize = logInt(rng, 1, 8192)
	}
	if rng.Intn(4) == 0 && c.SeqLen > 1 {
		s.CachedLen = rng.Intn(c.SeqLen)
	}
	if rng.Intn(4) == 0 {
		s.KVPrecSet, s.KVPrecision = true, registry.Precision(rng.Intn(int(registry.NumPrecisions)))
	}
	if rng.Intn(6) == 0 {
		s.Draft = sp.drafts[rng.Intn(len(sp.drafts))]
		s.Acceptance = rng.Float64()
	}
	if rng.Intn(6) == 0 {
		s.DecodeHW = sp.hws[rng.Intn(len(sp.hws))]
		if sp.decodeTP && rng.Intn(2) == 0 {
			s.DecodeTP = 1 << rng.Intn(5) // 1-16, the decode pool's own degree
		}
		if sp.decodeTP && c.Model.Class == registry.ClassMoE && rng.Intn(2) == 0 {
			s.DecodeEP = 1 << rng.Intn(9) // 1-256, the decode pool's own expert parallelism
		}
	}
	return c
}

// pow2 draws a power of two in [1, 2^maxExp].
func pow2(rng *rand.Rand, maxExp int) int { return 1 << rng.Intn(maxExp+1) }

// drawTraining draws a training layout into c: a single GPU (one in three)
// or a registry system with a random share of its GPUs and random parallel
// degrees, microbatches, recomputation, ZeRO stage, overlap, imbalance and
// semantics. Layouts that cannot exist are drawn too: they must come out
// infeasible, unpriced.
func (sp *invariantSpace) drawTraining(rng *rand.Rand, c *Config) {
	c.SeqLen = logInt(rng, 1, 32768)
	c.Recompute = Recompute(rng.Intn(int(numRecomputes)))
	c.ZeroStage = rng.Intn(4)
	c.Calib.NoOptimizer = rng.Intn(4) == 0
	if rng.Intn(3) == 0 {
		return
	}
	d := &c.Dist
	cl := sp.systems[rng.Intn(len(sp.systems))]
	d.System = cl
	if cl.Node != nil && cl.Node.Accelerator != nil {
		c.Hardware = cl.Node.Accelerator
	}
	if n := cl.Accelerators(); n > 1 && rng.Intn(2) == 0 {
		d.GPUs = logInt(rng, 1, n)
		if rng.Intn(4) != 0 {
			d.GPUs = 1 << (bits.Len(uint(d.GPUs)) - 1) // a power of two: most layouts divide it
		}
	}
	d.TP, d.PP, d.CP = pow2(rng, 3), pow2(rng, 4), 1
	if rng.Intn(8) == 0 {
		d.TP, d.PP = pow2(rng, 5), pow2(rng, 7) // mostly more ranks than GPUs or layers
	}
	if rng.Intn(4) == 0 {
		d.CP = pow2(rng, 3)
	}
	if c.Model.Class == registry.ClassMoE && rng.Intn(2) == 0 {
		d.EP = pow2(rng, 4)
		d.MoEImbalance = 1 + rng.Float64()
		d.MoETokenDrop = d.MoEImbalance < 1.5 // half, without a draw of its own (the serving digest's stream)
		// A quarter of the others on the HybridEP dispatcher, again without a draw.
		d.MoEHybridEP = d.MoEImbalance >= 1.75
	}
	d.Microbatches = pow2(rng, 6)
	if rng.Intn(8) == 0 {
		d.Microbatches = 1 + rng.Intn(64)
	}
	d.Interleave = pow2(rng, 1)
	d.Overlap = rng.Float64()
	d.Semantics = DistSemantics(rng.Intn(int(numDistSemantics)))
	// A multi-token prediction depth and a pipeline layout on three in
	// ten, again without draws of their own (the serving digest's stream).
	if d.Overlap < 0.3 && c.Model.Layers > 0 {
		d.MTPLayers = int(d.Overlap*10) % 2
		if d.Overlap < 0.2 {
			d.Layout = invariantLayout(c.Model.Layers, one(d.PP)*one(d.Interleave), d.MTPLayers, int(d.Overlap*100)%4, d.Overlap >= 0.19)
		}
	}
	c.BatchSize = logInt(rng, 1, 8192)
	// Three in four: a global batch that the layout splits, dp replicas of
	// a whole number of microbatches each.
	gpus := d.GPUs
	if gpus == 0 {
		gpus = max(cl.Accelerators(), 1)
	}
	mp := one(d.TP) * one(d.PP) * one(d.CP) * one(d.EP)
	if gpus%mp == 0 && rng.Intn(4) != 0 {
		c.BatchSize = gpus / mp * d.Microbatches * logInt(rng, 1, 4)
	}
}

// invariantLayout returns a pipeline layout of layers layers over n
// stages with mtp prediction blocks on the last: an even split with skew
// layers moved from the last stage to the first, one layer short when
// short (a layout that does not fit the model).
func invariantLayout(layers, n, mtp, skew int, short bool) *PipelineLayout {
	if short {
		layers--
	}
	per := make([]int, n)
	for i := range per {
		per[i] = layers / n
		if i < layers%n {
			per[i]++
		}
	}
	k := min(skew, per[n-1])
	per[0], per[n-1] = per[0]+k, per[n-1]-k
	var b strings.Builder
	b.WriteString("E")
	for i, l := range per {
		if i > 0 {
			b.WriteString("|")
		}
		if l > 0 {
			fmt.Fprintf(&b, "t*%d", l)
		}
	}
	b.WriteString(strings.Repeat("m", mtp) + "L")
	l, err := ParsePipelineLayout(b.String())
	if err != nil {
		panic(err)
	}
	return l
}

// describe names a configuration in a failure message.
func describe(c *Config) string {
	s := fmt.Sprintf("model=%s hardware=%s mode=%v fidelity=%v precision=%v software=%v batch_size=%d seq_len=%d output_tokens=%d tp=%d",
		c.Model.Key, c.Hardware.Key, c.Mode, c.Fidelity, c.Precision, c.Calib.Software, c.BatchSize, c.SeqLen, c.OutputTokens, one(c.Dist.TP))
	if c.Mode == Serving && one(c.Dist.PP) > 1 {
		s += fmt.Sprintf(" pp=%d", one(c.Dist.PP))
	}
	if c.Mode == Training {
		d := &c.Dist
		s += fmt.Sprintf(" recompute=%v zero_stage=%d optimizer_step=%v", c.Recompute, c.ZeroStage, !c.Calib.NoOptimizer)
		if d.System != nil {
			s += fmt.Sprintf(" system=%s gpus=%d pp=%d cp=%d ep=%d microbatches=%d interleave=%d overlap=%g moe_imbalance=%g dist_semantics=%v",
				d.System.Key, d.GPUs, one(d.PP), one(d.CP), one(d.EP), one(d.Microbatches), one(d.Interleave), d.Overlap, oneF(d.MoEImbalance), d.Semantics)
		}
		if d.MTPLayers > 0 {
			s += fmt.Sprintf(" mtp_layers=%d", d.MTPLayers)
		}
		if d.Layout != nil {
			s += fmt.Sprintf(" pipeline_layout=%q", d.Layout.String())
		}
		if c.Fidelity == FidelityMLSysim {
			s += fmt.Sprintf(" efficiency=%g", c.Efficiency)
		}
		return s
	}
	if c.Work.DiffusionSteps > 0 {
		s += fmt.Sprintf(" diffusion_steps=%d", c.Work.DiffusionSteps)
	}
	if c.Prec.WeightSet {
		s += fmt.Sprintf(" weight_precision=%v", c.Prec.Weight)
	}
	if c.Prec.ActivationSet {
		s += fmt.Sprintf(" activation_precision=%v", c.Prec.Activation)
	}
	sv := &c.Serve
	if sv.ChunkSize > 0 {
		s += fmt.Sprintf(" chunk_size=%d", sv.ChunkSize)
	}
	if sv.CachedLen > 0 {
		s += fmt.Sprintf(" cached_prefix_len=%d", sv.CachedLen)
	}
	if sv.KVPrecSet {
		s += fmt.Sprintf(" kv_precision=%v", sv.KVPrecision)
	}
	if sv.Draft != nil {
		s += fmt.Sprintf(" draft_model=%s draft_acceptance=%g", sv.Draft.Key, sv.Acceptance)
	}
	if sv.DecodeHW != nil {
		s += fmt.Sprintf(" decode_hardware=%s", sv.DecodeHW.Key)
	}
	if sv.DecodeTP > 0 {
		s += fmt.Sprintf(" decode_tp=%d", sv.DecodeTP)
	}
	if sv.DecodeEP > 0 {
		s += fmt.Sprintf(" decode_ep=%d", sv.DecodeEP)
	}
	return s
}

// layerFLOPsPerToken returns the matrix FLOPs one token needs in one layer
// of a transformer (projections and MLP or its active experts), a lower
// bound on any model's count.
func layerFLOPsPerToken(t *calibration.Transformer) float64 {
	h, q, kv, F := float64(t.Hidden), float64(t.Heads*t.HeadDim), float64(t.KVHeads*t.HeadDim), float64(t.FFN)
	gate := 2.0
	if t.GatedMLP {
		gate = 3
	}
	mlp := gate * h * F
	if t.Experts > 1 && t.ActiveExperts > 0 {
		// k routed and the shared experts in the MoE layers, the dense
		// MLP in the others (the layer mean).
		moe := (float64(t.ActiveExperts) + float64(t.SharedExperts)) * gate * h * F
		mlp = moe
		if t.MoELayers > 0 {
			Fd := float64(t.DenseFFN)
			if Fd == 0 {
				Fd = F
			}
			fm := float64(t.MoELayers) / float64(t.Layers)
			mlp = fm*moe + (1-fm)*gate*h*Fd
		}
	}
	attn := h*(q+2*kv) + q*h
	if t.KVLatent > 0 {
		H, r, rope := float64(t.Heads), float64(t.KVLatent), float64(t.RopeDim)
		qk, v, ql := float64(t.QKDim), float64(t.VDim), float64(t.QLatent)
		qproj := H * qk * h
		if ql > 0 {
			qproj = ql*h + H*qk*ql
		}
		attn = qproj + (r+rope)*h + H*(qk-rope+v)*r + H*v*h
	}
	if b := t.Blocks; b.Total() > 0 {
		// A hybrid's layer mean: each kind of block by its share, a
		// Mamba-2 block's in_proj and out_proj.
		L := float64(t.Layers)
		E := float64(t.SSM.Heads * t.SSM.HeadDim)
		mamba := h*(2*E+2*float64(t.SSM.Groups*t.SSM.State)+float64(t.SSM.Heads)) + E*h
		dense := gate * h * F
		if t.Experts > 1 && t.ActiveExperts > 0 {
			mlp = float64(b.MoE) / L * (float64(t.ActiveExperts) + float64(t.SharedExperts)) * gate * h * F
			dense = 0
		} else {
			mlp = 0
		}
		return 2 * (float64(b.Attention)/L*attn + float64(b.Mamba)/L*mamba + float64(b.MLP)/L*dense + mlp)
	}
	return 2 * (attn + mlp)
}

// checkInvariants evaluates c and the variations the invariants compare it
// with; it returns the first broken invariant.
func checkInvariants(c Config) error {
	r := Evaluate(&c)
	fail := func(format string, a ...any) error {
		return fmt.Errorf("%s: %s", describe(&c), fmt.Sprintf(format, a...))
	}
	if !(r.MFU >= 0 && r.MFU <= 1 && r.HFU >= 0 && r.HFU <= 1) {
		return fail("MFU %v HFU %v outside [0, 1]", r.MFU, r.HFU)
	}
	if r.HFU < r.MFU*(1-1e-12) {
		return fail("HFU %v below MFU %v", r.HFU, r.MFU)
	}
	if c.Fidelity == FidelityCalibrated && r.Calib.Kind.String() == "" {
		return fail("calibrated row without a calibration column (reason %q)", r.Reason)
	}
	if err := checkTimeParts(&c, &r); err != nil {
		return fail("%v", err)
	}
	// The error band: none under mlsysim; under calibrated, on every row
	// with a latency, containing each headline output.
	b := &r.Band
	switch {
	case c.Fidelity != FidelityCalibrated && b.OK:
		return fail("an error band under fidelity %v", c.Fidelity)
	case c.Fidelity == FidelityCalibrated && r.LatencyS > 0 && !b.OK:
		return fail("calibrated latency %v without an error band", r.LatencyS)
	case b.OK && !(b.LatencyLoS > 0 && b.LatencyLoS <= r.LatencyS && r.LatencyS <= b.LatencyHiS):
		return fail("latency %v outside its band [%v, %v]", r.LatencyS, b.LatencyLoS, b.LatencyHiS)
	case b.OK && c.Mode == Serving && !(b.TTFTLoS <= r.TTFTS && r.TTFTS <= b.TTFTHiS && b.ITLLoS <= r.ITLS && r.ITLS <= b.ITLHiS):
		return fail("TTFT %v or ITL %v outside its band [%v, %v], [%v, %v]", r.TTFTS, r.ITLS, b.TTFTLoS, b.TTFTHiS, b.ITLLoS, b.ITLHiS)
	}
	// Arithmetic without a listed rate, and serving a model without
	// tokens, are refused, unpriced; nothing else is refused so.
	if gap := refusal(&c); gap != ReasonNone || r.Reason.PrecisionGap() || r.Reason == ReasonNoTokens {
		if r.Reason != gap || r.Feasible || r.LatencyS != 0 || r.MFU != 0 || r.EnergyJ != 0 {
			return fail("refusal %q (want %q): feasible %v latency %v", r.Reason, gap, r.Feasible, r.LatencyS)
		}
		return nil
	}
	// kv_precision equal to the precision is a no-op.
	if c.Mode == Serving && !c.Serve.KVPrecSet {
		k := c
		k.Serve.KVPrecSet, k.Serve.KVPrecision = true, activationPrecision(&c)
		if rk := Evaluate(&k); rk != r {
			return fail("kv_precision=%v (the activations') changed the result: ITL %v → %v, TTFT %v → %v", k.Serve.KVPrecision, r.ITLS, rk.ITLS, r.TTFTS, rk.TTFTS)
		}
	}
	if c.Mode == Serving && c.Serve.DecodeHW != nil {
		if err := checkServingPools(c, fail); err != nil {
			return err
		}
	}
	if c.Mode == Training {
		return checkTraining(&c, &r)
	}
	if c.Model.Class == registry.ClassDiffusion && c.Mode == Inference && c.Fidelity == FidelityCalibrated && r.LatencyS > 0 {
		// An image of more denoising steps never takes less time.
		x := c
		x.Work.DiffusionSteps = int(diffusionSteps(&c)) + 1
		if rx := Evaluate(&x); rx.LatencyS < r.LatencyS {
			return fail("diffusion image of %d steps %v faster than of fewer, %v", x.Work.DiffusionSteps, rx.LatencyS, r.LatencyS)
		}
	}
	if _, ok := mambaOf(c.Model); ok && c.Fidelity == FidelityCalibrated && c.Mode == Serving && r.LatencyS > 0 {
		// A state-space model's decode step reads its weights; its prefill
		// scans the prompt: a longer one is never faster.
		w := Lower(c.Model, weightPrecision(&c).Bytes()).WeightBytes
		if floor := w / c.Hardware.MemBandwidthBps; r.ITLS < floor*(1-1e-9) || r.TTFTS < floor*(1-1e-9) {
			return fail("SSM step below its weights at HBM speed %v: TTFT %v ITL %v", floor, r.TTFTS, r.ITLS)
		}
		x := c
		x.SeqLen += 1 + x.SeqLen/3
		if rx := Evaluate(&x); rx.TTFTS < r.TTFTS*(1-1e-9) {
			return fail("SSM prefill of %d tokens %v faster than of %d, %v", x.SeqLen, rx.TTFTS, c.SeqLen, r.TTFTS)
		}
	}
	shape, isTF := shapeOf(c.Model)
	if c.Fidelity != FidelityCalibrated || !isTF || r.Reason == ReasonServingLayout || r.Reason == ReasonServingEPDense || r.Reason == ReasonServingEPLayout || r.Reason == ReasonServingPP || r.Reason == ReasonServingOptions || r.Reason == ReasonNoInterconnect || r.Reason == ReasonNumerical {
		return nil
	}
	tp := float64(one(c.Dist.TP) * one(c.Dist.PP)) // the devices of a replica
	bpe := weightPrecision(&c).Bytes()
	peak := c.Hardware.PeakFor(activationPrecision(&c))
	// A dense forward reads its layers' weights and the LM head; an untied
	// input embedding is gathered row by row, not read whole (Nemotron's
	// 256,000 x 4,096 table is an eighth of Nemotron-3 8B's parameters):
	// the registry's parameters, or the shape's layers and one vocab x
	// hidden table where that is less (norms and biases aside).
	weightsRead := func(tokens int) float64 {
		w := Lower(c.Model, bpe).WeightBytes
		h, q, kv, F := float64(shape.Hidden), float64(shape.Heads*shape.HeadDim), float64(shape.KVHeads*shape.HeadDim), float64(shape.FFN)
		gate := 2.0
		if shape.GatedMLP {
			gate = 3
		}
		if read := (float64(shape.Layers)*(h*(q+2*kv)+q*h+gate*h*F) + float64(shape.Vocab)*h) * bpe; read < w {
			return read
		}
		return w
	}
	if shape.Experts > 1 && shape.ActiveExperts > 0 {
		// A mixture of experts reads the experts its tokens route to:
		// attention, router and LM head, the shared experts, and the
		// expected distinct routed experts of T tokens choosing k of E,
		// E·(1 − (1 − k/E)^T), in its MoE layers; the dense MLP in the
		// others. Multi-head latent attention reads its latent projections.
		weightsRead = func(tokens int) float64 {
			h, q, kv, F := float64(shape.Hidden), float64(shape.Heads*shape.HeadDim), float64(shape.KVHeads*shape.HeadDim), float64(shape.FFN)
			E, k := float64(shape.Experts), float64(shape.ActiveExperts)
			experts := E * (1 - math.Pow(1-k/E, float64(tokens)))
			gate := 2.0
			if shape.GatedMLP {
				gate = 3
			}
			attn := h*(q+2*kv) + q*h
			if shape.KVLatent > 0 {
				H, r, rope := float64(shape.Heads), float64(shape.KVLatent), float64(shape.RopeDim)
				qk, v, ql := float64(shape.QKDim), float64(shape.VDim), float64(shape.QLatent)
				attn = ql*h + H*qk*ql + (r+rope)*h + H*(qk-rope+v)*r + H*v*h
				if ql == 0 {
					attn = H*qk*h + (r+rope)*h + H*(qk-rope+v)*r + H*v*h
				}
			}
			moe := float64(shape.Layers)
			if shape.MoELayers > 0 {
				moe = float64(shape.MoELayers)
			}
			Fd := float64(shape.DenseFFN)
			if Fd == 0 {
				Fd = F
			}
			moeLayer := h*E + (experts+float64(shape.SharedExperts))*gate*h*F
			return (float64(shape.Layers)*attn + moe*moeLayer + (float64(shape.Layers)-moe)*gate*h*Fd + float64(shape.Vocab)*h) * bpe
		}
	}
	if b := shape.Blocks; b.Total() > 0 {
		// A hybrid reads each block's weights once: attention's
		// projections, Mamba-2's in_proj and out_proj, the MLP, a MoE
		// block's router, shared experts and the expected distinct routed
		// experts of its tokens; and the LM head.
		weightsRead = func(tokens int) float64 {
			h, q, kv, F := float64(shape.Hidden), float64(shape.Heads*shape.HeadDim), float64(shape.KVHeads*shape.HeadDim), float64(shape.FFN)
			gate := 2.0
			if shape.GatedMLP {
				gate = 3
			}
			E := float64(shape.SSM.Heads * shape.SSM.HeadDim)
			mamba := h*(2*E+2*float64(shape.SSM.Groups*shape.SSM.State)+float64(shape.SSM.Heads)) + E*h
			var moe float64
			if shape.Experts > 1 && shape.ActiveExperts > 0 {
				X, k := float64(shape.Experts), float64(shape.ActiveExperts)
				experts := X * (1 - math.Pow(1-k/X, float64(tokens)))
				moe = h*X + (experts+float64(shape.SharedExperts))*gate*h*F
			}
			return (float64(b.Attention)*(h*(q+2*kv)+q*h) + float64(b.Mamba)*mamba + float64(b.MLP)*gate*h*F +
				float64(b.MoE)*moe + float64(shape.Vocab)*h) * bpe
		}
	}
	if c.Mode == Inference {
		// One forward of batch tokens: the weights read once, the FLOPs at peak.
		if floor := weightsRead(c.BatchSize) / c.Hardware.MemBandwidthBps; r.LatencyS < floor*(1-1e-9) {
			return fail("inference latency %v below the weights read at HBM speed %v", r.LatencyS, floor)
		}
		flops := float64(c.Model.Layers) * float64(c.BatchSize) * layerFLOPsPerToken(&shape)
		if floor := flops / peak; r.LatencyS < floor*(1-1e-9) {
			return fail("inference latency %v below its FLOPs at peak %v", r.LatencyS, floor)
		}
		for _, v := range []func(*Config){
			func(x *Config) { x.BatchSize += 1 + x.BatchSize/3 },
			func(x *Config) { x.SeqLen += 1 + x.SeqLen/3 },
		} {
			x := c
			v(&x)
			if rx := Evaluate(&x); rx.LatencyS < r.LatencyS*(1-1e-9) {
				return fail("more work is faster: batch %d seq %d latency %v < %v", x.BatchSize, x.SeqLen, rx.LatencyS, r.LatencyS)
			}
		}
		return nil
	}
	// Serving. Decode: a plain step reads the weights and the KV cache.
	dec := c.Hardware
	if c.Serve.DecodeHW != nil {
		dec = c.Serve.DecodeHW
	}
	kvb := kvElementBytes(&c)
	plainITL := r.ITLS * r.Serve.SpeculativeSpeedup
	// The replica's GPUs (tp, or ep with expert parallelism, times the
	// pipeline's stages) share the weights, the KV cache and the FLOPs; a
	// disaggregated decode pool's max(decode_tp, decode_ep) GPUs share the
	// decode.
	g := float64(servingGPUs(&c) * one(c.Dist.PP))
	gd := g
	if c.Serve.DecodeHW != nil {
		gd = float64(decodePoolGPUs(&c) * one(c.Dist.PP))
	}
	if floor := (weightsRead(c.BatchSize) + calibKVCacheBytes(c.Model, c.SeqLen, c.BatchSize, kvb)) / (gd * dec.MemBandwidthBps); plainITL < floor*(1-1e-9) {
		return fail("decode step %v below weights + KV at HBM speed %v on %v GPUs", plainITL, floor, gd)
	}
	// The decode pool's GPUs hold the weights and the batch's KV cache at
	// its peak context between them (KV heads replicated, never dropped).
	if one(c.Dist.PP) == 1 && r.MemoryBytes > 0 {
		whole := Lower(c.Model, bpe).WeightBytes + calibKVCacheBytes(c.Model, c.SeqLen+c.OutputTokens, c.BatchSize, kvb)
		if r.MemoryBytes*gd < whole*(1-1e-9) {
			return fail("memory %v per GPU on %v GPUs below the weights + KV cache %v", r.MemoryBytes, gd, whole)
		}
	}
	newTok := c.SeqLen - min(c.Serve.CachedLen, c.SeqLen-1)
	flops := float64(c.Model.Layers) * float64(c.BatchSize*newTok) * layerFLOPsPerToken(&shape)
	if floor := flops / (g * peak); r.Serve.PrefillS < floor*(1-1e-9) {
		return fail("prefill %v below its FLOPs at peak %v", r.Serve.PrefillS, floor)
	}
	// A request's time to first token holds at least its own prefill: the
	// FLOPs of one prompt at peak, and the time to first token of the same
	// request alone.
	if floor := flops / float64(c.BatchSize) / (g * peak); r.TTFTS < floor*(1-1e-9) {
		return fail("TTFT %v below one prompt's FLOPs at peak %v", r.TTFTS, floor)
	}
	if c.BatchSize > 1 {
		x := c
		x.BatchSize = 1
		if r1 := Evaluate(&x); r.TTFTS < r1.TTFTS*(1-1e-9) {
			return fail("TTFT %v at batch %d below the request alone %v", r.TTFTS, c.BatchSize, r1.TTFTS)
		}
	}
	if err := checkServingScale(c, fail); err != nil {
		return err
	}
	// More context or batch never makes a step faster.
	for _, v := range []func(*Config){
		func(x *Config) { x.BatchSize += 1 },
		func(x *Config) { x.BatchSize += 1 + x.BatchSize/2 },
		func(x *Config) { x.SeqLen += 1 },
		func(x *Config) { x.SeqLen += 1 + x.SeqLen/2 },
	} {
		x := c
		v(&x)
		rx := Evaluate(&x)
		if rx.ITLS < r.ITLS*(1-1e-9) || rx.TTFTS < r.TTFTS*(1-1e-9) {
			return fail("batch %d seq %d is faster: ITL %v < %v or TTFT %v < %v", x.BatchSize, x.SeqLen, rx.ITLS, r.ITLS, rx.TTFTS, r.TTFTS)
		}
	}
	// Tensor and pipeline parallelism speed a step up by at most their
	// degrees (a disaggregated decode pool keeps its degree).
	if tp > 1 {
		x := c
		x.Dist.TP, x.Dist.PP = 1, 1
		if c.Serve.DecodeHW != nil {
			x.Serve.DecodeTP = decodeTP(&c)
		}
		r1 := Evaluate(&x)
		if r1.ITLS > tp*r.ITLS*(1+1e-9) || r1.TTFTS > tp*r.TTFTS*(1+1e-9) {
			return fail("tp·pp=%v speeds decode %v× and prefill %v×", tp, r1.ITLS/r.ITLS, r1.TTFTS/r.TTFTS)
		}
	}
	// decode_tp speeds the decode step up by at most its degree and leaves
	// the prefill as it is.
	if dtp := decodeTP(&c); c.Serve.DecodeHW != nil && dtp > 1 {
		x := c
		x.Serve.DecodeTP = 1
		r1 := Evaluate(&x)
		if r1.Reason == ReasonNone && (r1.ITLS > float64(dtp)*r.ITLS*(1+1e-9) || r1.Serve.PrefillS != r.Serve.PrefillS || r1.TTFTS != r.TTFTS) {
			return fail("decode_tp=%d speeds decode %v× and changes prefill %v → %v, TTFT %v → %v", dtp, r1.ITLS/r.ITLS, r1.Serve.PrefillS, r.Serve.PrefillS, r1.TTFTS, r.TTFTS)
		}
	}
	// decode_ep leaves the prefill as it is, and the decode pool's
	// max(decode_tp, decode_ep) GPUs speed the decode step up by at most
	// their number over one GPU's step. The bound is against one GPU, not
	// against the same pool at decode_ep = 1: there the decode_tp ranks each
	// permute every routed token copy and all-reduce the experts' output,
	// work an expert-parallel layout divides among its ranks, so expert
	// parallelism may beat tensor-parallel experts on the same GPUs.
	if dep, dtp := decodeEP(&c), decodeTP(&c); c.Serve.DecodeHW != nil && dep > 1 {
		x := c
		x.Serve.DecodeEP = 1
		if r1 := Evaluate(&x); r1.Reason == ReasonNone && (r1.Serve.PrefillS != r.Serve.PrefillS || r1.TTFTS != r.TTFTS) {
			return fail("decode_ep=%d changes prefill %v → %v, TTFT %v → %v", dep, r1.Serve.PrefillS, r.Serve.PrefillS, r1.TTFTS, r.TTFTS)
		}
		x.Serve.DecodeTP = 1
		gain := float64(max(dep, dtp))
		if r1 := Evaluate(&x); (r1.Reason == ReasonNone || r1.Reason == ReasonMemory) && r1.ITLS > gain*r.ITLS*(1+1e-9) {
			return fail("decode_ep=%d decode_tp=%d speeds decode %v× over one GPU", dep, dtp, r1.ITLS/r.ITLS)
		}
	}
	return nil
}

// checkTimeParts checks that the time parts of r sum to the times they
// split (timeparts.go) and that none is negative: under the calibrated
// fidelity the operation classes, communication, bubble and straggler
// make latency_s (inference, training), prefill_s and itl_s (serving);
// under mlsysim (and dist_semantics=golden), whose operation-class parts
// are 0, replica_s, communication, bubble and straggler make a distributed
// step.
func checkTimeParts(c *Config, r *Result) error {
	d := &r.Dist
	near := func(what string, sum, want float64, parts ...float64) error {
		for _, p := range parts {
			if p < -1e-12*math.Abs(want) {
				return fmt.Errorf("%s: a part %v is negative (parts %v)", what, p, parts)
			}
		}
		if math.Abs(sum-want) > 1e-9*math.Abs(want) {
			return fmt.Errorf("%s: the parts sum to %v, not %v (parts %v)", what, sum, want, parts)
		}
		return nil
	}
	dist := []float64{d.CommDPS, d.CommTPS, d.CommPPS, d.CommEPS, d.CommCPS, d.BubbleS, d.StragglerS}
	distSum := d.CommDPS + d.CommTPS + d.CommPPS + d.CommEPS + d.CommCPS + d.BubbleS + d.StragglerS
	if c.Fidelity != FidelityCalibrated || (d.Active && c.Dist.Semantics == DistGolden) {
		// dist_semantics=golden prices mlsysim's replica, as mlsysim does.
		if z := (TimeParts{}); r.Calib.Step != z || r.Calib.Prefill != z || r.Calib.Decode != z {
			return fmt.Errorf("mlsysim row with operation-class parts %+v %+v %+v", r.Calib.Step, r.Calib.Prefill, r.Calib.Decode)
		}
		if d.Active && d.Reason == DistOK {
			return near("mlsysim step", d.ReplicaS+distSum, r.LatencyS, append(dist, d.ReplicaS)...)
		}
		return nil
	}
	list := func(t *TimeParts) []float64 {
		return []float64{t.MatmulS, t.AttentionS, t.ElementwiseS, t.OptimizerS, t.OverheadS, t.CommS, t.CommPPS, t.TransferS, t.CommEPS}
	}
	if c.Mode != Serving {
		st := &r.Calib.Step
		if d.Active && d.Reason == DistOK && r.LatencyS > 0 {
			if err := near("replica", st.Sum(), d.ReplicaS, list(st)...); err != nil {
				return err
			}
		}
		return near("step", st.Sum()+distSum, r.LatencyS, append(list(st), dist...)...)
	}
	if err := near("prefill", r.Calib.Prefill.Sum(), r.Serve.PrefillS, list(&r.Calib.Prefill)...); err != nil {
		return err
	}
	return near("decode step", r.Calib.Decode.Sum(), r.ITLS, list(&r.Calib.Decode)...)
}

// checkServingScale checks the serving-at-scale outputs of a serving row
// over one day: a feasible row costs more than 0 per million tokens (input,
// and output beyond the first token), an infeasible one 0; more qps never
// needs fewer replicas.
func checkServingScale(c Config, fail func(string, ...any) error) error {
	c.Fleet.DurationDays = 1
	r := Evaluate(&c)
	f := &r.Fleet
	if r.Feasible {
		if !(f.CostPerMTokUSD > 0 && f.CostPerMTokInputUSD > 0) || (c.OutputTokens > 1 && !(f.CostPerMTokOutputUSD > 0)) {
			return fail("feasible row costs %v, input %v, output %v per Mtok", f.CostPerMTokUSD, f.CostPerMTokInputUSD, f.CostPerMTokOutputUSD)
		}
	} else if f.CostPerMTokInputUSD != 0 || f.CostPerMTokOutputUSD != 0 {
		return fail("infeasible row costs input %v, output %v per Mtok", f.CostPerMTokInputUSD, f.CostPerMTokOutputUSD)
	}
	if !r.Feasible {
		return nil
	}
	c.Fleet.DurationDays = 0
	prev := 0
	for _, q := range []float64{0.5, 5, 50} {
		x := c
		x.Serve.QPS, x.Serve.P99TargetS = q, 30
		rx := Evaluate(&x)
		if rx.Serve.Replicas < prev {
			return fail("qps %v needs %d replicas, fewer than %d at a lower qps", q, rx.Serve.Replicas, prev)
		}
		prev = rx.Serve.Replicas
	}
	return nil
}

// checkServingPools checks a disaggregated serving row, under either
// fidelity, over one day with and without a qps: once its replica is laid
// out (ServeResult.GPUs > 0; a layout refused before that is not), each of
// its R replicas is both pools, tp GPUs of hardware and decode_tp of
// decode_hardware (under calibrated max(tp, ep) and max(decode_tp,
// decode_ep)), and the row costs at least the two pools alone at their
// registry entries:
//
//	capex       ≥ (cost_p·tp + cost_d·decode_tp)·R / 3 years · 1/365
//	IT energy   ≥ (TDP_p·tp + TDP_d·decode_tp)·R · 0.3 · 24 h    (idle power, 700 W for an unknown TDP)
//	energy_j    ≥ (TDP_p·tp + TDP_d·decode_tp) · 0.3 · the request's time
//
// and a feasible row costs more than 0 per million tokens.
func checkServingPools(c Config, fail func(string, ...any) error) error {
	c.Fleet.DurationDays = 1
	tp, dtp := one(c.Dist.TP), decodePoolGPUs(&c)
	if c.Fidelity == FidelityCalibrated {
		tp = servingGPUs(&c) // pp is refused beside decode_hardware
	}
	hw, dhw := c.Hardware, c.Serve.DecodeHW
	tdp := func(h *registry.Hardware) float64 {
		if h.TDPW > 0 {
			return h.TDPW
		}
		return DefaultTDPW
	}
	for _, qps := range []float64{0, 5} {
		x := c
		x.Serve.QPS, x.Serve.P99TargetS = qps, 30
		r := Evaluate(&x)
		f, R := &r.Fleet, float64(r.Serve.Replicas)
		if r.Serve.GPUs == 0 || r.Reason == ReasonNumerical {
			continue
		}
		if r.Serve.GPUs != r.Serve.Replicas*(tp+dtp) || r.Serve.DecodeGPUs != r.Serve.Replicas*dtp || f.GPUs != r.Serve.GPUs {
			return fail("qps %v: %d replicas of tp %d + decode_tp %d count %d GPUs (decode %d, fleet %d)", qps, r.Serve.Replicas, tp, dtp, r.Serve.GPUs, r.Serve.DecodeGPUs, f.GPUs)
		}
		pools := (hw.UnitCostUSD*float64(tp) + dhw.UnitCostUSD*float64(dtp)) * R / DefaultAmortizationYears / 365
		if f.CapexUSD < pools*(1-1e-12) {
			return fail("qps %v: capex $%v below the two pools' $%v", qps, f.CapexUSD, pools)
		}
		idle := (tdp(hw)*float64(tp) + tdp(dhw)*float64(dtp)) * R * IdlePowerFraction * 24 / 1000
		if f.EnergyITKWh < idle*(1-1e-12) {
			return fail("qps %v: IT energy %v kWh below the two pools' idle power over the day, %v", qps, f.EnergyITKWh, idle)
		}
		t := math.Min(r.LatencyS, r.Serve.PrefillS+r.Serve.DecodeS)
		if floor := (hw.TDPW*float64(tp) + dhw.TDPW*float64(dtp)) * IdlePowerFraction * t; r.LatencyS > 0 && r.EnergyJ < floor*(1-1e-12) {
			return fail("qps %v: request energy %v J below the two pools' idle power over %v s, %v J", qps, r.EnergyJ, t, floor)
		}
		if r.Feasible && !(f.CostPerMTokUSD > 0 && f.TCOUSD > 0) {
			return fail("qps %v: feasible row costs %v per Mtok, TCO %v", qps, f.CostPerMTokUSD, f.TCOUSD)
		}
	}
	return nil
}

// checkTraining checks a training step r of c, single-GPU or distributed:
//
//   - a layout that cannot exist (dist_reason set) is infeasible and unpriced;
//   - the distributed memory components sum to the total;
//
// and under the calibrated fidelity:
//
//   - the step takes at least its FLOPs at the precision's peak on every GPU:
//     3 · samples · S · L · (matrix FLOPs per token and layer) / (GPUs · peak),
//     for transformers;
//   - a larger batch (doubled: the microbatches still divide it) or a
//     longer sequence never makes the step faster.
func checkTraining(c *Config, r *Result) error {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("%s: %s", describe(c), fmt.Sprintf(format, a...))
	}
	d := &r.Dist
	if d.Reason != DistOK {
		if r.Feasible || r.Reason != ReasonParallelism || r.LatencyS != 0 || r.MFU != 0 || r.HFU != 0 {
			return fail("layout %q priced: feasible %v reason %q step %v", d.Reason, r.Feasible, r.Reason, r.LatencyS)
		}
		return nil
	}
	if r.Reason == ReasonNumerical || r.Reason == ReasonNoWorkload || r.Reason == ReasonNoHeads {
		return nil
	}
	if !(r.LatencyS > 0) {
		return fail("step time %v", r.LatencyS)
	}
	gpus, samples := 1.0, float64(c.BatchSize)
	if d.Active {
		gpus, samples = float64(d.GPUs), float64(d.DP*max(1, c.BatchSize/d.DP))
		if sum := d.WeightsBytes + d.GradientsBytes + d.OptimizerBytes + d.ActivationsBytes; math.Abs(sum-r.MemoryBytes) > 1e-9*r.MemoryBytes {
			return fail("memory %v ≠ weights + gradients + optimizer + activations %v", r.MemoryBytes, sum)
		}
	}
	if c.Fidelity != FidelityCalibrated || (d.Active && c.Dist.Semantics == DistGolden) {
		// Fidelity mlsysim and dist_semantics=golden reproduce mlsysim's
		// published arithmetic, which prices a training step per token of
		// the batch (seq_len unused); as in serving, the physical floors
		// are the calibrated fidelity's contract.
		return nil
	}
	if shape, isTF := shapeOf(c.Model); isTF {
		flops := 3 * samples * float64(c.SeqLen) * float64(c.Model.Layers) * layerFLOPsPerToken(&shape)
		if floor := flops / (gpus * c.Hardware.PeakFor(c.Precision)); r.LatencyS < floor*(1-1e-9) {
			return fail("step %v below its FLOPs at peak on %v GPUs %v", r.LatencyS, gpus, floor)
		}
	}
	for _, v := range []func(*Config){
		func(x *Config) { x.BatchSize *= 2 },
		func(x *Config) { x.SeqLen += 1 + x.SeqLen/2 },
	} {
		x := *c
		v(&x)
		rx := Evaluate(&x)
		if rx.Dist.Reason == DistOK && rx.LatencyS < r.LatencyS*(1-1e-9) {
			return fail("batch %d seq %d is faster: step %v < %v", x.BatchSize, x.SeqLen, rx.LatencyS, r.LatencyS)
		}
	}
	return nil
}

// invariantConfigs is how many random configurations the suite checks.
const invariantConfigs = 100_000

func TestPhysicsInvariants(t *testing.T) {
	sp := newInvariantSpace(t)
	rng := rand.New(rand.NewSource(20261202))
	n := invariantConfigs
	fails := 0
	for i := 0; i < n; i++ {
		c := sp.draw(rng)
		if err := c.Validate(); err != nil {
			t.Fatalf("generator drew an invalid configuration: %v", err)
		}
		if err := checkInvariants(c); err != nil {
			t.Error(err)
			if fails++; fails >= 10 {
				t.Fatalf("stopping after %d broken invariants (of %d configurations)", fails, i+1)
			}
		}
	}
}

func FuzzPhysicsInvariants(f *testing.F) {
	sp := newInvariantSpace(f)
	for _, s := range []int64{1, 2, 3, 20261202} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seed int64) {
		c := sp.draw(rand.New(rand.NewSource(seed)))
		if err := checkInvariants(c); err != nil {
			t.Error(err)
		}
	})
}

// TestPhysicsInvariantsHybrid runs the invariants over the registry's
// hybrid Mamba-Transformers alone (the full suite draws them as one model
// among many): every mode and fidelity, priced or refused.
func TestPhysicsInvariantsHybrid(t *testing.T) {
	sp := newInvariantSpace(t)
	var hy []*registry.Model
	for _, m := range sp.models {
		if m.IsHybrid() {
			hy = append(hy, m)
		}
	}
	if len(hy) < 2 {
		t.Fatalf("%d hybrid models in the registry, want Nemotron-H 8B and Nemotron 3 Nano", len(hy))
	}
	sp.models = hy
	rng := rand.New(rand.NewSource(20261203))
	priced := 0
	for i := 0; i < 10_000; i++ {
		c := sp.draw(rng)
		if err := c.Validate(); err != nil {
			t.Fatalf("generator drew an invalid configuration: %v", err)
		}
		if err := checkInvariants(c); err != nil {
			t.Fatal(err)
		}
		if r := Evaluate(&c); r.LatencyS > 0 {
			priced++
		}
	}
	if priced == 0 {
		t.Error("no hybrid configuration priced")
	}
}
