package accuracy

import (
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/registry"
)

// These tests are bounds, not pins: each says which claim of the README or
// docs/accuracy.md it protects, so that a model change that keeps the claim
// passes and one that breaks it fails, whatever the exact figures.

// report returns the report on the reference measurements plus files
// (relative to the repository root), with the embedded profiles.
func report(t testing.TB, reference bool, files ...string) *Report {
	t.Helper()
	for i, f := range files {
		files[i] = "../" + f
	}
	ds, err := Load(reference, files...)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Evaluate(registry.Default(), nil, ds)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Rows {
		t.Logf("%-15s %-10s %-5s %-9s n=%3d mlsysim %6.1f/%6.1f/%6.1f  calibrated %5.1f/%5.1f/%5.1f  steady %5.1f (%d noisy) worst %s", r.Name(), r.Hardware, r.Precision, r.Profile, r.Calibrated.N,
			r.MLSysim.Mean, r.MLSysim.Median, r.MLSysim.Max, r.Calibrated.Mean, r.Calibrated.Median, r.Calibrated.Max, r.Calibrated.MaxSteady, r.Calibrated.Noisy, r.Calibrated.WorstSource)
	}
	for _, r := range rep.LOO {
		t.Logf("LOO %s held out %s: n=%d %5.1f/%5.1f/%5.1f", r.Hardware, r.HeldOut, r.Stats.N, r.Stats.Mean, r.Stats.Median, r.Stats.Max)
	}
	return rep
}

var referenceReport = sync.OnceValues(func() (*Report, error) {
	ds, err := Load(true)
	if err != nil {
		return nil, err
	}
	return Evaluate(registry.Default(), nil, ds)
})

func reference(t *testing.T) *Report {
	t.Helper()
	rep, err := referenceReport()
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func findRow(rep *Report, name, hw, prec string) *Row {
	for i := range rep.Rows {
		r := &rep.Rows[i]
		if r.Name() == name && r.Hardware == hw && r.Precision == prec {
			return r
		}
	}
	return nil
}

// bound is one accuracy claim on a class row of the report: the calibrated
// median and max stay under their limits (0: not bounded).
type bound struct {
	row, hw, prec string
	median, max   float64
	protects      string
}

func checkBounds(t *testing.T, rep *Report, bounds []bound) {
	t.Helper()
	for _, b := range bounds {
		r := findRow(rep, b.row, b.hw, b.prec)
		if r == nil {
			t.Errorf("%s %s %s: no row (%s)", b.row, b.hw, b.prec, b.protects)
			continue
		}
		if b.median > 0 && !(r.Calibrated.Median <= b.median) {
			t.Errorf("%s %s %s: calibrated median %.1f%% above %.0f%%: breaks %s", b.row, b.hw, b.prec, r.Calibrated.Median, b.median, b.protects)
		}
		if b.max > 0 && !(r.Calibrated.Max <= b.max) {
			t.Errorf("%s %s %s: calibrated max %.1f%% above %.0f%%: breaks %s", b.row, b.hw, b.prec, r.Calibrated.Max, b.max, b.protects)
		}
	}
}

// The reference measurements (calibration/reference: the H100 points the
// embedded profile was fitted to, and published.csv).
func TestReferenceBounds(t *testing.T) {
	rep := reference(t)
	checkBounds(t, rep, []bound{
		{"decode", "H100", "bf16", 5, 15, "the README's headline: decode ITL on the H100 within 5 % median (15 % max)"},
		{"train", "H100", "bf16", 5, 15, "the README: training forward+backward on the H100 within 5 % median"},
		{"gemm/sustained", "H100", "bf16", 5, 15, "the README: the GEMM curve under sustained load, which the profile is fitted to, within 5 % median"},
		{"prefill", "H100", "bf16", 5, 0, "the README: prefill TTFT on the H100 within 5 % median (its max is bounded below without the noisy point)"},
		{"gemm", "H100", "bf16", 5, 30, "the README: GEMMs timed in bursts (not fitted) within 5 % median"},
		{"gemm/burst", "H100", "bf16", 8, 30, "docs/accuracy.md: burst-timed GEMMs run faster than the sustained fit by 10-18 % at most"},
		{"cnn-forward", "H100", "bf16", 20, 30, "the README: CNN forwards with only the host time fitted, a known miss of 21-25 % at large batch"},
		{"cnn-train", "H100", "bf16", 20, 45, "the README: CNN training steps, a known miss at batch 32 (41 %)"},
		{"prefill", "A100", "fp16", 20, 40, "the README: 128-token prompts on the A100 from its datasheet, a known miss (15 % median)"},
		{"serve", "A100", "fp16", 10, 15, "the README: static-batch serving on the A100 from its datasheet"},
		{"train-dist", "A100_40GB", "fp16", 5, 25, "the README: published multi-GPU training iterations, nothing fitted to them"},
	})
	// The calibrated fidelity exists because the single-η roofline misses
	// real hardware: it must beat mlsysim on every class row.
	for _, r := range rep.Rows {
		if !(r.Calibrated.Median < r.MLSysim.Median) {
			t.Errorf("%s %s %s: calibrated median %.1f%% not below mlsysim's %.1f%%", r.Name(), r.Hardware, r.Precision, r.Calibrated.Median, r.MLSysim.Median)
		}
	}
	// Profiles: the H100 is measured, the A100 derived (the report's
	// profile column tells a fit from a prediction).
	for _, r := range rep.Rows {
		want := calibration.KindDerived
		if r.Hardware == "H100" {
			want = calibration.KindMeasured
		}
		if r.Profile != want {
			t.Errorf("%s %s: profile %v, want %v", r.Name(), r.Hardware, r.Profile, want)
		}
	}
}

// The noisy-point accounting (docs/accuracy.md, footnote 2) is a property
// of the measurements, not of the model: the prefill point that did not
// reproduce is flagged and left out of the steady max, which then meets
// the 15 % per-point aim; the 8 bf16 GEMM shapes whose two reference files
// disagree by more than NoisySpread are flagged, and the worst GEMM point
// is not one of them.
func TestReferenceNoisyPoints(t *testing.T) {
	rep := reference(t)
	pr := findRow(rep, "prefill", "H100", "bf16")
	if pr == nil || pr.Calibrated.Noisy != 1 || pr.Calibrated.WorstSpread < NoisySpread || !(pr.Calibrated.MaxSteady <= 15) {
		t.Errorf("prefill H100: want the worst point noisy and a steady max within 15 %%: %+v", pr)
	}
	if g := findRow(rep, "gemm", "H100", "bf16"); g == nil || g.Calibrated.Noisy != 8 || g.Calibrated.WorstSpread > NoisySpread {
		t.Errorf("gemm H100 bf16: want 8 noisy points and a steady worst point: %+v", g)
	}
}

// Published multi-GPU training rows (held out): Megatron-LM's own runs
// (Narayanan et al. 2021) within 10 %, the MT-NLG runs (DeepSpeed's
// pipeline engine, a known miss of 17-20 % in the README) within 25 %.
func TestReferenceDistributed(t *testing.T) {
	rep := reference(t)
	if len(rep.Dist) != 9 {
		t.Fatalf("%d published distributed rows, want 9", len(rep.Dist))
	}
	for _, p := range rep.Dist {
		e := (p.Calibrated/p.Measured - 1) * 100
		lim := 10.0
		if strings.HasPrefix(p.Source, "published.csv:mtnlg") {
			lim = 25
		}
		if !(math.Abs(e) <= lim) {
			t.Errorf("%s: calibrated %.2f s, measured %.2f s (%+.1f%%, limit %.0f%%)", p.Source, p.Calibrated, p.Measured, e, lim)
		}
	}
}

// Leave-one-class-out (the README: "held out class by class, the
// calibrated model does worse"): a profile fitted without decode or
// without prefill still predicts the held-out class within 20 % median,
// and better than mlsysim does.
func TestLeaveOneClassOut(t *testing.T) {
	rep := reference(t)
	if len(rep.LOO) != 2 {
		t.Fatalf("%d leave-one-class-out rows, want 2", len(rep.LOO))
	}
	for _, r := range rep.LOO {
		ml := findRow(rep, r.HeldOut.String(), r.Hardware, "bf16")
		if !(r.Stats.Median <= 20) || ml == nil || !(r.Stats.Median < ml.MLSysim.Median) {
			t.Errorf("%s held out: median %.1f%%, want within 20 %% and below mlsysim's", r.HeldOut, r.Stats.Median)
		}
	}
}

// A second run of the reference points on another H100 (2026-11-26,
// calibration/measurements/), never fitted: the README's "second H100 run"
// row. The profile fitted to the first run predicts it within the same 5 %
// median on every class.
func TestHeldOutH100Repeat(t *testing.T) {
	rep := report(t, false, "calibration/measurements/h100-repeat-2026-11-26.json",
		"calibration/measurements/h100-extra-repeat-2026-11-26.json")
	checkBounds(t, rep, []bound{
		{"decode", "H100", "bf16", 5, 15, "the README: a second H100 run, never fitted, decode within 5 % median"},
		{"prefill", "H100", "bf16", 5, 0, "the README: a second H100 run, never fitted, prefill within 5 % median"},
		{"train", "H100", "bf16", 5, 15, "the README: a second H100 run, never fitted, training within 5 % median"},
		{"gemm", "H100", "bf16", 5, 30, "the README: a second H100 run, never fitted, GEMMs within 5 % median"},
	})
}

// An H200 the calibrated model was never fitted to (measured 2026-11-26 by
// the same script as the H100 files; calibration/measurements/README.md):
// its datasheet and the derived-profile rule predict every class within
// 10 % median (the README's H200 row).
func TestHeldOutH200(t *testing.T) {
	rep := report(t, false, "calibration/measurements/h200-2026-11-26.json",
		"calibration/measurements/h200-extra-2026-11-26.json")
	var b []bound
	for _, c := range []string{"decode", "prefill", "train", "gemm"} {
		b = append(b, bound{c, "H200", "bf16", 10, 0, "the README: the H200 from its datasheet only, within 10 % median"})
	}
	checkBounds(t, rep, b)
	for _, r := range rep.Rows {
		if r.Hardware == "H200" && r.Profile != calibration.KindDerived {
			t.Errorf("%s H200: profile %v, want derived", r.Name(), r.Profile)
		}
	}
}

// referenceTargets returns the default registry, the targets of the
// reference measurements in it, and an evaluator over it.
func referenceTargets(t *testing.T) (*registry.Registry, []calibration.Target, *evaluator) {
	t.Helper()
	ds, err := calibration.LoadReference()
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.Default()
	ts, err := calibration.Targets(reg, ds.Points)
	if err != nil {
		t.Fatal(err)
	}
	return reg, ts, &evaluator{reg: reg}
}

// The report's predictions are the calibration package's model: a
// configuration the engine evaluates for a measured point costs what the
// profile predicts for it (Profile.Predict), on the same software stack.
func TestReportMatchesProfile(t *testing.T) {
	reg, ts, ev := referenceTargets(t)
	for i := range ts {
		tg := &ts[i]
		if tg.Point.TP > 1 {
			continue // tensor-parallel serving: the engine adds the all-reduces
		}
		hw, _ := reg.Hardware(calibration.HardwareKey(reg, tg.Point.GPU))
		want := calibration.Embedded().Profile(hw).Predict(&tg.Device, &tg.Point)
		got := ev.predictPoint(tg, hw, engine.FidelityCalibrated)
		if math.Abs(got/want-1) > 1e-9 {
			t.Errorf("%s: engine %g, profile %g", tg.Point.Source, got, want)
		}
	}
}

// The report uses the profile set it is given: a set whose H100 profile
// is the embedded one with half the memory bandwidth moves the decode
// figures (memory-bound) and leaves the mlsysim ones alone.
func TestReportUsesGivenProfiles(t *testing.T) {
	reg := registry.Default()
	hw, _ := reg.Hardware("H100")
	slow := *calibration.Embedded().Profile(hw)
	slow.MemBWFrac /= 2
	set, err := calibration.NewSet(reg, &slow)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := calibration.LoadFiles("../calibration/reference/h100-2026-11-26.json")
	if err != nil {
		t.Fatal(err)
	}
	a, err := Evaluate(reg, nil, ds)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Evaluate(reg, set, ds)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Points {
		p, q := a.Points[i], b.Points[i]
		if p.Class == calibration.ClassDecode && !(q.Calibrated > 1.3*p.Calibrated) || p.MLSysim != q.MLSysim {
			t.Errorf("%s: calibrated %g → %g, mlsysim %g → %g", p.Source, p.Calibrated, q.Calibrated, p.MLSysim, q.MLSysim)
		}
	}
}

// Leave-one-source-out (docs/accuracy.md, "Leave-one-source-out"): every
// point is predicted by a profile whose fit did not see the point's file.
// A point from a source no profile or stack was fitted to (published.csv's
// training rows) keeps its calibrated figure; a point of a fitted file is predicted by the profile
// fitted to the other files, which this test refits for the CNN file; and
// the classes the README quotes stay within their held-out bounds.
func TestLeaveOneSourceOut(t *testing.T) {
	rep := reference(t)
	fitted := map[string]bool{}
	for _, f := range calibration.Embedded().Measured()[0].Provenance.Measurements {
		fitted[f] = true
	}
	for _, st := range rep.Stacks { // publications a stack's step overhead is fitted to
		for src := range st.WithoutS {
			if i := strings.Index(src, " ("); i >= 0 {
				src = src[:i] // a GPU's table of the publication (StackSource)
			}
			fitted[src] = true
		}
	}
	moved := 0
	for _, p := range rep.Points {
		if !(p.HeldOut > 0) || math.IsInf(p.HeldOut, 0) {
			t.Fatalf("%s: held-out prediction %g", p.Source, p.HeldOut)
		}
		if !fitted[SourceOf(p.Source)] && p.HeldOut != p.Calibrated {
			t.Errorf("%s: no fit used the source, yet held out %g ≠ calibrated %g", p.Source, p.HeldOut, p.Calibrated)
		}
		if p.HeldOut != p.Calibrated {
			moved++
		}
	}
	if moved == 0 {
		t.Error("no held-out prediction differs from the in-sample one")
	}
	// The CNN file held out: the profile fitted to the four other files.
	ds, err := calibration.LoadReference()
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.Default()
	sub := &calibration.Dataset{}
	for _, f := range ds.Files {
		if f.Name != "h100-cnn-2026-11-26.json" {
			sub.Files = append(sub.Files, f)
			sub.Points = append(sub.Points, f.Points...)
		}
	}
	p, err := calibration.FitDataset(reg, sub, "H100", nil)
	if err != nil {
		t.Fatal(err)
	}
	cnn := 0
	for _, f := range ds.Files {
		if f.Name != "h100-cnn-2026-11-26.json" {
			continue
		}
		ts, err := calibration.Targets(reg, f.Points)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ts {
			want := p.Predict(&ts[i].Device, &ts[i].Point)
			for _, q := range rep.Points {
				if q.Source == ts[i].Point.Source {
					cnn++
					if math.Abs(q.HeldOut/want-1) > 1e-9 {
						t.Errorf("%s: held out %g, refitted profile %g", q.Source, q.HeldOut, want)
					}
				}
			}
		}
	}
	if cnn != 12 {
		t.Errorf("%d CNN points checked, want 12", cnn)
	}
	for _, b := range []struct {
		row    string
		median float64
	}{{"decode", 5}, {"prefill", 5}, {"train", 5}, {"gemm/sustained", 5}, {"gemm", 5}} {
		r := findRow(rep, b.row, "H100", "bf16")
		if r == nil || !(r.HeldOut.Median <= b.median) || !(r.HeldOut.Median < r.MLSysim.Median) {
			t.Errorf("%s H100 bf16: held-out median %v, want within %.0f %% and below mlsysim's", b.row, r, b.median)
		}
	}
}

// The AMD MI300X rows of published.csv (vLLM on ROCm: Oracle OCI's Llama
// 3.1 405B and AMD's performance page's Llama 3.1 70B, FP8, tp 8; 19 rows) are
// priced, all of them, as tensor-parallel serving on the derived MI300X
// profile (docs/accuracy.md, "AMD MI300X: vLLM static batches"); nothing is
// fitted to them, so the held-out figures are the calibrated ones.
func TestMI300XRows(t *testing.T) {
	rep := report(t, true)
	var found bool
	for _, r := range rep.Rows {
		if r.Hardware != "MI300X" {
			continue
		}
		found = true
		if r.Name() != "serve/tp" || r.Precision != "fp8" || r.Profile != calibration.KindDerived {
			t.Errorf("MI300X row %s %s %v, want serve/tp fp8 derived", r.Name(), r.Precision, r.Profile)
		}
		if r.Calibrated.N != 19 || r.HeldOut.N != 19 {
			t.Errorf("MI300X %s: %d points (%d held out), want the 19 of published.csv", r.Name(), r.Calibrated.N, r.HeldOut.N)
		}
		if r.HeldOut.Median != r.Calibrated.Median || r.HeldOut.Max != r.Calibrated.Max {
			t.Errorf("MI300X %s: held out %.1f / %.1f %% differs from calibrated %.1f / %.1f %%, but nothing is fitted to the rows",
				r.Name(), r.HeldOut.Median, r.HeldOut.Max, r.Calibrated.Median, r.Calibrated.Max)
		}
	}
	if !found {
		t.Error("no MI300X row in the report")
	}
}
