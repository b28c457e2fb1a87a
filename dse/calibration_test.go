package dse

import (
	"testing"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/engine"
)

// A run is priced with the profile set in its base configuration: the plan
// resolves the profile of each hardware value once, every row carries the
// set's profile of its hardware, a set with another H100 profile changes
// the H100 rows and those derived from it, and the manifest's calibration
// hash follows the set. Axes that set the hardware through a system or a
// scenario resolve it the same way.
func TestPlanResolvesProfiles(t *testing.T) {
	const src = `name: calib
fixed: {mode: serving, model: Llama3_8B}
grid:
  hardware: [H100, A100, H200]
  batch_size: [1, 8]
`
	plain := mustParse(t, src)
	own := mustParse(t, src)
	h100, err := own.Registry.Hardware("H100")
	if err != nil {
		t.Fatal(err)
	}
	slow := *calibration.Embedded().Profile(h100)
	slow.MemBWFrac /= 2
	set, err := calibration.NewSet(own.Registry, &slow)
	if err != nil {
		t.Fatal(err)
	}
	own.Base.Calib.Profiles = set
	if CalibrationHash(plain) == CalibrationHash(own) || InputsHash(plain, "v") == InputsHash(own, "v") {
		t.Error("the calibration hash does not follow the profile set")
	}
	itl := func(s *Spec) []float64 {
		pl, err := newPlan(s)
		if err != nil {
			t.Fatal(err)
		}
		ev := newEvaluator(pl)
		var out []float64
		for i := range int64(s.Size()) {
			ev.configure(i)
			if want := s.Base.Calib.Profiles.Profile(ev.cfg.Hardware); ev.cfg.Calib.Profile != want {
				t.Errorf("row %d (%s): profile %p, want the set's %p", i, ev.cfg.Hardware.Key, ev.cfg.Calib.Profile, want)
			}
			out = append(out, engine.Evaluate(&ev.cfg).ITLS)
		}
		return out
	}
	a, b := itl(plain), itl(own)
	for i := range a {
		if !(b[i] > a[i]) {
			t.Errorf("row %d: ITL %g with half the H100 bandwidth, %g without", i, b[i], a[i])
		}
	}
	for _, src := range []string{
		"name: sys\nfixed: {mode: training, model: Llama3_8B, tp: 8}\ngrid:\n  hardware: [H200]\n  system: [Selene, Lab_64_H100]\n",
		"name: scen\ngrid:\n  scenario: [ChatbotServing, SmartDoorbell]\n  hardware: [A100, H200]\n",
		"name: scen2\nfixed: {hardware: B200}\ngrid:\n  scenario: [ChatbotServing, SmartDoorbell]\n",
	} {
		s := mustParse(t, src)
		s.Base.Calib.Profiles = set
		itl(s)
	}
}
