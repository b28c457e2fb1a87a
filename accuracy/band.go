package accuracy

import (
	"math"

	"github.com/mlsysim/mlsysim-go/calibration"
)

// BandResidual is one held-out point of a band class: measured over the
// held-out prediction (Point.HeldOut), and its source (SourceOf).
type BandResidual struct {
	Ratio  float64
	Source string
}

// BandCheck is one class's error band recomputed from the report and how
// well it covers held-out data.
type BandCheck struct {
	Class calibration.BandClass
	Band  calibration.Band
	// Coverage is the fraction of the class's held-out points inside
	// Band, the band fitted to them.
	Coverage float64
	// CrossCoverage is the fraction inside when each source's points are
	// held against the band of the other sources' residuals alone (the
	// coverage on data the band never saw); NaN with a single source.
	CrossCoverage float64
}

// BandResiduals returns the held-out residuals of every band class
// (calibration.BandClass) in the report: prefill, decode, train,
// cnn-forward and cnn-train from the points of that class on every
// hardware; train-dist from the published multi-GPU rows (Dist) and the
// dense runs of the performance pages (RunDense); train-dist/moe from
// their MoE runs. NeMo AutoModel's runs (a PyTorch-native stack the
// engine does not name) and GEMMs (no engine output) set no band.
func (r *Report) BandResiduals() [calibration.NumBandClasses][]BandResidual {
	var out [calibration.NumBandClasses][]BandResidual
	add := func(c calibration.BandClass, p *Point) {
		out[c] = append(out[c], BandResidual{Ratio: p.Measured / p.HeldOut, Source: SourceOf(p.Source)})
	}
	for i := range r.Points {
		p := &r.Points[i]
		switch p.Class {
		case calibration.ClassPrefill:
			add(calibration.BandPrefill, p)
		case calibration.ClassDecode:
			add(calibration.BandDecode, p)
		case calibration.ClassTrain:
			add(calibration.BandTrain, p)
		case calibration.ClassCNNForward:
			add(calibration.BandCNNForward, p)
		case calibration.ClassCNNTrain:
			add(calibration.BandCNNTrain, p)
		case calibration.ClassTrainDist:
			add(calibration.BandTrainDist, p)
		}
	}
	for i := range r.Runs {
		p := &r.Runs[i]
		switch RunClass(&p.Run) {
		case RunDense:
			add(calibration.BandTrainDist, &p.Point)
		case RunMoE:
			add(calibration.BandTrainMoE, &p.Point)
		}
	}
	return out
}

// Bands returns the error bands of the report's held-out residuals at the
// given coverage (calibration.BandFactors per class), as data/bands.json
// holds them, and each class's check: the coverage of its own points and
// of each source's points by the band of the others.
func (r *Report) Bands(coverage float64) (*calibration.Bands, []BandCheck) {
	res := r.BandResiduals()
	b := &calibration.Bands{Coverage: coverage, Method: calibration.BandMethod}
	var checks []BandCheck
	for c := calibration.BandClass(0); c < calibration.NumBandClasses; c++ {
		rs := res[c]
		if len(rs) == 0 {
			continue
		}
		ratios := make([]float64, len(rs))
		sources := map[string]bool{}
		for i, x := range rs {
			ratios[i] = x.Ratio
			sources[x.Source] = true
		}
		lo, hi := calibration.BandFactors(ratios, coverage)
		band := calibration.Band{Lo: lo, Hi: hi, N: len(rs), Sources: len(sources)}
		b.Set(c, band)
		ck := BandCheck{Class: c, Band: band, Coverage: inside(ratios, lo, hi), CrossCoverage: math.NaN()}
		if len(sources) > 1 {
			var in, n int
			for s := range sources {
				var others []float64
				for _, x := range rs {
					if x.Source != s {
						others = append(others, x.Ratio)
					}
				}
				l, h := calibration.BandFactors(others, coverage)
				for _, x := range rs {
					if x.Source == s {
						n++
						if x.Ratio >= l && x.Ratio <= h {
							in++
						}
					}
				}
			}
			ck.CrossCoverage = float64(in) / float64(n)
		}
		checks = append(checks, ck)
	}
	return b, checks
}

// inside returns the fraction of ratios within [lo, hi].
func inside(ratios []float64, lo, hi float64) float64 {
	in := 0
	for _, x := range ratios {
		if x >= lo && x <= hi {
			in++
		}
	}
	return float64(in) / float64(len(ratios))
}
