package accuracy

import (
	"math"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/registry"
)

// distClusters maps published.csv's hardware labels to the registry
// cluster the rows ran on (Selene; the rows say 40 GB parts).
var distClusters = map[string]string{"A100_40GB": "Selene_A100_40GB", "A100": "Selene"}

// PredictDistributed evaluates a published multi-GPU training row under
// fidelity f: the row's model shape (as modelOf builds it), its cluster,
// GPUs, tp, pp, global batch in global/(dp·micro) microbatches per
// pipeline, sequence length and recomputation, fp16, the megatron stack
// (the rows ran Megatron-LM of 2021: fused element-wise kernels,
// attention with materialised scores) and the Adam step included. ok is false when the row's
// hardware has no known cluster.
//
// The registry gives the cluster, the profile set the calibrated profiles
// (nil: the embedded ones).
func PredictDistributed(reg *registry.Registry, profiles *calibration.Set, p *calibration.Published, f engine.Fidelity) (step float64, r engine.Result, ok bool) {
	hk := calibration.HardwareKey(reg, p.Hardware)
	cl, err := reg.Cluster(distClusters[hk])
	if err != nil || cl.Node == nil || cl.Node.Accelerator == nil {
		return 0, engine.Result{}, false
	}
	shape := p.Shape
	shape.GatedMLP = shape.FFN != 4*shape.Hidden
	prec, err := registry.ParsePrecision(p.Precision)
	if err != nil {
		return 0, engine.Result{}, false
	}
	c := engine.DefaultConfig()
	c.Fidelity, c.Mode, c.Model, c.Precision = f, engine.Training, modelOf(&shape), prec
	c.Hardware, c.Calib.Profiles = cl.Node.Accelerator, profiles
	c.ResolveProfile()
	c.Dist.System, c.Dist.GPUs, c.Dist.TP, c.Dist.PP = cl, p.GPUs, p.TP, p.PP
	dp := max(p.DP, 1)
	c.BatchSize, c.SeqLen = p.GlobalBatch, p.SeqLen
	c.Dist.Microbatches = max(p.GlobalBatch/(dp*max(p.MicroBatch, 1)), 1)
	switch p.Recompute {
	case "full":
		c.Recompute = engine.RecomputeFull
	case "selective":
		c.Recompute = engine.RecomputeSelective
	}
	c.Calib.Software = calibration.Megatron
	r = engine.Evaluate(&c)
	return r.LatencyS, r, true
}

// modelOf builds a registry model for a measured transformer shape: layer
// and head parameters counted as the measurement script counts them, plus
// the embedding table.
func modelOf(t *calibration.Transformer) *registry.Model {
	h, hd := float64(t.Hidden), float64(t.HeadDim)
	q, kv := float64(t.Heads)*hd, float64(t.KVHeads)*hd
	mlp := 2 * float64(t.FFN) * h
	if t.GatedMLP {
		mlp = 3 * float64(t.FFN) * h
	}
	layer := (q+2*kv)*h + h*q + mlp
	P := float64(t.Layers)*layer + 2*float64(t.Vocab)*h
	m := &registry.Model{Key: t.Name, Name: t.Name, Class: registry.ClassTransformer, Parameters: P,
		Layers: t.Layers, HiddenDim: t.Hidden, Heads: t.Heads, KVHeads: t.KVHeads, HeadDim: t.HeadDim,
		FFNDim: t.FFN, VocabSize: t.Vocab}
	if E, k := t.Experts, t.ActiveExperts; E > 1 && k > 0 {
		// A mixture of experts: E expert MLPs and a router per layer, k
		// of them active per token.
		attn := (q+2*kv)*h + h*q
		L, V := float64(t.Layers), 2*float64(t.Vocab)*h
		m.Class, m.Experts, m.ActiveExperts = registry.ClassMoE, E, k
		m.Parameters = L*(attn+float64(E)*(mlp+h)) + V
		m.ActiveParameters = L*(attn+float64(k)*mlp+float64(E)*h) + V
	}
	return m
}

// predictPoint evaluates a measured point under fidelity f. GEMM points
// have no configuration in the vocabulary: the calibrated side is the
// profile's single-op time, the mlsysim side mlsysim's roofline for one
// op, max(2MNK/(peak·η), bytes/BW) + dispatch tax.
func (ev *evaluator) predictPoint(tg *calibration.Target, hw *registry.Hardware, f engine.Fidelity) float64 {
	pt := &tg.Point
	prec, _ := registry.ParsePrecision(pt.Precision)
	if pt.Class == calibration.ClassGEMM {
		if f == engine.FidelityCalibrated {
			return ev.profiles.Profile(hw).StandaloneGEMMTime(&tg.Device, float64(pt.M), float64(pt.N), float64(pt.K))
		}
		M, N, K := float64(pt.M), float64(pt.N), float64(pt.K)
		by := (M*K + K*N + M*N) * prec.Bytes()
		return math.Max(2*M*N*K/(hw.PeakFor(prec)*0.5), by/hw.MemBandwidthBps) + hw.DispatchTaxS
	}
	if pt.Class == calibration.ClassCNNForward || pt.Class == calibration.ClassCNNTrain {
		return ev.predictCNN(pt, hw, prec, f)
	}
	c := ev.config(f, hw, modelOf(&pt.Model), prec)
	c.Calib.Software = pt.Software()
	c.BatchSize = pt.Batch
	if pt.TP > 1 {
		c.Dist.TP = pt.TP // serving tensor-parallel over the node's GPUs
	}
	switch pt.Class {
	case calibration.ClassDecode:
		c.Mode, c.SeqLen = engine.Serving, pt.Ctx
		r := engine.Evaluate(&c)
		return r.ITLS
	case calibration.ClassPrefill:
		c.Mode, c.SeqLen = engine.Serving, pt.Seq
		r := engine.Evaluate(&c)
		return r.Serve.PrefillS // the measured batch's prompts in one pass
	case calibration.ClassServe:
		c.Mode, c.SeqLen, c.OutputTokens = engine.Serving, pt.Seq, pt.Out
		r := engine.Evaluate(&c)
		return r.Serve.PrefillS + r.Serve.DecodeS // a static batch, end to end
	case calibration.ClassTrain:
		c.Mode, c.SeqLen, c.Calib.NoOptimizer = engine.Training, pt.Seq, true
		if f == engine.FidelityMLSysim {
			// mlsysim's samples are tokens for decoder LMs.
			c.BatchSize, c.SeqLen = pt.Batch*pt.Seq, 1
		}
		r := engine.Evaluate(&c)
		if f == engine.FidelityMLSysim && !r.Feasible {
			// mlsysim finds no room for the Adam state the measured step
			// does not keep, and times the step over the host link; its
			// compute time is the comparable figure.
			return r.ComputeS + r.OverheadS
		}
		return r.LatencyS
	}
	return math.NaN()
}

// predictCNN evaluates a measured CNN point (eager PyTorch, 224×224, no
// optimizer step) as the registry's model of that network under fidelity f.
func (ev *evaluator) predictCNN(pt *calibration.Point, hw *registry.Hardware, prec registry.Precision, f engine.Fidelity) float64 {
	key, _ := calibration.CNNModelKey(pt.Net)
	m, err := ev.reg.Model(key)
	if err != nil {
		return math.NaN()
	}
	c := ev.config(f, hw, m, prec)
	c.Calib.Software = pt.Software()
	c.BatchSize, c.Mode = pt.Batch, engine.Inference
	if pt.Class == calibration.ClassCNNTrain {
		c.Mode, c.Calib.NoOptimizer = engine.Training, true
	}
	r := engine.Evaluate(&c)
	if f == engine.FidelityMLSysim && !r.Feasible {
		return r.ComputeS + r.OverheadS
	}
	return r.LatencyS
}

// evaluator evaluates measured points on one registry and profile set.
type evaluator struct {
	reg      *registry.Registry
	profiles *calibration.Set
}

// config returns the defaults with fidelity f, hardware hw (its profile
// resolved from the set), model m and precision prec.
func (ev *evaluator) config(f engine.Fidelity, hw *registry.Hardware, m *registry.Model, prec registry.Precision) engine.Config {
	c := engine.DefaultConfig()
	c.Fidelity, c.Hardware, c.Model, c.Precision = f, hw, m, prec
	c.Calib.Profiles = ev.profiles
	c.ResolveProfile()
	return c
}
