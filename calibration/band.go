package calibration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"sync"
)

// BandClass is a class of calibrated predictions with an error band of
// its own: the engine output it bounds is priced by the operator model the
// class's measured or published points hold to account.
type BandClass uint8

// The band classes. Each names the points of `sweep accuracy` whose
// held-out residuals set it (accuracy.BandResiduals).
const (
	BandPrefill    BandClass = iota // serving TTFT, transformer inference: the prefill points
	BandDecode                      // serving ITL: the decode points
	BandTrain                       // single-GPU training step: the train points
	BandTrainDist                   // multi-GPU training step, dense: train-dist (published.csv) and train-dist/nemo
	BandTrainMoE                    // multi-GPU training step, mixture of experts: train-dist/moe
	BandCNNForward                  // CNN inference: the cnn-forward points
	BandCNNTrain                    // CNN training step: the cnn-train points
	NumBandClasses
)

var bandClassNames = [NumBandClasses]string{"prefill", "decode", "train", "train-dist", "train-dist/moe", "cnn-forward", "cnn-train"}

// String returns the class's name as data/bands.json spells it.
func (b BandClass) String() string {
	if b < NumBandClasses {
		return bandClassNames[b]
	}
	return "unknown"
}

// Band is the error band of one class: a prediction t is bounded by
// [t·Lo, t·Hi] at the file's coverage. Lo ≤ 1 ≤ Hi. N is the held-out
// points it comes from, Sources their distinct sources.
type Band struct {
	Lo      float64 `json:"lo"`
	Hi      float64 `json:"hi"`
	N       int     `json:"n"`
	Sources int     `json:"sources"`
}

// Bands is the error bands of every class at one coverage, as committed
// in data/bands.json and recomputed by `sweep accuracy` (the test
// accuracy.TestBandsReproduce checks they are equal).
type Bands struct {
	Coverage float64              `json:"coverage"`
	Method   string               `json:"method"`
	Classes  map[string]Band      `json:"classes"`
	byClass  [NumBandClasses]Band // Classes by BandClass, for an allocation-free lookup
}

// BandCoverage is the stated coverage of the committed bands: 80 % of
// held-out measurements lie within [t·Lo, t·Hi].
const BandCoverage = 0.8

// BandMethod describes how BandFactors computes a band, for the file.
const BandMethod = "per class, the held-out (leave-one-source-out) ratios measured/predicted of the points of `sweep accuracy`; the band [exp(-w), exp(w)] with w the ceil((n+1)*coverage)-th smallest absolute log ratio of the class's n points (split conformal), capped at the largest"

// BandFactors returns the band of ratios (measured/predicted) at the
// given coverage: symmetric in the logarithm, [1/e^w, e^w], where w is
// the ⌈(n+1)·coverage⌉-th smallest of the n absolute log ratios (the
// split-conformal rule of Lei et al., "Distribution-Free Predictive
// Inference for Regression", JASA 2018: for a new ratio exchangeable with
// these, the probability of falling inside is at least coverage), or the largest
// when that rank exceeds n. Non-finite or non-positive ratios are left
// out; with none left, the band is [1, 1]. Every ratio whose absolute log
// is at most w lies in the band: where e^w or e^-w rounds past such a
// ratio (by an ulp), the band's end is that ratio. ratios is not modified.
func BandFactors(ratios []float64, coverage float64) (lo, hi float64) {
	xs := make([]float64, 0, len(ratios))
	for _, r := range ratios {
		if r > 0 && !math.IsInf(r, 0) {
			xs = append(xs, math.Abs(math.Log(r)))
		}
	}
	if len(xs) == 0 {
		return 1, 1
	}
	sort.Float64s(xs)
	k := int(math.Ceil(float64(len(xs)+1)*coverage)) - 1
	k = min(max(k, 0), len(xs)-1)
	w := xs[k]
	lo, hi = math.Exp(-w), math.Exp(w)
	for _, r := range ratios {
		if r > 0 && !math.IsInf(r, 0) && math.Abs(math.Log(r)) <= w {
			lo, hi = min(lo, r), max(hi, r)
		}
	}
	return lo, hi
}

// Get returns the band of class c; ok is false when the file has none.
// It allocates nothing.
func (b *Bands) Get(c BandClass) (Band, bool) {
	if b == nil || c >= NumBandClasses {
		return Band{}, false
	}
	v := b.byClass[c]
	return v, v.Hi > 0
}

// Set records the band of class c.
func (b *Bands) Set(c BandClass, v Band) {
	if b.Classes == nil {
		b.Classes = map[string]Band{}
	}
	b.Classes[c.String()] = v
	if c < NumBandClasses {
		b.byClass[c] = v
	}
}

// Marshal returns the bands as data/bands.json holds them: indented JSON,
// classes in BandClass order, numbers in their shortest exact form.
func (b *Bands) Marshal() []byte {
	var w bytes.Buffer
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	fmt.Fprintf(&w, "{\n  \"coverage\": %s,\n  \"method\": %q,\n  \"classes\": {", num(b.Coverage), b.Method)
	first := true
	for c := BandClass(0); c < NumBandClasses; c++ {
		v, ok := b.Get(c)
		if !ok {
			continue
		}
		if !first {
			w.WriteString(",")
		}
		first = false
		fmt.Fprintf(&w, "\n    %q: {\"lo\": %s, \"hi\": %s, \"n\": %d, \"sources\": %d}", c.String(), num(v.Lo), num(v.Hi), v.N, v.Sources)
	}
	w.WriteString("\n  }\n}\n")
	return w.Bytes()
}

// ReadBands parses bands in data/bands.json's format: a coverage in
// (0, 1), classes named as BandClass spells them, each with 0 < lo ≤ 1 ≤
// hi < 1000 and n ≥ 1. Anything else is an error naming the field.
func ReadBands(r io.Reader) (*Bands, error) {
	dec := json.NewDecoder(io.LimitReader(r, 1<<20))
	dec.DisallowUnknownFields()
	var b Bands
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("bands: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("bands: trailing data")
	}
	if !(b.Coverage > 0 && b.Coverage < 1) {
		return nil, fmt.Errorf("bands: coverage %v: want in (0, 1)", b.Coverage)
	}
	for name, v := range b.Classes {
		c := BandClass(0)
		for c < NumBandClasses && c.String() != name {
			c++
		}
		if c == NumBandClasses {
			return nil, fmt.Errorf("bands: class %q: want one of %v", name, bandClassNames)
		}
		if !(v.Lo > 0 && v.Lo <= 1 && v.Hi >= 1 && v.Hi < 1000) || v.N < 1 || v.Sources < 1 {
			return nil, fmt.Errorf("bands: class %q: lo %v, hi %v, n %d, sources %d: want 0 < lo ≤ 1 ≤ hi < 1000, n, sources ≥ 1", name, v.Lo, v.Hi, v.N, v.Sources)
		}
		b.byClass[c] = v
	}
	return &b, nil
}

// EmbeddedBands returns the committed bands (data/bands.json), read once.
func EmbeddedBands() *Bands { return embeddedBands() }

var embeddedBands = sync.OnceValue(func() *Bands {
	raw, err := dataFS.ReadFile("data/" + BandsFile)
	if err != nil {
		panic(err)
	}
	b, err := ReadBands(bytes.NewReader(raw))
	if err != nil {
		panic("calibration: data/" + BandsFile + ": " + err.Error())
	}
	return b
})

// BandsFile is the name of the committed bands in calibration/data.
const BandsFile = "bands.json"
