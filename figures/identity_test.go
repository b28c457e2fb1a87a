package figures

import (
	"image/color"
	"testing"

	"github.com/mlsysim/mlsysim-go/plots"
)

// A hardware has one colour in every figure of a run: the Pareto figure,
// the roofline and the lines, and in a figure that shows only some of the
// hardware. The ranks follow the registry's order of the hardware.
func TestColorStableAcrossFigures(t *testing.T) {
	src := openRun(t, 3000)
	id, err := src.Identity("hardware")
	if err != nil {
		t.Fatal(err)
	}
	// H100, B200 and MI300X in the order of the registry's data files.
	reg := testRegistry(t)
	var want []string
	for _, k := range reg.Keys("hardware") {
		if k == "H100" || k == "B200" || k == "MI300X" {
			want = append(want, k)
		}
	}
	if got := id.Labels(); len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("identity %q, want registry order %q", got, want)
	}
	var figs []*plots.Figure
	for _, k := range []Kind{Pareto{}, Roofline{}, Lines{}} {
		fig, _, err := k.Build(src, &Request{})
		if err != nil || fig == nil {
			t.Fatalf("%s: %v (figure %v)", k.Name(), err, fig)
		}
		figs = append(figs, fig)
	}
	for r, hw := range want {
		wantC, _ := plots.RankStyle(r)
		for i, fig := range figs {
			c, ok := fig.LegendColor(hw)
			if !ok {
				t.Errorf("figure %d: no legend entry %s in %q", i, hw, fig.LegendNames())
				continue
			}
			if !sameColor(c, wantC) {
				t.Errorf("figure %d: %s is %v, want %v", i, hw, c, wantC)
			}
		}
	}
}

func sameColor(a, b color.Color) bool {
	r1, g1, b1, a1 := a.RGBA()
	r2, g2, b2, a2 := b.RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
}
