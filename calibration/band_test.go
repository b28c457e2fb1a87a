package calibration

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// BandFactors is the split-conformal rank: of n absolute log ratios, the
// ⌈(n+1)·coverage⌉-th smallest, capped at the largest.
func TestBandFactors(t *testing.T) {
	// |ln| = ln 1.1, ln 1.2, ... ln 2.0 (ten points); (10+1)·0.8 = 8.8 → the 9th: ln 1.9.
	var rs []float64
	for i := 1; i <= 10; i++ {
		r := 1 + float64(i)/10
		if i%2 == 0 {
			r = 1 / r // the sign of the error does not matter
		}
		rs = append(rs, r)
	}
	lo, hi := BandFactors(rs, 0.8)
	if math.Abs(hi-1.9) > 1e-12 || math.Abs(lo-1/1.9) > 1e-12 {
		t.Errorf("band [%v, %v], want [1/1.9, 1.9]", lo, hi)
	}
	if lo, hi := BandFactors(rs[:3], 0.8); math.Abs(hi-1.3) > 1e-12 || math.Abs(lo*hi-1) > 1e-12 {
		t.Errorf("three points: band [%v, %v], want the largest, [1/1.3, 1.3]", lo, hi)
	}
	if lo, hi := BandFactors([]float64{0, math.NaN(), math.Inf(1), -1}, 0.8); lo != 1 || hi != 1 {
		t.Errorf("no usable ratio: band [%v, %v], want [1, 1]", lo, hi)
	}
	// The ratio that sets the band lies in it, though e^-|ln r| may round an
	// ulp above r (a held-out prefill residual of sweep accuracy did).
	edge := 0.72951963207866499
	if math.Exp(math.Log(edge)) <= edge {
		t.Fatalf("%v no longer rounds up through exp(log): pick another", edge)
	}
	if lo, hi := BandFactors([]float64{1.01, edge}, 0.8); !(lo <= edge && hi >= 1/edge*(1-1e-15)) {
		t.Errorf("band [%v, %v] leaves out the ratio %v that sets it", lo, hi, edge)
	}
}

// The committed bands parse, and bad files are errors naming the field.
func TestReadBands(t *testing.T) {
	good, err := dataFS.ReadFile("data/" + BandsFile)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadBands(bytes.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Marshal(), good) {
		t.Errorf("round trip changed the file:\n%s", b.Marshal())
	}
	for c := BandClass(0); c < NumBandClasses; c++ {
		if v, ok := EmbeddedBands().Get(c); !ok || !(v.Lo <= 1 && v.Hi >= 1) {
			t.Errorf("%s: band %+v, %v", c, v, ok)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{`{"coverage": 1.5, "method": "", "classes": {}}`, "coverage"},
		{`{"coverage": 0.8, "method": "", "classes": {"fleet": {"lo": 0.9, "hi": 1.1, "n": 3, "sources": 1}}}`, "fleet"},
		{`{"coverage": 0.8, "method": "", "classes": {"decode": {"lo": 1.2, "hi": 1.1, "n": 3, "sources": 1}}}`, "decode"},
		{`{"coverage": 0.8, "method": "", "classes": {"decode": {"lo": 0.9, "hi": 1.1, "n": 0, "sources": 1}}}`, "decode"},
		{`{"coverage": 0.8, "method": "", "classes": {}, "extra": 1}`, "extra"},
		{`{"coverage": 0.8, "method": "", "classes": {}} {}`, "trailing"},
	} {
		if _, err := ReadBands(strings.NewReader(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming %q", tc.in, err, tc.want)
		}
	}
}
