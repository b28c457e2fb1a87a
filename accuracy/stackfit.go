package accuracy

import (
	"sort"

	"github.com/mlsysim/mlsysim-go/calibration"
)

// StackFit is a software stack's runtime overhead per engine step
// (calibration.Stack.StepOverheadS) fitted to the published points that
// name the stack (published.csv's software column): fitted to all of them
// (what calibration/data/stacks.json should hold), and to all but each
// source's, the value that source's points are predicted with in
// Point.HeldOut.
type StackFit struct {
	Software      calibration.Software
	N             int                // points naming the stack (those on one GPU are fitted)
	StepOverheadS float64            // fitted to every single-GPU point of the stack
	Committed     float64            // the value in calibration/data/stacks.json
	WithoutS      map[string]float64 // by source (SourceOf): fitted without its points
}

// stackSteps returns the engine steps a point takes (a prefill 1, a
// static batch of n output tokens n), or 0 for a point of another class.
func stackSteps(pt *calibration.Point) float64 {
	switch pt.Class {
	case calibration.ClassPrefill:
		return 1
	case calibration.ClassServe:
		return float64(max(pt.Out, 1))
	}
	return 0
}

// fitStacks fits the step overhead of every stack named by the points
// (Point.Stack), on one GPU only (on several, the tensor-parallel
// collectives' misses would pass for the overhead), and sets the held-out
// prediction of all those points, on any number of GPUs: the
// prediction without the committed overhead plus the overhead fitted
// without the point's source, times its steps. Predictions are linear in
// the overhead (each engine step adds it once), so the prediction without
// it is Calibrated − committed · steps.
func fitStacks(ts []calibration.Target, idx []int, rep *Report) {
	type pt struct {
		i           int // in rep.Points
		base, steps float64
		meas        float64
		source      string
		multi       bool // on more than one GPU: predicted, not fitted
	}
	by := map[calibration.Software][]pt{}
	for k := range ts {
		p := &ts[k].Point
		if idx[k] < 0 || p.Stack == "" {
			continue
		}
		n := stackSteps(p)
		if n == 0 {
			continue
		}
		sw := p.Software()
		ap := &rep.Points[idx[k]]
		by[sw] = append(by[sw], pt{i: idx[k], base: ap.Calibrated - calibration.StepOverhead(sw)*n, steps: n, meas: ap.Measured, source: SourceOf(ap.Source),
			multi: p.TP > 1})
	}
	sws := make([]calibration.Software, 0, len(by))
	for sw := range by {
		sws = append(sws, sw)
	}
	sort.Slice(sws, func(a, b int) bool { return sws[a] < sws[b] })
	fit := func(ps []pt, skip string) float64 {
		var base, steps, meas []float64
		for _, p := range ps {
			if p.source != skip && !p.multi {
				base, steps, meas = append(base, p.base), append(steps, p.steps), append(meas, p.meas)
			}
		}
		if len(base) == 0 {
			return 0
		}
		return calibration.FitStepOverhead(base, steps, meas)
	}
	for _, sw := range sws {
		ps := by[sw]
		f := StackFit{Software: sw, N: len(ps), StepOverheadS: fit(ps, ""), Committed: calibration.StepOverhead(sw), WithoutS: map[string]float64{}}
		for _, p := range ps {
			if _, ok := f.WithoutS[p.source]; !ok {
				f.WithoutS[p.source] = fit(ps, p.source)
			}
			rep.Points[p.i].HeldOut = p.base + f.WithoutS[p.source]*p.steps
		}
		rep.Stacks = append(rep.Stacks, f)
	}
}
