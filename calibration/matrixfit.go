package calibration

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

// MatrixFitsFile is the name of the matrix factors fitted to published
// training rows (MatrixFit) in calibration/data.
const MatrixFitsFile = "matrix_fits.json"

//go:embed data/matrix_fits.json
var matrixFitsJSON []byte

// MatrixFit is one GPU's factor on its derived profile's matrix
// (tensor-core) fractions, fitted by code (accuracy's matrix factor fit,
// FitMatrixFactor) to that GPU's published dense Megatron-Core training
// rows: the sustained matrix rate under a training load relative to the
// share the reference's fractions give the GPU's datasheet rates. The
// file records what it was fitted to and the value fitted without each
// release, which that release's rows are predicted with in sweep
// accuracy's held-out column.
type MatrixFit struct {
	Hardware string  `json:"hardware"`      // registry key
	Factor   float64 `json:"matrix_factor"` // on every tensor-core fraction (bf16, tf32, fp16, fp8, int8, int4), each capped at 1
	FittedTo string  `json:"fitted_to"`     // the rows, in words
	Rows     int     `json:"rows"`          // rows fitted
	// Releases are the releases (SourceOf of the rows: the file and the
	// container release) the rows come from.
	Releases []string `json:"releases"`
	// WithoutRelease is the factor fitted without each release's rows.
	WithoutRelease map[string]float64 `json:"without_release"`
	Sources        []string           `json:"sources"`
}

// matrixFits is data/matrix_fits.json by hardware key, read when the
// package is initialised.
var matrixFits = mustMatrixFits(matrixFitsJSON)

func mustMatrixFits(b []byte) map[string]MatrixFit {
	m, err := readMatrixFits(b)
	if err != nil {
		panic("calibration: data/" + MatrixFitsFile + ": " + err.Error())
	}
	return m
}

// MatrixFitsDoc is the file's layout: a doc string and the fits.
type MatrixFitsDoc struct {
	Doc  string      `json:"doc"`
	Fits []MatrixFit `json:"fits"`
}

func readMatrixFits(b []byte) (map[string]MatrixFit, error) {
	var f MatrixFitsDoc
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	out := map[string]MatrixFit{}
	for _, x := range f.Fits {
		if x.Hardware == "" || x.Hardware == Reference {
			return nil, fmt.Errorf("fit for %q: not a derived profile's hardware", x.Hardware)
		}
		if !(x.Factor > 0) || math.IsInf(x.Factor, 0) {
			return nil, fmt.Errorf("%s: matrix_factor %v, want > 0", x.Hardware, x.Factor)
		}
		if len(x.Sources) == 0 || x.Rows < 1 || len(x.Releases) < 2 {
			return nil, fmt.Errorf("%s: a fit needs its sources, its rows and at least two releases", x.Hardware)
		}
		if _, dup := out[x.Hardware]; dup {
			return nil, fmt.Errorf("%s: two fits", x.Hardware)
		}
		out[x.Hardware] = x
	}
	return out, nil
}

// MatrixFactorFor returns the committed matrix factor of hardware key hw
// (data/matrix_fits.json), and whether there is one.
func MatrixFactorFor(hw string) (MatrixFit, bool) {
	f, ok := matrixFits[hw]
	return f, ok
}

// MatrixFits returns the committed fits, in hardware order.
func MatrixFits() []MatrixFit {
	out := make([]MatrixFit, 0, len(matrixFits))
	for _, f := range matrixFits {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Hardware < out[j].Hardware })
	return out
}

// MatrixFitRule is the provenance method of a derived profile whose matrix
// fractions carry a factor fitted to published rows (KindFitted).
const MatrixFitRule = "; matrix (tensor-core) fractions × a factor fitted to the GPU's published dense Megatron-Core training rows (calibration/data/" + MatrixFitsFile + ", least squares in log error; sweep accuracy checks it leave-one-release-out)"

// ScaleMatrix returns p with its tensor-core matrix fractions (bf16,
// tf32, fp16, fp8, int8, int4: the matrix units) multiplied by f, each
// capped at 1 (the datasheet rate), as Derive caps its scaled fractions;
// fp32 (CUDA cores) and every other fraction unchanged. A fraction 0 (not
// measured: bf16's) stays 0 and so follows the scaled bf16. The result
// says KindFitted and adds MatrixFitRule and the factor to the
// provenance's method. f ≤ 0 returns p unchanged.
func ScaleMatrix(p Profile, f float64) Profile {
	if !(f > 0) {
		return p
	}
	m := &p.MatmulFrac
	sc := func(v float64) float64 { return min(v*f, 1) }
	m.BF16, m.TF32, m.FP16, m.FP8, m.INT8, m.INT4 = sc(m.BF16), sc(m.TF32), sc(m.FP16), sc(m.FP8), sc(m.INT8), sc(m.INT4)
	p.Kind = KindFitted
	method := p.Provenance.Method
	if i := strings.Index(method, MatrixFitRule); i >= 0 {
		method = method[:i]
	}
	p.Provenance.Method = method + MatrixFitRule + fmt.Sprintf(": %.4f", f)
	return p
}

// MaxMatrixFactor returns the factor above which no tensor-core fraction
// of p grows (each reaches 1): 1 over the largest of them.
func MaxMatrixFactor(p *Profile) float64 {
	m := &p.MatmulFrac
	hi := max(m.BF16, m.TF32, m.FP16, m.FP8, m.INT8, m.INT4)
	if !(hi > 0) {
		return 1
	}
	return 1 / hi
}

// FitMatrixFactor returns the factor f in [lo, hi] on a derived profile's
// matrix fractions that minimises the mean squared log error of
// predict(f) (the rows' step times with the factor) against measured:
// golden-section search on ln f, 48 iterations (the bracket shrunk to
// under 1e-9 of its log width), each evaluating predict once,
// deterministic, as FitStepOverhead searches its overhead. The step times
// are not linear in f (the matrix time is blended with memory and
// overlapped with communication), so each evaluation reprices the rows.
func FitMatrixFactor(predict func(f float64) []float64, measured []float64, lo, hi float64) float64 {
	loss := func(x float64) float64 {
		pr := predict(math.Exp(x))
		var l float64
		for i, m := range measured {
			e := math.Log(pr[i] / m)
			l += e * e
		}
		return l
	}
	return math.Exp(goldenSection(loss, math.Log(lo), math.Log(hi), 48))
}
