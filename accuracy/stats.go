package accuracy

import (
	"math"
	"sort"
)

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

// merge adds o's points to s (before s.finish): its errors, noisy count,
// steady max and worst point.
func (s *ErrorStats) merge(o *ErrorStats) {
	s.errs = append(s.errs, o.errs...)
	if o.worst > s.worst {
		s.worst, s.WorstSource, s.WorstSpread = o.worst, o.WorstSource, o.WorstSpread
	}
	s.Noisy += o.Noisy
	s.MaxSteady = max(s.MaxSteady, o.MaxSteady)
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
