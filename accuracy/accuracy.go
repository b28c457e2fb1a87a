package accuracy

import (
	"fmt"
	"math"
	"sort"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/registry"
)

// Point is one measured point with each fidelity's prediction.
type Point struct {
	Source     string
	Class      calibration.Class
	Hardware   string // registry key
	Profile    calibration.Kind
	Measured   float64 // seconds
	MLSysim    float64 // seconds, fidelity mlsysim at η = 0.5
	Calibrated float64 // seconds, fidelity calibrated
	// HeldOut is the calibrated prediction with a profile fitted without
	// the point's source (leave-one-source-out, SourceOf): equal to
	// Calibrated where no profile of the set was fitted to the source.
	HeldOut float64
	Label   string  // the point's shape, for reports
	Spread  float64 // the measurement's own repeat spread, median/fastest − 1 (0 = not recorded)
}

// Row is one class of points on one hardware, precision.
type Row struct {
	Class calibration.Class
	// Mode is the row's subclass: the GEMM timing mode
	// (calibration.Point.Mode), ModeTP for serving points on several GPUs,
	// or RunDense / RunMoE for the published large-scale training runs; ""
	// for other classes.
	Mode       string
	Hardware   string
	Precision  string
	Profile    calibration.Kind
	MLSysim    ErrorStats
	Calibrated ErrorStats
	// HeldOut is the calibrated fidelity's errors with each point
	// predicted by a profile fitted without the point's source
	// (Point.HeldOut): the class predicted, not fitted.
	HeldOut ErrorStats
	// Published is true when every point of the row comes from a
	// published source (published.csv, nemo-training.csv) rather than from
	// this project's own measurements: the rows held to the accuracy goal
	// (Report.Goal).
	Published bool
}

// ModeTP is the subclass of serving points run tensor-parallel on
// several GPUs of a node (calibration.Point.TP > 1): "serve/tp". A point
// with a subclass of its own keeps it (a mixture of experts on several
// GPUs reports in "serve/moe").
const ModeTP = "tp"

// Name returns the row's class as the report prints it: the class, and for
// GEMMs timed in a named mode, "/mode" ("gemm/sustained").
func (r *Row) Name() string {
	if r.Mode != "" {
		return r.Class.String() + "/" + r.Mode
	}
	return r.Class.String()
}

// LOORow is a leave-one-class-out figure: a profile fitted to a measured
// GPU's GEMMs and its other class only, predicting the held-out class.
type LOORow struct {
	Hardware string
	HeldOut  calibration.Class
	FitOn    []calibration.Class
	Stats    ErrorStats
}

// DistPoint is a published multi-GPU training step with each
// fidelity's prediction (seconds per iteration).
type DistPoint struct {
	Point
	GPUs, TP, PP, DP, Microbatches int
}

// Report is both fidelities held against measurements: every point with
// its predictions, the error statistics per class, hardware and precision
// (Rows), the leave-one-class-out fits (LOO) and the published distributed
// training rows (Dist).
type Report struct {
	Points []Point
	Rows   []Row
	LOO    []LOORow
	Dist   []DistPoint // published distributed training rows, also in Points and Rows
	// Runs are the published large-scale training runs
	// (calibration.Dataset.Runs) the engine could price, RunRows their
	// error statistics per subclass, hardware and precision, Skipped the
	// runs it could not price with the reason. They are held out of every
	// fit, and neither in Points nor in Rows.
	Runs    []RunPoint
	RunRows []Row
	Skipped []SkippedRun
	// Stacks are the software stacks' step overheads fitted to the
	// published points that name them (StackFit).
	Stacks []StackFit
	// MoEMicrobatch is the megatron-core stack's time per MoE layer per
	// micro-batch fitted to the published MoE runs (MoEMicrobatchFit); N
	// is 0 without such runs.
	MoEMicrobatch MoEMicrobatchFit
	// MoEMicrobatchHybridEP is the same for the stack's HybridEP value
	// (moe_layer_microbatch_hybridep_s), fitted to the runs on the
	// HybridEP flex dispatcher (runHybridEP).
	MoEMicrobatchHybridEP MoEMicrobatchFit
	// MatrixFactors are the derived profiles' matrix factors fitted to
	// each GPU's published dense Megatron-Core runs (MatrixFactorFit), for
	// the GPUs with runs of at least two releases or a committed factor.
	MatrixFactors []MatrixFactorFit
}

// Evaluate holds both fidelities against the dataset's points: each point
// on the registry hardware it was measured on (reg), the calibrated
// fidelity with the profiles of the set (nil: the embedded ones); and for
// each hardware measured in the dataset's JSON files, it fits
// leave-one-class-out profiles. Points are predicted on their software
// stack (calibration.Point.Software).
func Evaluate(reg *registry.Registry, profiles *calibration.Set, ds *calibration.Dataset) (*Report, error) {
	ev := &evaluator{reg: reg, profiles: profiles}
	ts, err := calibration.Targets(reg, ds.Points)
	if err != nil {
		return nil, err
	}
	rep := &Report{}
	spread := repeatSpreads(ts)
	type key struct {
		c            calibration.Class
		hw, pr, mode string
	}
	rows := map[key]*Row{}
	var order []key
	idx := make([]int, len(ts)) // index in rep.Points of ts[i], -1: left out
	for i := range ts {
		tg := &ts[i]
		pt := &tg.Point
		idx[i] = -1
		if pt.Precision == "int8" {
			continue // the measured int8 path is a library path, not the chip
		}
		hk := calibration.HardwareKey(reg, pt.GPU)
		hw, _ := reg.Hardware(hk)
		prof := profiles.Profile(hw)
		ap := Point{Source: pt.Source, Class: pt.Class, Hardware: hw.Key, Profile: prof.Kind, Measured: pt.S,
			MLSysim: ev.predictPoint(tg, hw, engine.FidelityMLSysim), Calibrated: ev.predictPoint(tg, hw, engine.FidelityCalibrated), Label: label(pt),
			Spread: spread(pt)}
		idx[i] = len(rep.Points)
		rep.Points = append(rep.Points, ap)
	}
	if err := heldOut(reg, profiles, ds, ts, idx, rep); err != nil {
		return nil, err
	}
	fitStacks(ts, idx, rep)
	for i := range ts {
		if idx[i] < 0 {
			continue
		}
		pt := &ts[i].Point
		ap := &rep.Points[idx[i]]
		mode := pt.Mode
		if pt.TP > 1 && mode == "" {
			mode = ModeTP
		}
		k := key{pt.Class, ap.Hardware, pt.Precision, mode}
		r := rows[k]
		if r == nil {
			r = &Row{Class: pt.Class, Mode: mode, Hardware: ap.Hardware, Precision: pt.Precision, Profile: ap.Profile, Published: true}
			rows[k] = r
			order = append(order, k)
		}
		r.Published = r.Published && isPublished(ap.Source)
		r.MLSysim.addSpread(ap.MLSysim, ap.Measured, ap.Source, ap.Spread)
		r.Calibrated.addSpread(ap.Calibrated, ap.Measured, ap.Source, ap.Spread)
		r.HeldOut.addSpread(ap.HeldOut, ap.Measured, ap.Source, ap.Spread)
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.hw != b.hw {
			return a.hw > b.hw // H100 before A100: measured first
		}
		if a.c != b.c {
			return a.c < b.c
		}
		if a.mode != b.mode {
			return a.mode < b.mode
		}
		return a.pr < b.pr
	})
	for _, k := range order {
		r := rows[k]
		r.MLSysim.finish()
		r.Calibrated.finish()
		r.HeldOut.finish()
		rep.Rows = append(rep.Rows, *r)
	}
	var dist Row
	for i := range ds.Published {
		p := &ds.Published[i]
		meas, ok := p.StepSeconds()
		if !ok {
			continue
		}
		ml, _, ok1 := PredictDistributed(reg, profiles, p, engine.FidelityMLSysim)
		ca, rc, ok2 := PredictDistributed(reg, profiles, p, engine.FidelityCalibrated)
		if !ok1 || !ok2 {
			continue
		}
		ap := Point{Source: "published.csv:" + p.ID, Class: calibration.ClassTrainDist, Hardware: calibration.HardwareKey(reg, p.Hardware),
			Profile: rc.Calib.Kind, Measured: meas, MLSysim: ml, Calibrated: ca, HeldOut: ca,
			Label: fmt.Sprintf("%s %d GPUs tp=%d pp=%d dp=%d", p.Model, p.GPUs, p.TP, p.PP, rc.Dist.DP)}
		rep.Points = append(rep.Points, ap)
		rep.Dist = append(rep.Dist, DistPoint{Point: ap, GPUs: p.GPUs, TP: p.TP, PP: p.PP, DP: rc.Dist.DP,
			Microbatches: max(p.GlobalBatch/(max(p.DP, 1)*max(p.MicroBatch, 1)), 1)})
		dist.Class, dist.Hardware, dist.Precision, dist.Profile, dist.Published = ap.Class, ap.Hardware, p.Precision, ap.Profile, true
		dist.MLSysim.add(ml, meas, ap.Source)
		dist.Calibrated.add(ca, meas, ap.Source)
		dist.HeldOut.add(ca, meas, ap.Source)
	}
	if len(rep.Dist) > 0 {
		dist.MLSysim.finish()
		dist.Calibrated.finish()
		dist.HeldOut.finish()
		rep.Rows = append(rep.Rows, dist)
	}
	evaluateRuns(reg, profiles, ds.Runs, rep)
	for _, hk := range ds.MeasuredKeys(reg) {
		for _, held := range []calibration.Class{calibration.ClassDecode, calibration.ClassPrefill} {
			other := calibration.ClassPrefill
			if held == calibration.ClassPrefill {
				other = calibration.ClassDecode
			}
			use := []calibration.Class{calibration.ClassGEMM, other}
			p, err := calibration.FitDataset(reg, ds, hk, use)
			if err != nil {
				return nil, fmt.Errorf("leave-one-class-out fit for %s: %w", hk, err)
			}
			row := LOORow{Hardware: hk, HeldOut: held, FitOn: use}
			for i := range ts {
				tg := &ts[i]
				if tg.Point.Class != held || tg.Point.TP > 1 || calibration.HardwareKey(reg, tg.Point.GPU) != hk {
					continue // a point on tp GPUs: the engine's all-reduces, not a profile's (Profile.Predict)
				}
				row.Stats.addSpread(p.Predict(&tg.Device, &tg.Point), tg.Point.S, tg.Point.Source, spread(&tg.Point))
			}
			row.Stats.finish()
			if row.Stats.N > 0 {
				rep.LOO = append(rep.LOO, row)
			}
		}
	}
	return rep, nil
}

// repeatSpreads returns a point's own repeat spread: median over fastest
// repeat when the file records it, and for a point measured in more than
// one file (same device, class, precision, shape, output tokens,
// tensor-parallel GPUs, timing mode) the slowest over the fastest of those
// medians, whichever is larger: the same batch on another number of GPUs
// is another measurement, not a repeat.
func repeatSpreads(ts []calibration.Target) func(*calibration.Point) float64 {
	type same struct {
		gpu, prec, mode, model, net string
		class                       calibration.Class
		m, n, k, b, s, ctx, out, tp int
	}
	lo, hi := map[same]float64{}, map[same]float64{}
	key := func(pt *calibration.Point) same {
		return same{pt.GPU, pt.Precision, pt.Mode, pt.Model.Name, pt.Net, pt.Class, pt.M, pt.N, pt.K, pt.Batch, pt.Seq, pt.Ctx, pt.Out, pt.TP}
	}
	for i := range ts {
		pt := &ts[i].Point
		k := key(pt)
		if v, ok := lo[k]; !ok || pt.S < v {
			lo[k] = pt.S
		}
		if pt.S > hi[k] {
			hi[k] = pt.S
		}
	}
	return func(pt *calibration.Point) float64 {
		k := key(pt)
		return math.Max(pt.Spread(), hi[k]/lo[k]-1)
	}
}

func label(pt *calibration.Point) string {
	switch pt.Class {
	case calibration.ClassGEMM:
		return fmt.Sprintf("%s %dx%dx%d", pt.Precision, pt.M, pt.N, pt.K)
	case calibration.ClassDecode:
		return fmt.Sprintf("%s b=%d ctx=%d", pt.Model.Name, pt.Batch, pt.Ctx)
	case calibration.ClassServe:
		return fmt.Sprintf("%s b=%d in=%d out=%d", pt.Model.Name, pt.Batch, pt.Seq, pt.Out)
	case calibration.ClassCNNForward, calibration.ClassCNNTrain:
		return fmt.Sprintf("%s b=%d", pt.Net, pt.Batch)
	}
	return fmt.Sprintf("%s b=%d seq=%d", pt.Model.Name, pt.Batch, pt.Seq)
}
