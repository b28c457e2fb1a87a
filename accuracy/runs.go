package accuracy

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/registry"
)

// The subclasses of the published large-scale training runs
// (calibration.Run): dense and mixture-of-experts models on Megatron-Core
// (NeMo, Megatron-Bridge), and NeMo AutoModel's PyTorch-native runs of
// either kind. Their rows print as "train-dist/nemo", "train-dist/moe" and
// "train-dist/automodel".
const (
	RunDense     = "nemo"
	RunMoE       = "moe"
	RunAutoModel = "automodel"
)

// RunClass returns a run's subclass.
func RunClass(r *calibration.Run) string {
	switch {
	case r.Framework == "NeMo AutoModel":
		return RunAutoModel
	case r.MoE:
		return RunMoE
	}
	return RunDense
}

// RunPoint is a published training run with each fidelity's step time.
type RunPoint struct {
	Point
	Run      calibration.Run
	ModelKey string // the registry model it was priced as
	DP       int    // the data-parallel degree the engine used
	Feasible bool   // the calibrated fidelity found the layout feasible (false: out of memory)
	// MLSysimNA is why the fidelity mlsysim does not price the run (its
	// Point.MLSysim is then NaN and left out of the row's mlsysim
	// statistics): a layout valid under the calibrated fidelity's expert
	// parallelism folded into data parallelism that mlsysim's own layout
	// (dp·tp·pp·ep·cp = GPUs) rejects. "" when mlsysim prices it.
	MLSysimNA string
	// MoELayerMicrobatches is the step time the megatron-core stack's
	// MoELayerMicrobatchS adds to the calibrated step per second of it
	// (engine's CalibResult.MoELayerMicrobatches); RoutedCopies and
	// MoEExpertMicrobatches the same slope per routed token copy and per
	// local expert (the forms CompareMoEForms weighs against it); all 0
	// for a run off that stack (moeSlopes) or of a dense model.
	MoELayerMicrobatches, RoutedCopies, MoEExpertMicrobatches float64
	// BandwidthRatio and MatrixRatio are the reference GPU's
	// (MoEReferenceGPU) HBM bandwidth over the run's GPU's and its dense
	// bf16 matrix peak over the run's GPU's (registry MemBandwidthBps,
	// PeakFor(BF16)): the scalings of the GPU-scaled forms of the MoE
	// cost that CompareMoEForms weighs; 1 on the reference GPU.
	BandwidthRatio, MatrixRatio float64
	// MatrixHeldOut is what the run's held-out step adds to its calibrated
	// one through its GPU's matrix factor fitted without its release
	// (fitMatrixFactors): the step repriced with that factor less the
	// calibrated step; 0 on a GPU without a committed factor.
	MatrixHeldOut float64
}

// SkippedRun is a published run the report cannot price, and why.
type SkippedRun struct {
	ID, Reason string
}

// latentMoE is why the NeMo AutoModel page's Nemotron 3 Super row stays
// unpriced: NVIDIA's Nemotron 3 white paper (arXiv:2512.20848) describes
// Super and Ultra as hybrid Mamba-Transformer mixtures of experts with
// LatentMoE (the experts computed in a projected latent width) and
// multi-token prediction layers; the engine's hybrids (registry
// hybrid_override_pattern, calibration/hybrid.go) have neither, so no
// registry entry could represent Super faithfully. Nemotron 3 Nano, a
// plain MoE hybrid, is priced.
const latentMoE = "is a hybrid Mamba-Transformer with LatentMoE experts and multi-token prediction layers (Nemotron 3 white paper, arXiv:2512.20848), which the engine's hybrids do not represent, so it has no registry entry"

// unmodelledRuns maps the performance pages' model names (lower case)
// that have no registry entry on purpose to why.
var unmodelledRuns = map[string]string{
	"nemotron v3 super 120b (26.02)": latentMoE,
}

// PredictRun evaluates a published training run under fidelity f: the
// registry model its name maps to (calibration.RunModelKey), a cluster of
// ⌈GPUs/n⌉ of the registry node of n GPUs its system maps to
// (calibration.RunNodeKey: n = 8 for DGX servers, 72 for an NVL72 rack's
// NVLink domain) on its fabric (calibration.RunFabricKey), the
// published tp, pp, cp, ep (the recipe's where the page gives none,
// Run.ExpertParallel) and virtual pipeline stages, global batch and
// sequence length, GBS/(dp·mbs) microbatches per pipeline (dp = GPUs/(tp·pp·cp)
// as Megatron-Core counts it), ZeRO-3 where the run used FSDP, the
// activation recomputation of the run's recipe (Run.Recompute; none where
// neither the page nor a recipe states one), the Adam step included; the
// Megatron-Core runs, dense (RunDense) and mixtures of experts (RunMoE), on
// the megatron-core stack (Transformer Engine: fused attention, fp8 only in
// the linear layers, the experts' products included, the router and the
// token permutation in bf16) with the distributed optimizer (ZeRO-1 over
// the data-parallel ranks: Megatron-Core's --use-distributed-optimizer
// shards the optimizer state, Megatron-LM docs/source/distrib_optimizer.md),
// the NeMo 24.03.01 container's rows on megatron-core-fa2 (Transformer
// Engine before 1.6: attention on FlashAttention-2's kernels),
// NeMo AutoModel's PyTorch-native runs on the megatron stack, or, where
// the page's kernels column names TE (Transformer Engine's layers and
// fused attention), on the automodel stack (megatron-core's kernel
// choices without its tensor-parallel overlap and its MoE dispatcher's
// time per MoE layer per micro-batch). The step is the
// optimizer step's seconds. reason is
// non-empty when the row cannot be priced: no registry model, node or
// precision, a global batch that is no whole number of microbatches per
// data-parallel rank, or a layout the engine rejects.
func PredictRun(reg *registry.Registry, profiles *calibration.Set, run *calibration.Run, f engine.Fidelity) (step float64, r engine.Result, modelKey, reason string) {
	mk, ok := calibration.RunModelKey(run.Model)
	if !ok {
		if why, hybrid := unmodelledRuns[strings.ToLower(strings.TrimSpace(run.Model))]; hybrid {
			return 0, r, "", fmt.Sprintf("model %q %s", run.Model, why)
		}
		return 0, r, "", fmt.Sprintf("model %q has no registry entry", run.Model)
	}
	m, err := reg.Model(mk)
	if err != nil {
		return 0, r, mk, fmt.Sprintf("model %s: %v", mk, err)
	}
	nk, ok := calibration.RunNodeKey(run.System)
	if !ok {
		return 0, r, mk, fmt.Sprintf("system %s has no per-GPU registry node", run.System)
	}
	node, err := reg.Node(nk)
	if err != nil || node.Accelerator == nil || node.AcceleratorsPerNode < 1 {
		return 0, r, mk, fmt.Sprintf("system %s: registry node %s unusable", run.System, nk)
	}
	ps, ok := calibration.RunPrecision(run.Precision)
	if !ok {
		if run.Precision == "" {
			return 0, r, mk, "the page states no precision"
		}
		return 0, r, mk, fmt.Sprintf("precision %s is not one the engine trains in", run.Precision)
	}
	prec, err := registry.ParsePrecision(ps)
	if err != nil {
		return 0, r, mk, err.Error()
	}
	fab, err := reg.Fabric(calibration.RunFabricKey(run.System))
	if err != nil {
		return 0, r, mk, err.Error()
	}
	if dp, mbs := max(run.DataParallel(), 1), max(run.MBS, 1); run.GBS < dp*mbs || run.GBS%(dp*mbs) != 0 {
		// A step runs whole microbatches on every data-parallel rank.
		return 0, r, mk, fmt.Sprintf("the global batch %d is not a multiple of dp·mbs = %d·%d as transcribed", run.GBS, dp, mbs)
	}
	per := node.AcceleratorsPerNode
	cl := &registry.Cluster{Key: fmt.Sprintf("%s_x%d", nk, (run.GPUs+per-1)/per), Name: run.System, Node: node,
		Count: (run.GPUs + per - 1) / per, Fabric: fab}
	c := engine.DefaultConfig()
	c.Fidelity, c.Mode, c.Model, c.Precision = f, engine.Training, m, prec
	c.Hardware, c.Calib.Profiles = node.Accelerator, profiles
	c.ResolveProfile()
	c.Dist.System, c.Dist.GPUs = cl, run.GPUs
	c.Dist.TP, c.Dist.PP, c.Dist.CP, c.Dist.EP, c.Dist.Interleave = run.TP, run.PP, run.CP, run.ExpertParallel(), run.VP
	c.Dist.Microbatches = max(run.GBS/(max(run.DataParallel(), 1)*max(run.MBS, 1)), 1)
	c.BatchSize, c.SeqLen = run.GBS, run.SeqLen
	c.Calib.Software = calibration.Megatron
	if RunClass(run) != RunAutoModel {
		// Megatron-Core with Transformer Engine, and its distributed
		// optimizer: ZeRO-1 over the data-parallel ranks (the experts'
		// state over the expert-data-parallel ranks).
		c.Calib.Software, c.ZeroStage = calibration.MegatronCore, 1
		if run.Container == "24.03.01" {
			// Transformer Engine before 1.6 with FlashAttention-2's kernels
			// (calibration/data/stacks.json: megatron-core-fa2).
			c.Calib.Software = calibration.MegatronCoreFA2
		}
	} else if strings.Contains(run.Kernels, "TE") {
		// NeMo AutoModel on Transformer Engine's layers (the page's
		// kernels column; its glossary: "TE: Transformer Engine kernel
		// optimizations - RMSNorm, Linear and DotProductAttention"): TE's
		// fused attention and element-wise kernels, megatron-core's
		// kernel choices without Megatron-Core's MoE dispatcher
		// (calibration/data/stacks.json: automodel).
		c.Calib.Software = calibration.AutoModel
	}
	if run.FSDP > 0 {
		c.ZeroStage = 3
	}
	switch run.Recompute {
	case "full":
		c.Recompute = engine.RecomputeFull
	case "selective":
		c.Recompute = engine.RecomputeSelective
	}
	c.Dist.EPOverlap = runEPOverlap(run)
	c.Dist.MoETokenDrop = runTokenDrop(run)
	c.Dist.MoEHybridEP = runHybridEP(run)
	if f == engine.FidelityCalibrated {
		// Multi-token prediction and the recipe's pipeline layout, which
		// the calibrated fidelity prices (mlsysim's does not use them).
		c.Dist.MTPLayers = max(run.MTP, 0)
		if run.PPLayout != "" {
			lay, err := engine.ParsePipelineLayout(run.PPLayout)
			if err != nil {
				return 0, r, mk, err.Error()
			}
			c.Dist.Layout = lay
		}
	}
	if err := c.Validate(); err != nil {
		return 0, r, mk, fmt.Sprintf("engine rejects the configuration: %v", err)
	}
	r = engine.Evaluate(&c)
	if r.Reason == engine.ReasonHybrid {
		return 0, r, mk, fmt.Sprintf("model %s: %s", mk, r.Reason)
	}
	if r.Dist.Reason != engine.DistOK {
		return 0, r, mk, fmt.Sprintf("engine rejects the layout (%s)", r.Dist.Reason)
	}
	return r.LatencyS, r, mk, ""
}

// evaluateRuns prices the dataset's published training runs under both
// fidelities, into rep.Runs, rep.RunRows (per subclass, hardware and
// precision) and rep.Skipped. A run only the calibrated fidelity's layout
// accepts (RunPoint.MLSysimNA) is priced under calibrated and left out of
// the row's mlsysim statistics, whose N then counts fewer runs.
func evaluateRuns(reg *registry.Registry, profiles *calibration.Set, runs []calibration.Run, rep *Report) {
	type key struct{ sub, hw, pr string }
	rows := map[key]*Row{}
	var order []key
	first := len(rep.Runs)
	for i := range runs {
		run := &runs[i]
		ml, rm, _, why := PredictRun(reg, profiles, run, engine.FidelityMLSysim)
		ca, rc, mk, why2 := PredictRun(reg, profiles, run, engine.FidelityCalibrated)
		na := ""
		if why != "" && why2 == "" && (rm.Dist.Reason != engine.DistOK || rm.Reason == engine.ReasonHybrid) {
			// Each fidelity prices the rows it can: mlsysim's layout
			// rejects what the calibrated folding accepts, and mlsysim
			// has no hybrid Mamba-Transformer.
			na, why, ml = "mlsysim: "+why, "", math.NaN()
		}
		if why == "" {
			why = why2
		}
		if why != "" {
			rep.Skipped = append(rep.Skipped, SkippedRun{ID: run.ID, Reason: why})
			continue
		}
		meas := run.StepSeconds()
		nk, _ := calibration.RunNodeKey(run.System)
		node, _ := reg.Node(nk)
		ap := Point{Source: run.File + ":" + run.ID, Class: calibration.ClassTrainDist, Hardware: node.Accelerator.Key,
			Profile: rc.Calib.Kind, Measured: meas, MLSysim: ml, Calibrated: ca, HeldOut: ca,
			Label: fmt.Sprintf("%s %d GPUs tp=%d pp=%d cp=%d ep=%d vp=%d", run.Model, run.GPUs, max(run.TP, 1), max(run.PP, 1), max(run.CP, 1), max(run.ExpertParallel(), 1), max(run.VP, 1))}
		rep.Runs = append(rep.Runs, RunPoint{Point: ap, Run: *run, ModelKey: mk, DP: rc.Dist.DP, Feasible: rc.Feasible, MLSysimNA: na})
		rp := &rep.Runs[len(rep.Runs)-1]
		rp.MoELayerMicrobatches, rp.RoutedCopies, rp.MoEExpertMicrobatches = moeSlopes(run, &rc)
		rp.BandwidthRatio, rp.MatrixRatio = referenceRatios(reg, node.Accelerator)
	}
	fitMoEMicrobatch(rep.Runs[first:], rep)
	fitMatrixFactors(reg, profiles, rep.Runs[first:], rep)
	for i := first; i < len(rep.Runs); i++ {
		rp := &rep.Runs[i]
		ap, run, na := &rp.Point, &rp.Run, rp.MLSysimNA
		sub := RunClass(run)
		prec, _ := calibration.RunPrecision(run.Precision)
		ml, ca, meas := ap.MLSysim, ap.Calibrated, ap.Measured
		k := key{sub, ap.Hardware, prec}
		r := rows[k]
		if r == nil {
			r = &Row{Class: calibration.ClassTrainDist, Mode: sub, Hardware: ap.Hardware, Precision: k.pr, Profile: ap.Profile, Published: true}
			rows[k] = r
			order = append(order, k)
		}
		if na == "" {
			r.MLSysim.add(ml, meas, ap.Source)
		}
		r.Calibrated.add(ca, meas, ap.Source)
		r.HeldOut.add(ap.HeldOut, meas, ap.Source)
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.sub != b.sub {
			return subOrder[a.sub] < subOrder[b.sub]
		}
		if a.hw != b.hw {
			return a.hw > b.hw // H100 before B200
		}
		return a.pr < b.pr
	})
	for _, k := range order {
		r := rows[k]
		r.MLSysim.finish()
		r.Calibrated.finish()
		r.HeldOut.finish()
		rep.RunRows = append(rep.RunRows, *r)
	}
}

var subOrder = map[string]int{RunDense: 0, RunMoE: 1, RunAutoModel: 2}

// moeSlopes returns what the calibrated step of run grows by per second
// of the megatron-core stack's time per MoE layer per micro-batch, and per
// second of a time per routed token copy and per local expert (engine's
// CalibResult: the step is linear in each); all 0 for a run off that
// stack (NeMo AutoModel's) or of a dense model.
func moeSlopes(run *calibration.Run, r *engine.Result) (layerMB, copies, expertMB float64) {
	if RunClass(run) == RunAutoModel {
		return 0, 0, 0
	}
	return r.Calib.MoELayerMicrobatches, r.Calib.RoutedCopies, r.Calib.MoEExpertMicrobatches
}

// MoEMicrobatchFit is the megatron-core stack's time per MoE layer per
// micro-batch (calibration.Stack.MoELayerMicrobatchS, or its HybridEP
// value MoELayerMicrobatchHybridEPS) fitted to the published
// Megatron-Core MoE runs of that dispatcher: to all of them (what
// calibration/data/stacks.json should hold) and to all but each release's
// (SourceOf: the container release, e.g. nemo-training.csv:nemo2602), the
// value that release's runs are predicted with in Point.HeldOut.
type MoEMicrobatchFit struct {
	N         int                // runs priced with the value (their held-out figures use it)
	Fitted    int                // of them, those fitted (the others do not fit in memory)
	S         float64            // fitted to every run, seconds per MoE layer per micro-batch
	Committed float64            // the value in calibration/data/stacks.json
	WithoutS  map[string]float64 // by source: fitted without its runs
}

// sourceFit is a fit of one or more values held out by source
// (fitBySource): the values fitted to every run, fitted without each
// source's runs, and each run's prediction with the values fitted
// without its source.
type sourceFit struct {
	N, Fitted int                  // runs where count > 0; of them, those fitted (feasible)
	All       []float64            // fitted to every run; nil when N is 0
	Without   map[string][]float64 // by source: fitted without its runs
	HeldOut   []float64            // by index into the runs: predict with Without[its source]; NaN where count is 0
}

// fitBySource fits values to the runs where count is > 0, to all of them
// and to all but each source's (fit(skip), skip "" for none; fitRuns gives
// the runs it uses), and predicts each of those runs with the values
// fitted without its source (predict).
func fitBySource(runs []RunPoint, count func(*RunPoint) float64, fit func(skip string) []float64, predict func(r *RunPoint, v []float64) float64) sourceFit {
	sf := sourceFit{Without: map[string][]float64{}, HeldOut: make([]float64, len(runs))}
	for i := range runs {
		r := &runs[i]
		sf.HeldOut[i] = math.NaN()
		if count(r) <= 0 {
			continue
		}
		sf.N++
		if r.Feasible {
			sf.Fitted++
		}
		src := SourceOf(r.Source)
		v, ok := sf.Without[src]
		if !ok {
			v = fit(src)
			sf.Without[src] = v
		}
		sf.HeldOut[i] = predict(r, v)
	}
	if sf.N > 0 {
		sf.All = fit("")
	}
	return sf
}

// fitRuns returns the runs a fit without source skip ("" none) uses: those
// where count is > 0, feasible under the calibrated fidelity (a run out of
// memory is predicted, not fitted), and not of skip.
func fitRuns(runs []RunPoint, count func(*RunPoint) float64, skip string) []*RunPoint {
	var out []*RunPoint
	for i := range runs {
		if r := &runs[i]; count(r) > 0 && r.Feasible && SourceOf(r.Source) != skip {
			out = append(out, r)
		}
	}
	return out
}

// microbatchFit returns value k of sf as a MoEMicrobatchFit (committed
// the stack's value, 0 for a value the stack does not hold).
func (sf *sourceFit) microbatchFit(k int, committed float64) MoEMicrobatchFit {
	f := MoEMicrobatchFit{N: sf.N, Fitted: sf.Fitted, Committed: committed, WithoutS: map[string]float64{}}
	if sf.All != nil {
		f.S = sf.All[k]
	}
	for src, v := range sf.Without {
		f.WithoutS[src] = v[k]
	}
	return f
}

// moeBase is a run's calibrated step without the committed time per MoE
// layer per micro-batch: what a form of the MoE cost adds to.
func moeBase(r *RunPoint, committed float64) float64 {
	return r.Calibrated - committed*r.MoELayerMicrobatches
}

// moeFit fits a time per unit of count to the runs where count is > 0
// (calibration.FitStepOverhead: the calibrated step is base + s·count,
// base the prediction without the committed value, committed × the run's
// MoELayerMicrobatches), to all of them and to all but each source's, and
// returns the fit with each run's held-out prediction base +
// s_without·count (in heldOut, by index into runs; NaN where count is 0).
// A run out of memory under the calibrated fidelity is predicted, not
// fitted.
func moeFit(runs []RunPoint, count func(*RunPoint) float64, committed float64) (f MoEMicrobatchFit, heldOut []float64) {
	sf := fitBySource(runs, count, func(skip string) []float64 {
		var b, n, m []float64
		for _, r := range fitRuns(runs, count, skip) {
			b, n, m = append(b, moeBase(r, committed)), append(n, count(r)), append(m, r.Measured)
		}
		if len(b) == 0 {
			return []float64{0}
		}
		return []float64{calibration.FitStepOverhead(b, n, m)}
	}, func(r *RunPoint, v []float64) float64 { return moeBase(r, committed) + v[0]*count(r) })
	return sf.microbatchFit(0, committed), sf.HeldOut
}

// moeFit2 is moeFit for two terms fitted jointly: the calibrated step is
// base + s1·count1 + s2·count2, both ≥ 0 (calibration.FitStepOverheads2),
// fitted to the runs where count1 is > 0, to all of them and to all but
// each source's; heldOut is base + s1_without·count1 + s2_without·count2
// (NaN where count1 is 0). f2's N and Fitted are f1's.
func moeFit2(runs []RunPoint, count1, count2 func(*RunPoint) float64, committed float64) (f1, f2 MoEMicrobatchFit, heldOut []float64) {
	sf := fitBySource(runs, count1, func(skip string) []float64 {
		var b, n1, n2, m []float64
		for _, r := range fitRuns(runs, count1, skip) {
			b, n1, n2, m = append(b, moeBase(r, committed)), append(n1, count1(r)), append(n2, count2(r)), append(m, r.Measured)
		}
		if len(b) == 0 {
			return []float64{0, 0}
		}
		s1, s2 := calibration.FitStepOverheads2(b, n1, n2, m)
		return []float64{s1, s2}
	}, func(r *RunPoint, v []float64) float64 { return moeBase(r, committed) + v[0]*count1(r) + v[1]*count2(r) })
	return sf.microbatchFit(0, committed), sf.microbatchFit(1, 0), sf.HeldOut
}

// syncLayerMicrobatches and hybridEPLayerMicrobatches are a run's MoE
// layer·micro-batches (RunPoint.MoELayerMicrobatches) where the stack
// charges moe_layer_microbatch_s (a dispatcher that synchronises with the
// host: runHybridEP false) and where it charges
// moe_layer_microbatch_hybridep_s (runHybridEP), 0 otherwise.
func syncLayerMicrobatches(r *RunPoint) float64 {
	if runHybridEP(&r.Run) {
		return 0
	}
	return r.MoELayerMicrobatches
}

func hybridEPLayerMicrobatches(r *RunPoint) float64 {
	if !runHybridEP(&r.Run) {
		return 0
	}
	return r.MoELayerMicrobatches
}

// fitMoEMicrobatch fits the megatron-core stack's time per MoE layer per
// micro-batch to the runs on the alltoall dispatcher
// (syncLayerMicrobatches) and its HybridEP value to the runs on the
// HybridEP flex dispatcher (hybridEPLayerMicrobatches), each with moeFit,
// sets rep.MoEMicrobatch and rep.MoEMicrobatchHybridEP, and each such
// run's held-out prediction with the value of its dispatcher fitted
// without its release.
func fitMoEMicrobatch(runs []RunPoint, rep *Report) {
	f, ho := moeFit(runs, syncLayerMicrobatches, calibration.MoELayerMicrobatchS(calibration.MegatronCore))
	g, hg := moeFit(runs, hybridEPLayerMicrobatches, calibration.MoELayerMicrobatchHybridEPS(calibration.MegatronCore))
	for i := range runs {
		if !math.IsNaN(ho[i]) {
			runs[i].HeldOut = ho[i]
		}
		if !math.IsNaN(hg[i]) {
			runs[i].HeldOut = hg[i]
		}
	}
	rep.MoEMicrobatch, rep.MoEMicrobatchHybridEP = f, g
}

// runHybridEP reports whether a published MoE run's recipe dispatched its
// tokens with Megatron-Core's flex dispatcher on the HybridEP backend,
// with Transformer Engine's CUDA graphs over the router and the dispatch
// preprocessing (engine's moe_hybridep): nemo-training.csv's dispatcher
// column, "hybridep" on the Qwen3-235B-A22B, Qwen3-30B-A3B and
// DeepSeek-V3 runs on DGX GB200 and GB300 of Megatron-Bridge 25.11 and
// 26.02. Megatron-Bridge's performance configurations
// (scripts/performance/configs/qwen/qwen3_workload_base_configs.py,
// configs/deepseek/deepseek_workload_base_configs.py,
// github.com/NVIDIA-NeMo/Megatron-Bridge) set
// moe_flex_dispatcher_backend="hybridep" with cuda_graph_impl=
// "transformer_engine" and cuda_graph_scope ["moe_router",
// "moe_preprocess"] (GB200 also "attn") for those models on GB200 and
// GB300 in every version of those two files the index holds (their V2
// layouts are the 26.02 runs'; no 25.11 version is held, so the 25.11
// runs are marked from that release's HybridEP support, below, and the
// later files); apply_flex_dispatcher_backend
// (src/megatron/bridge/training/flex_dispatcher_backend.py) then sets
// moe_token_dispatcher_type="flex". HybridEP reached the 25.11 release
// with pull request 1367 (cherry-picked into r0.2.0 as 1425, 2025-11-19),
// whose gate admitted it only on GB200 NVL72 ("HybridEP is applicable
// only to MoE models on GB200 GPUs with NVL72"); NVL8 systems (H100,
// B200, B300) were asked for in issue 1731 (2025-12-15) and admitted by
// pull request 1888 (2026-01-08). The same configurations set
// moe_token_dispatcher_type="alltoall" for Qwen3-235B-A22B on B200, B300
// and H100 (the column's "alltoall"; pull request 3490 moved B300 to
// HybridEP in 2026-05). Where the recipes of a release do not settle it
// (gpt-oss-120b's BF16 configurations name no flex backend;
// Qwen3-30B-A3B and DeepSeek-V3 on B200, B300 and H100 request HybridEP
// in later versions, whose layouts the 25.11 and 26.02 B200 and H100
// Qwen3-30B-A3B rows do not match) the cell is empty and the run is priced
// on the alltoall dispatcher's value.
func runHybridEP(run *calibration.Run) bool { return run.Dispatcher == "hybridep" }

// runEPOverlap reports whether a published run overlapped its
// expert-parallel all-to-alls with computation (engine's ep_overlap,
// Megatron-Core's combined 1F1B): Megatron-Bridge's performance recipes
// set moe_a2a_overlap=True for Qwen3-235B-A22B on H100 (tp 2, pp 8, vp 4,
// ep 32: QWEN3_235B_A22B_PRETRAIN_CONFIG_H100_BF16_V1 / _FP8_CS_V1 and
// their V2 of GBS 8192, scripts/performance/configs/qwen/
// qwen3_workload_base_configs.py, github.com/NVIDIA-NeMo/Megatron-Bridge;
// the same layout is the H100 baseline of NVIDIA's Megatron-MoE-ModelZoo
// best_practice/Qwen3, "A2A_OVERLAP=1 TP=2 PP=8 VPP=4 EP=32"), and False
// or unset (the default) for the other MoE runs the report prices:
// Qwen3-235B-A22B and Qwen3-30B-A3B on B200 and H100 otherwise,
// DeepSeek-V3 on B200 at pp 16 (deepseek_workload_base_configs.py
// DEEPSEEK_V3_PRETRAIN_CONFIG_B200_V1), GPT-OSS-120B
// (gpt_oss_workload_base_configs.py) and the NeMo 25.02 Mixtral run.
//
// The file records it per run (nemo-training.csv's a2a_overlap column).
func runEPOverlap(run *calibration.Run) bool { return run.A2AOverlap }

// runTokenDrop reports whether a published MoE run dropped and padded each
// expert's tokens to capacity (engine's moe_token_drop): the NeMo 2.0
// performance scripts build their MoE runs with performance_mode=True
// (scripts/performance/llm/pretrain_mixtral_8x7b.py,
// pretrain_mixtral_8x22b.py and pretrain_llama4_e16.py,
// github.com/NVIDIA/NeMo), whose pretrain_performance_optimizations add
// MegatronTokenDropCallback (nemo/collections/llm/recipes/mixtral_8x7b.py,
// mixtral_8x22b.py, llama4_e16.py), which sets moe_expert_capacity_factor
// 1.0 and moe_pad_expert_input_to_capacity
// (nemo/lightning/pytorch/callbacks/moe_token_drop.py): the Mixtral 8x7B
// runs of NeMo 25.02 and 25.04, Mixtral 8x22B of 25.02 and Llama 4 Scout
// of 25.07. The
// Megatron-Bridge runs (25.11, 26.02) are dropless: their performance
// recipes set no capacity factor (the 25.09 pages mark their token-drop
// runs "tokendrop").
func runTokenDrop(run *calibration.Run) bool {
	return run.MoE && strings.TrimSpace(run.Framework) == "NeMo"
}
