package accuracy

import (
	"github.com/mlsysim/mlsysim-go/calibration"
)

// MoEForm is one functional form of the megatron-core stack's MoE cost
// fitted to the published Megatron-Core MoE runs the way MoEMicrobatchFit
// is (moeFit): the value fitted to all of them and to all but each
// release's, and the runs' errors by class (Row's train-dist/moe rows:
// hardware and precision), in-sample and held out (each run predicted
// with the value fitted without its release).
type MoEForm struct {
	Name    string // "routed copy", "layer·micro-batch", "layer·micro-batch·local expert"
	Unit    string // what the value is per
	Fit     MoEMicrobatchFit
	Classes []MoEFormClass
	// All are the errors over every run of the form.
	All MoEFormClass
}

// MoEFormClass is a form's errors over the runs of one class.
type MoEFormClass struct {
	Hardware, Precision string
	Calibrated, HeldOut ErrorStats
}

// CompareMoEForms fits three forms of the megatron-core stack's MoE cost
// to the report's Megatron-Core MoE runs (RunMoE), each on the same machinery (moeFit) and the same base (the
// calibrated step less the committed time per MoE layer per micro-batch):
// a time per routed token copy per MoE layer (RunPoint.RoutedCopies), per
// MoE layer per micro-batch (MoELayerMicrobatches, the form the stack
// prices), and per MoE layer per micro-batch per local expert ⌈E/ep⌉
// (MoEExpertMicrobatches). A run whose dispatcher dropped and padded to
// capacity (engine's moe_token_drop: every count 0), or whose recipe ran
// the HybridEP flex dispatcher (runHybridEP: priced with its own fitted
// value, MoEMicrobatchHybridEP), is fitted by none and enters each class
// as the report predicts it. A run's held-out figure carries its GPU's
// matrix factor fitted without its release (RunPoint.MatrixHeldOut), as
// the report's does. Classes are in the order of
// rep.RunRows.
func CompareMoEForms(rep *Report) []MoEForm {
	committed := calibration.MoELayerMicrobatchS(calibration.MegatronCore)
	var runs []RunPoint
	for i := range rep.Runs {
		if RunClass(&rep.Runs[i].Run) == RunMoE {
			runs = append(runs, rep.Runs[i])
		}
	}
	forms := []struct {
		name, unit string
		count      func(*RunPoint) float64
	}{
		{"routed copy", "per routed token copy per MoE layer", func(r *RunPoint) float64 { return r.RoutedCopies }},
		{"layer·micro-batch", "per MoE layer per micro-batch", func(r *RunPoint) float64 { return r.MoELayerMicrobatches }},
		{"layer·micro-batch·local expert", "per MoE layer per micro-batch per local expert", func(r *RunPoint) float64 { return r.MoEExpertMicrobatches }},
	}
	type key struct{ hw, pr string }
	var out []MoEForm
	for _, fm := range forms {
		count := func(r *RunPoint) float64 {
			if runHybridEP(&r.Run) {
				return 0 // its own value (MoEMicrobatchHybridEP)
			}
			return fm.count(r)
		}
		f, ho := moeFit(runs, count, committed)
		form := MoEForm{Name: fm.name, Unit: fm.unit, Fit: f}
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
			in, held := r.Calibrated-committed*r.MoELayerMicrobatches+f.S*count(r), ho[i]+r.MatrixHeldOut
			if count(r) <= 0 {
				in, held = r.Calibrated, r.HeldOut // token drop or HybridEP: no form applies
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
