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
}

// SkippedRun is a published run the report cannot price, and why.
type SkippedRun struct {
	ID, Reason string
}

// PredictRun evaluates a published training run under fidelity f: the
// registry model its name maps to (calibration.RunModelKey), a cluster of
// ⌈GPUs/n⌉ of the registry node of n GPUs its system maps to
// (calibration.RunNodeKey: n = 8 for DGX servers, 72 for an NVL72 rack's
// NVLink domain) on its fabric (calibration.RunFabricKey), the
// published tp, pp, cp, ep and virtual pipeline stages, global batch and
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
// fused attention), on megatron-core's kernel choices (tp = 1 on these
// rows: its tensor-parallel overlap does not arise). The step is the
// optimizer step's seconds. reason is
// non-empty when the row cannot be priced: no registry model, node or
// precision, a global batch that is no whole number of microbatches per
// data-parallel rank, or a layout the engine rejects.
func PredictRun(reg *registry.Registry, profiles *calibration.Set, run *calibration.Run, f engine.Fidelity) (step float64, r engine.Result, modelKey, reason string) {
	mk, ok := calibration.RunModelKey(run.Model)
	if !ok {
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
	c.Dist.TP, c.Dist.PP, c.Dist.CP, c.Dist.EP, c.Dist.Interleave = run.TP, run.PP, run.CP, run.EP, run.VP
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
		// kernel choices.
		c.Calib.Software = calibration.MegatronCore
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
	if err := c.Validate(); err != nil {
		return 0, r, mk, fmt.Sprintf("engine rejects the configuration: %v", err)
	}
	r = engine.Evaluate(&c)
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
	for i := range runs {
		run := &runs[i]
		ml, rm, _, why := PredictRun(reg, profiles, run, engine.FidelityMLSysim)
		ca, rc, mk, why2 := PredictRun(reg, profiles, run, engine.FidelityCalibrated)
		na := ""
		if why != "" && why2 == "" && rm.Dist.Reason != engine.DistOK {
			// Each fidelity prices the rows it can: mlsysim's layout
			// rejects what the calibrated folding accepts.
			na, why, ml = "mlsysim: "+why, "", math.NaN()
		}
		if why == "" {
			why = why2
		}
		if why != "" {
			rep.Skipped = append(rep.Skipped, SkippedRun{ID: run.ID, Reason: why})
			continue
		}
		sub := RunClass(run)
		meas := run.StepSeconds()
		nk, _ := calibration.RunNodeKey(run.System)
		node, _ := reg.Node(nk)
		prec, _ := calibration.RunPrecision(run.Precision)
		ap := Point{Source: run.File + ":" + run.ID, Class: calibration.ClassTrainDist, Hardware: node.Accelerator.Key,
			Profile: rc.Calib.Kind, Measured: meas, MLSysim: ml, Calibrated: ca, HeldOut: ca,
			Label: fmt.Sprintf("%s %d GPUs tp=%d pp=%d cp=%d ep=%d vp=%d", run.Model, run.GPUs, max(run.TP, 1), max(run.PP, 1), max(run.CP, 1), max(run.EP, 1), max(run.VP, 1))}
		rep.Runs = append(rep.Runs, RunPoint{Point: ap, Run: *run, ModelKey: mk, DP: rc.Dist.DP, Feasible: rc.Feasible, MLSysimNA: na})
		k := key{sub, ap.Hardware, prec}
		r := rows[k]
		if r == nil {
			r = &Row{Class: calibration.ClassTrainDist, Mode: sub, Hardware: ap.Hardware, Precision: k.pr, Profile: ap.Profile}
			rows[k] = r
			order = append(order, k)
		}
		if na == "" {
			r.MLSysim.add(ml, meas, ap.Source)
		}
		r.Calibrated.add(ca, meas, ap.Source)
		r.HeldOut.add(ca, meas, ap.Source)
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
