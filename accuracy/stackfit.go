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
//
// A stack with host time terms (calibration.Stack.StepHostTerms) has its
// step overhead, its time per sequence of a decode step and per
// tensor-parallel worker beyond the first fitted jointly to every point
// naming it, on any number of GPUs (calibration.FitStepHostTerms): the
// terms that grow with the batch and the GPUs are what its multi-GPU points
// are fitted for.
type StackFit struct {
	Software      calibration.Software
	N             int                // points naming the stack (those on one GPU are fitted)
	StepOverheadS float64            // fitted to every single-GPU point of the stack
	Committed     float64            // the value in calibration/data/stacks.json
	WithoutS      map[string]float64 // by source (SourceOf; StackSource for a stack of one source): fitted without its points

	HostTerms                      bool                  // fitted as three host time terms, on every point
	SeqS, WorkerS                  float64               // per sequence, per worker beyond the first, of a decode step
	CommittedSeqS, CommittedWorker float64               // the values in calibration/data/stacks.json
	WithoutTerms                   map[string][3]float64 // by source: step, sequence and worker terms fitted without its points
}

// StackSource names the held-out unit of a stack's points from source
// (SourceOf) on hardware hw when all the stack's points come from that one
// source: the source's table for that GPU.
func StackSource(source, hw string) string { return source + " (" + hw + ")" }

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
		decode      float64 // decode steps (steps − 1 of a serving point, 0 of a prefill)
		batch, tp   float64
		meas        float64
		source      string
		hw          string // the point's hardware: its GPU's table of the source
		multi       bool   // on more than one GPU: predicted, not fitted (but on a stack with host terms)
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
		x := pt{i: idx[k], steps: n, decode: n - 1, batch: float64(max(p.Batch, 1)), tp: float64(max(p.TP, 1)), meas: ap.Measured, source: SourceOf(ap.Source), hw: ap.Hardware,
			multi: p.TP > 1}
		a, b, c, _ := calibration.StepHostTerms(sw)
		x.base = ap.Calibrated - a*n - (b*x.batch+c*(x.tp-1))*x.decode // the engine's DecodeHostS, 0 without host terms
		by[sw] = append(by[sw], x)
	}
	sws := make([]calibration.Software, 0, len(by))
	for sw, ps := range by {
		sws = append(sws, sw)
		// A stack fitted to one publication alone (a release's
		// performance page) is held out by the page's GPU tables, each
		// measured on its own system: the overhead fitted to the other
		// GPUs' rows predicts each GPU's.
		one := true
		for _, p := range ps {
			one = one && p.source == ps[0].source
		}
		if one {
			for j := range ps {
				ps[j].source = StackSource(ps[j].source, ps[j].hw)
			}
		}
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
	fitTerms := func(ps []pt, skip string) [3]float64 {
		var base, steps, decode, batch, tp, meas []float64
		for _, p := range ps {
			if p.source != skip && p.decode > 0 {
				base, steps, decode = append(base, p.base), append(steps, p.steps), append(decode, p.decode)
				batch, tp, meas = append(batch, p.batch), append(tp, p.tp), append(meas, p.meas)
			}
		}
		a, b, c := calibration.FitStepHostTerms(base, steps, decode, batch, tp, meas)
		return [3]float64{a, b, c}
	}
	for _, sw := range sws {
		ps := by[sw]
		if _, cb, cc, ok := calibration.StepHostTerms(sw); ok {
			all := fitTerms(ps, "")
			f := StackFit{Software: sw, N: len(ps), StepOverheadS: all[0], Committed: calibration.StepOverhead(sw), WithoutS: map[string]float64{},
				HostTerms: true, SeqS: all[1], WorkerS: all[2], CommittedSeqS: cb, CommittedWorker: cc, WithoutTerms: map[string][3]float64{}}
			for _, p := range ps {
				w, ok := f.WithoutTerms[p.source]
				if !ok {
					w = fitTerms(ps, p.source)
					f.WithoutTerms[p.source], f.WithoutS[p.source] = w, w[0]
				}
				rep.Points[p.i].HeldOut = p.base + w[0]*p.steps + (w[1]*p.batch+w[2]*(p.tp-1))*p.decode
			}
			rep.Stacks = append(rep.Stacks, f)
			continue
		}
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
