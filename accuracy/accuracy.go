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
	Label      string  // the point's shape, for reports
	Spread     float64 // the measurement's own repeat spread, median/fastest − 1 (0 = not recorded)
}

// NoisySpread is the repeat spread above which a measured point is
// reported as noisy: beyond the 15 % per-point error the calibrated
// fidelity aims at, the point itself cannot tell a model error from its
// own variation.
const NoisySpread = 0.15

// ErrorStats are absolute percentage errors over a set of points.
type ErrorStats struct {
	N                 int
	Mean, Median, Max float64 // percent
	WorstSource       string
	WorstSpread       float64 // the worst point's own repeat spread (fraction; 0 = not recorded)
	// MaxSteady is the max over points whose own spread is at most
	// NoisySpread; Noisy counts the others (still in Mean, Median, Max).
	MaxSteady float64
	Noisy     int
	worst     float64
	errs      []float64
}

func (s *ErrorStats) add(pred, meas float64, src string) { s.addSpread(pred, meas, src, 0) }

func (s *ErrorStats) addSpread(pred, meas float64, src string, spread float64) {
	e := math.Abs(pred/meas-1) * 100
	s.errs = append(s.errs, e)
	if e > s.worst {
		s.worst, s.WorstSource, s.WorstSpread = e, src, spread
	}
	if spread > NoisySpread {
		s.Noisy++
	} else if e > s.MaxSteady {
		s.MaxSteady = e
	}
}

func (s *ErrorStats) finish() {
	s.N = len(s.errs)
	if s.N == 0 {
		return
	}
	sort.Float64s(s.errs)
	var sum float64
	for _, e := range s.errs {
		sum += e
	}
	s.Mean = sum / float64(s.N)
	if s.N%2 == 1 {
		s.Median = s.errs[s.N/2]
	} else {
		s.Median = (s.errs[s.N/2-1] + s.errs[s.N/2]) / 2
	}
	s.Max = s.errs[s.N-1]
}

// Row is one class of points on one hardware, precision.
type Row struct {
	Class      calibration.Class
	Mode       string // GEMM timing mode (calibration.Point.Mode); "" for other classes
	Hardware   string
	Precision  string
	Profile    calibration.Kind
	MLSysim    ErrorStats
	Calibrated ErrorStats
}

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

// Report is the engine held against measurements.
type Report struct {
	Points []Point
	Rows   []Row
	LOO    []LOORow
	Dist   []DistPoint // published distributed training rows, also in Points and Rows
}

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
	return &registry.Model{Key: t.Name, Name: t.Name, Class: registry.ClassTransformer, Parameters: P,
		Layers: t.Layers, HiddenDim: t.Hidden, Heads: t.Heads, KVHeads: t.KVHeads, HeadDim: t.HeadDim,
		FFNDim: t.FFN, VocabSize: t.Vocab}
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
	switch pt.Class {
	case calibration.ClassDecode:
		c.Mode, c.SeqLen = engine.Serving, pt.Ctx
		r := engine.Evaluate(&c)
		return r.ITLS
	case calibration.ClassPrefill:
		c.Mode, c.SeqLen = engine.Serving, pt.Seq
		r := engine.Evaluate(&c)
		return r.TTFTS
	case calibration.ClassServe:
		c.Mode, c.SeqLen, c.OutputTokens = engine.Serving, pt.Seq, pt.Out
		r := engine.Evaluate(&c)
		return r.LatencyS
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
	for i := range ts {
		tg := &ts[i]
		pt := &tg.Point
		if pt.Precision == "int8" {
			continue // the measured int8 path is a library path, not the chip
		}
		hk := calibration.HardwareKey(reg, pt.GPU)
		hw, _ := reg.Hardware(hk)
		prof := profiles.Profile(hw)
		ap := Point{Source: pt.Source, Class: pt.Class, Hardware: hw.Key, Profile: prof.Kind, Measured: pt.S,
			MLSysim: ev.predictPoint(tg, hw, engine.FidelityMLSysim), Calibrated: ev.predictPoint(tg, hw, engine.FidelityCalibrated), Label: label(pt),
			Spread: spread(pt)}
		rep.Points = append(rep.Points, ap)
		k := key{pt.Class, hw.Key, pt.Precision, pt.Mode}
		r := rows[k]
		if r == nil {
			r = &Row{Class: pt.Class, Mode: pt.Mode, Hardware: hw.Key, Precision: pt.Precision, Profile: prof.Kind}
			rows[k] = r
			order = append(order, k)
		}
		r.MLSysim.addSpread(ap.MLSysim, ap.Measured, ap.Source, ap.Spread)
		r.Calibrated.addSpread(ap.Calibrated, ap.Measured, ap.Source, ap.Spread)
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
			Profile: rc.Calib.Kind, Measured: meas, MLSysim: ml, Calibrated: ca,
			Label: fmt.Sprintf("%s %d GPUs tp=%d pp=%d dp=%d", p.Model, p.GPUs, p.TP, p.PP, rc.Dist.DP)}
		rep.Points = append(rep.Points, ap)
		rep.Dist = append(rep.Dist, DistPoint{Point: ap, GPUs: p.GPUs, TP: p.TP, PP: p.PP, DP: rc.Dist.DP,
			Microbatches: max(p.GlobalBatch/(max(p.DP, 1)*max(p.MicroBatch, 1)), 1)})
		dist.Class, dist.Hardware, dist.Precision, dist.Profile = ap.Class, ap.Hardware, p.Precision, ap.Profile
		dist.MLSysim.add(ml, meas, ap.Source)
		dist.Calibrated.add(ca, meas, ap.Source)
	}
	if len(rep.Dist) > 0 {
		dist.MLSysim.finish()
		dist.Calibrated.finish()
		rep.Rows = append(rep.Rows, dist)
	}
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
				if tg.Point.Class != held || calibration.HardwareKey(reg, tg.Point.GPU) != hk {
					continue
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
// one file (same device, class, precision, shape, timing mode) the slowest
// over the fastest of those medians, whichever is larger.
func repeatSpreads(ts []calibration.Target) func(*calibration.Point) float64 {
	type same struct {
		gpu, prec, mode, model, net string
		class                       calibration.Class
		m, n, k, b, s, ctx          int
	}
	lo, hi := map[same]float64{}, map[same]float64{}
	key := func(pt *calibration.Point) same {
		return same{pt.GPU, pt.Precision, pt.Mode, pt.Model.Name, pt.Net, pt.Class, pt.M, pt.N, pt.K, pt.Batch, pt.Seq, pt.Ctx}
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
