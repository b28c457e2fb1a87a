package accuracy

import (
	"math"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/registry"
)

// MoEReferenceGPU is the registry accelerator at whose rates the
// GPU-scaled forms of the MoE cost state their value (CompareMoEForms):
// the H100 SXM, the GPU of the published Megatron-Core MoE runs that
// need the largest time per MoE layer per micro-batch.
const MoEReferenceGPU = "H100"

// referenceRatios returns MoEReferenceGPU's HBM bandwidth over h's and its
// dense bf16 matrix peak over h's (registry MemBandwidthBps,
// PeakFor(BF16)); 1, 1 where either is missing.
func referenceRatios(reg *registry.Registry, h *registry.Hardware) (bandwidth, matrix float64) {
	ref, err := reg.Hardware(MoEReferenceGPU)
	if err != nil || h == nil || !(h.MemBandwidthBps > 0 && ref.MemBandwidthBps > 0) || !(h.PeakFor(registry.BF16) > 0 && ref.PeakFor(registry.BF16) > 0) {
		return 1, 1
	}
	return ref.MemBandwidthBps / h.MemBandwidthBps, ref.PeakFor(registry.BF16) / h.PeakFor(registry.BF16)
}

// MoEForm is one functional form of the megatron-core stack's MoE cost
// fitted to the published Megatron-Core MoE runs the way MoEMicrobatchFit
// is (moeFit): the value fitted to all of them and to all but each
// release's, and the runs' errors by class (Row's train-dist/moe rows:
// hardware and precision), in-sample and held out (each run predicted
// with the value fitted without its release).
type MoEForm struct {
	Name string // "routed copy", "layer·micro-batch", "layer·micro-batch·local expert", "… × bandwidth ratio", …
	Unit string // what the value is per
	Fit  MoEMicrobatchFit
	// HybridEP is the form's value for the runs on the HybridEP flex
	// dispatcher, fitted to them alone, in the GPU-scaled forms and the
	// joint one (N 0 in the others, whose HybridEP runs keep the report's
	// MoEMicrobatchHybridEP).
	HybridEP MoEMicrobatchFit
	// Scaled: the value is at MoEReferenceGPU's rates and each run's
	// time is that × (1 − Share + Share·ratio) (ratio the run's
	// RunPoint.BandwidthRatio or MatrixRatio); Share is 1 but in the
	// split form, whose share is fitted with the value (ShareWithout by
	// release, and HybridEPShare for the HybridEP value).
	Scaled               bool
	Share, HybridEPShare float64
	ShareWithout         map[string]float64
	// Joint: the form is two terms fitted together (moeFit2), Fit's time
	// per MoE layer per micro-batch plus Copy's time per routed token
	// copy per MoE layer, both ≥ 0; HybridEP and HybridEPCopy are the
	// pair fitted to the HybridEP runs alone (15 runs of two releases).
	Joint              bool
	Copy, HybridEPCopy MoEMicrobatchFit
	Classes            []MoEFormClass
	// All are the errors over every run of the form.
	All MoEFormClass
}

// MoEFormClass is a form's errors over the runs of one class.
type MoEFormClass struct {
	Hardware, Precision string
	Calibrated, HeldOut ErrorStats
}

// splitShares are the scaled shares the split form tries (0, 0.05, …, 1).
func splitShares() []float64 {
	s := make([]float64, 21)
	for i := range s {
		s[i] = float64(i) / 20
	}
	return s
}

// CompareMoEForms fits seven forms of the megatron-core stack's MoE cost
// to the report's Megatron-Core MoE runs (RunMoE), each on the same machinery (moeFit) and the same base (the
// calibrated step less the committed time per MoE layer per micro-batch):
// a time per routed token copy per MoE layer (RunPoint.RoutedCopies), per
// MoE layer per micro-batch (MoELayerMicrobatches, the form the stack
// prices), per MoE layer per micro-batch per local expert ⌈E/ep⌉
// (MoEExpertMicrobatches), and three GPU-scaled forms of the time per
// MoE layer per micro-batch, each value at MoEReferenceGPU's rates: ×
// the reference's HBM bandwidth over the run GPU's
// (RunPoint.BandwidthRatio), × its dense bf16 matrix peak over the run
// GPU's (MatrixRatio), and split, a GPU-independent part plus a part ×
// the bandwidth ratio, value and share fitted jointly (the share on a
// grid of twentieths, moeFitSplit), and a joint form, a time per MoE
// layer per micro-batch plus a time per routed token copy per MoE layer
// (the host synchronisation's fixed cost and the permutation's per-token
// work), both ≥ 0, fitted together in the same measure (moeFit2). The
// GPU-scaled forms and the joint one fit the HybridEP runs' value (pair)
// in the same form (MoEForm.HybridEP, HybridEPCopy); in the other
// three a run whose recipe ran the HybridEP flex dispatcher (runHybridEP)
// is priced with the stack's own fitted value (MoEMicrobatchHybridEP),
// fitted by none, and enters each class as the report predicts it. A run
// whose dispatcher dropped and padded to capacity (engine's
// moe_token_drop: every count 0) enters every form as the report
// predicts it. A run's held-out figure carries its GPU's matrix factor
// fitted without its release (RunPoint.MatrixHeldOut), as the report's
// does. Classes are in the order of rep.RunRows.
func CompareMoEForms(rep *Report) []MoEForm {
	committed := calibration.MoELayerMicrobatchS(calibration.MegatronCore)
	committedH := calibration.MoELayerMicrobatchHybridEPS(calibration.MegatronCore)
	var runs []RunPoint
	for i := range rep.Runs {
		if RunClass(&rep.Runs[i].Run) == RunMoE {
			runs = append(runs, rep.Runs[i])
		}
	}
	bw := func(r *RunPoint) float64 { return r.BandwidthRatio }
	mm := func(r *RunPoint) float64 { return r.MatrixRatio }
	forms := []struct {
		name, unit string
		count      func(*RunPoint) float64
		ratio      func(*RunPoint) float64 // nil: not GPU-scaled
		shares     []float64
		second     func(*RunPoint) float64 // non-nil: a second term fitted jointly (moeFit2)
	}{
		{"routed copy", "per routed token copy per MoE layer", func(r *RunPoint) float64 { return r.RoutedCopies }, nil, nil, nil},
		{"layer·micro-batch", "per MoE layer per micro-batch", func(r *RunPoint) float64 { return r.MoELayerMicrobatches }, nil, nil, nil},
		{"layer·micro-batch·local expert", "per MoE layer per micro-batch per local expert", func(r *RunPoint) float64 { return r.MoEExpertMicrobatches }, nil, nil, nil},
		{"layer·micro-batch × bandwidth ratio", "per MoE layer per micro-batch at " + MoEReferenceGPU + " HBM bandwidth", func(r *RunPoint) float64 { return r.MoELayerMicrobatches }, bw, []float64{1}, nil},
		{"layer·micro-batch × matrix ratio", "per MoE layer per micro-batch at " + MoEReferenceGPU + " bf16 matrix peak", func(r *RunPoint) float64 { return r.MoELayerMicrobatches }, mm, []float64{1}, nil},
		{"layer·micro-batch split", "per MoE layer per micro-batch at " + MoEReferenceGPU + ", a fitted share × bandwidth ratio", func(r *RunPoint) float64 { return r.MoELayerMicrobatches }, bw, splitShares(), nil},
		{"layer·micro-batch + routed copy", "per MoE layer per micro-batch, plus per routed token copy per MoE layer", func(r *RunPoint) float64 { return r.MoELayerMicrobatches }, nil, nil, func(r *RunPoint) float64 { return r.RoutedCopies }},
	}
	type key struct{ hw, pr string }
	var out []MoEForm
	for _, fm := range forms {
		sync := func(r *RunPoint) float64 {
			if runHybridEP(&r.Run) {
				return 0 // its own value
			}
			return fm.count(r)
		}
		hyb := func(r *RunPoint) float64 {
			if !runHybridEP(&r.Run) {
				return 0
			}
			return fm.count(r)
		}
		var form MoEForm
		var ho, hh []float64
		// countIn is a run's count at the form's fitted share (0: none).
		var countIn func(r *RunPoint) float64
		// second is a run's count of the second term, 0 in a
		// one-term form.
		second := func(r *RunPoint) float64 { return 0 }
		switch {
		case fm.second != nil:
			f, f2, h := moeFit2(runs, sync, fm.second, committed)
			g, g2, hg := moeFit2(runs, hyb, fm.second, committedH)
			form = MoEForm{Name: fm.name, Unit: fm.unit, Fit: f, HybridEP: g, Joint: true, Copy: f2, HybridEPCopy: g2}
			ho, hh = h, hg
			countIn = func(r *RunPoint) float64 { return sync(r) + hyb(r) }
			second = fm.second
		case fm.ratio == nil:
			f, h := moeFit(runs, sync, committed)
			form, ho = MoEForm{Name: fm.name, Unit: fm.unit, Fit: f}, h
			countIn = sync
		default:
			f, a, aw, h := moeFitSplit(runs, sync, fm.ratio, fm.shares, committed)
			g, ga, _, hg := moeFitSplit(runs, hyb, fm.ratio, fm.shares, committedH)
			form = MoEForm{Name: fm.name, Unit: fm.unit, Fit: f, HybridEP: g, Scaled: true, Share: a, HybridEPShare: ga, ShareWithout: aw}
			ho, hh = h, hg
			countIn = func(r *RunPoint) float64 {
				if runHybridEP(&r.Run) {
					return hyb(r) * (1 - ga + ga*fm.ratio(r))
				}
				return sync(r) * (1 - a + a*fm.ratio(r))
			}
		}
		idx := map[key]int{}
		for _, row := range rep.RunRows {
			if row.Mode == RunMoE {
				idx[key{row.Hardware, row.Precision}] = len(form.Classes)
				form.Classes = append(form.Classes, MoEFormClass{Hardware: row.Hardware, Precision: row.Precision})
			}
		}
		for i := range runs {
			r := &runs[i]
			pr, _ := calibration.RunPrecision(r.Run.Precision)
			k := key{r.Hardware, pr}
			j, ok := idx[k]
			if !ok {
				j = len(form.Classes)
				idx[k] = j
				form.Classes = append(form.Classes, MoEFormClass{Hardware: k.hw, Precision: k.pr})
			}
			c := &form.Classes[j]
			var in, held float64
			switch {
			case sync(r) > 0:
				in, held = r.Calibrated-committed*r.MoELayerMicrobatches+form.Fit.S*countIn(r)+form.Copy.S*second(r), ho[i]+r.MatrixHeldOut
			case hyb(r) > 0 && (fm.ratio != nil || fm.second != nil):
				in, held = r.Calibrated-committedH*r.MoELayerMicrobatches+form.HybridEP.S*countIn(r)+form.HybridEPCopy.S*second(r), hh[i]+r.MatrixHeldOut
			default:
				in, held = r.Calibrated, r.HeldOut // token drop, or HybridEP in an unscaled form
			}
			c.Calibrated.add(in, r.Measured, r.Source)
			c.HeldOut.add(held, r.Measured, r.Source)
			form.All.Calibrated.add(in, r.Measured, r.Source)
			form.All.HeldOut.add(held, r.Measured, r.Source)
		}
		for j := range form.Classes {
			form.Classes[j].Calibrated.finish()
			form.Classes[j].HeldOut.finish()
		}
		form.All.Calibrated.finish()
		form.All.HeldOut.finish()
		out = append(out, form)
	}
	return out
}

// moeFitSplit is moeFit for a value at MoEReferenceGPU's rates of which a
// share scales with a run's ratio (a run's count is count ·
// (1 − share + share·ratio)): for each share of shares it fits the value
// (calibration.FitStepOverhead) and keeps the share whose fit has the
// least mean squared log error (the first of those within 1e-9 of each
// other: runs that all share one ratio cannot tell the shares apart), to all runs and
// to all but each source's; held-out predictions use the value and share
// fitted without the run's source. With one share it is moeFit of count ×
// (1 − share + share·ratio).
func moeFitSplit(runs []RunPoint, count, ratio func(*RunPoint) float64, shares []float64, committed float64) (f MoEMicrobatchFit, share float64, shareWithout map[string]float64, heldOut []float64) {
	scaled := func(r *RunPoint, a float64) float64 { return count(r) * (1 - a + a*ratio(r)) }
	sf := fitBySource(runs, count, func(skip string) []float64 {
		use := fitRuns(runs, count, skip)
		if len(use) == 0 {
			return []float64{0, 0}
		}
		bestS, bestA, bestL := 0.0, 0.0, math.Inf(1)
		for _, a := range shares {
			var b, n, m []float64
			for _, r := range use {
				b, n, m = append(b, moeBase(r, committed)), append(n, scaled(r, a)), append(m, r.Measured)
			}
			s := calibration.FitStepOverhead(b, n, m)
			var l float64
			for i := range b {
				e := math.Log((b[i] + s*n[i]) / m[i])
				l += e * e
			}
			if math.IsInf(bestL, 1) || l < bestL-1e-9*bestL { // a tie (shares the runs cannot tell apart: one ratio) keeps the lower share
				bestS, bestA, bestL = s, a, l
			}
		}
		return []float64{bestS, bestA}
	}, func(r *RunPoint, v []float64) float64 { return moeBase(r, committed) + v[0]*scaled(r, v[1]) })
	shareWithout = map[string]float64{}
	for src, v := range sf.Without {
		shareWithout[src] = v[1]
	}
	if sf.All != nil {
		share = sf.All[1]
	}
	return sf.microbatchFit(0, committed), share, shareWithout, sf.HeldOut
}
