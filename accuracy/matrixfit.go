package accuracy

import (
	"sort"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/registry"
)

// MatrixFactorFit is a GPU's factor on its derived profile's matrix
// (tensor-core) fractions (calibration.MatrixFit) fitted to its published
// dense Megatron-Core training runs (RunDense, feasible under the
// calibrated fidelity): to all of them (what calibration/data/
// matrix_fits.json holds for an adopted GPU), and to all but each
// release's (SourceOf), the value that release's runs, of every class, are
// predicted with in Point.HeldOut where the factor is committed.
//
// Only the dense runs are fitted: a mixture of experts' step also carries
// the megatron-core stack's time per MoE layer per micro-batch, fitted to
// the MoE runs of every GPU with the committed factors in place, and its
// expert all-to-alls and dispatch, so its misses would not be the matrix
// rate's alone; the MoE runs are predicted with the factor, not fitted.
type MatrixFactorFit struct {
	Hardware  string
	N         int                // dense runs fitted
	Releases  []string           // the releases they come from
	Factor    float64            // fitted to every one of them
	Committed float64            // the value in calibration/data/matrix_fits.json; 0: none committed (the GPU is not adopted)
	WithoutS  map[string]float64 // by release: fitted without its runs
	Max       float64            // the factor above which no matrix fraction grows (calibration.MaxMatrixFactor)
}

// matrixFactorFloor is the lowest factor the search considers: a quarter
// of the reference's share, far below any fit.
const matrixFactorFloor = 0.25

// fitMatrixFactors fits the matrix factor of every GPU on a derived
// profile with dense Megatron-Core runs of at least two releases, or with
// a committed factor, into rep.MatrixFactors; for a GPU with a committed
// factor it sets the held-out prediction of each of its runs (dense, MoE
// and NeMo AutoModel) from a release the fit used to the run repriced with
// the factor fitted without that release, plus what the run's held-out
// prediction already differed from its calibrated one by (an MoE run's time
// per MoE layer fitted without its release: the step is linear in it).
func fitMatrixFactors(reg *registry.Registry, profiles *calibration.Set, runs []RunPoint, rep *Report) {
	byHW := map[string][]int{}
	for i := range runs {
		r := &runs[i]
		if r.Profile == calibration.KindMeasured || r.Profile == calibration.KindNone {
			continue
		}
		byHW[r.Hardware] = append(byHW[r.Hardware], i)
	}
	hws := make([]string, 0, len(byHW))
	for hw := range byHW {
		hws = append(hws, hw)
	}
	sort.Strings(hws)
	for _, hw := range hws {
		var dense []int
		rels := map[string]bool{}
		for _, i := range byHW[hw] {
			r := &runs[i]
			if RunClass(&r.Run) == RunDense && r.Feasible {
				dense = append(dense, i)
				rels[SourceOf(r.Source)] = true
			}
		}
		committed, ok := calibration.MatrixFactorFor(hw)
		if len(rels) < 2 && !ok {
			continue
		}
		base := profiles.Derived(hw)
		if base == nil {
			continue
		}
		f := MatrixFactorFit{Hardware: hw, WithoutS: map[string]float64{}, Max: calibration.MaxMatrixFactor(base)}
		if ok {
			f.Committed = committed.Factor
		}
		for r := range rels {
			f.Releases = append(f.Releases, r)
		}
		sort.Strings(f.Releases)
		fit := func(skip string) float64 {
			var rows []int
			var meas []float64
			for _, i := range dense {
				if SourceOf(runs[i].Source) != skip {
					rows, meas = append(rows, i), append(meas, runs[i].Measured)
				}
			}
			if len(rows) == 0 {
				return 0
			}
			pred := func(x float64) []float64 {
				set := profiles.WithMatrixFactor(hw, x)
				out := make([]float64, len(rows))
				for k, i := range rows {
					out[k], _, _, _ = PredictRun(reg, set, &runs[i].Run, engine.FidelityCalibrated)
				}
				return out
			}
			return calibration.FitMatrixFactor(pred, meas, matrixFactorFloor, f.Max)
		}
		f.N = len(dense)
		f.Factor = fit("")
		for _, r := range f.Releases {
			f.WithoutS[r] = fit(r)
		}
		rep.MatrixFactors = append(rep.MatrixFactors, f)
		if !ok {
			continue
		}
		for _, i := range byHW[hw] {
			r := &runs[i]
			w, used := f.WithoutS[SourceOf(r.Source)]
			if !used {
				continue // a release the fit did not use: already held out
			}
			step, _, _, why := PredictRun(reg, profiles.WithMatrixFactor(hw, w), &r.Run, engine.FidelityCalibrated)
			if why != "" {
				continue
			}
			r.MatrixHeldOut = step - r.Calibrated
			r.HeldOut += r.MatrixHeldOut
		}
	}
}
