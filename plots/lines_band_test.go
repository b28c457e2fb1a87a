package plots

import (
	"math"
	"strings"
	"testing"
)

// A point's error band is that of the row its aggregate kept (min, max)
// or the mean band (mean); rows without a band, or with an inverted one,
// add none, and a figure without bands says nothing of them.
func TestLinesBands(t *testing.T) {
	for _, tc := range []struct {
		agg            Agg
		wantLo, wantHi float64
	}{{AggMin, 0.8, 1.2}, {AggMax, 2.5, 3.5}, {AggMean, (0.8 + 2.5) / 2, (1.2 + 3.5) / 2}} {
		l := NewLines(Axis{Name: "batch_size"}, Axis{Name: "latency_s", Unit: "s"}, "", tc.agg)
		l.AddBand(1, 1, 0.8, 1.2, "")
		l.AddBand(1, 3, 2.5, 3.5, "")
		l.AddBand(1, 2, math.NaN(), math.NaN(), "")
		l.AddBand(1, 2, 3, 1, "") // inverted: none
		_, _, lo, hi := l.series(0)
		if math.Abs(lo[0]-tc.wantLo) > 1e-12 || math.Abs(hi[0]-tc.wantHi) > 1e-12 {
			t.Errorf("%v: band [%v, %v], want [%v, %v]", tc.agg, lo[0], hi[0], tc.wantLo, tc.wantHi)
		}
		if fig := l.Figure(ColumnStyle); fig.Footnote == "" || !strings.Contains(fig.Footnote, "error band") {
			t.Errorf("%v: footnote %q does not name the bars", tc.agg, fig.Footnote)
		}
	}
	l := NewLines(Axis{Name: "batch_size"}, Axis{Name: "latency_s", Unit: "s"}, "", AggMin)
	l.Add(1, 1, "")
	if _, _, lo, _ := l.series(0); !math.IsNaN(lo[0]) || strings.Contains(l.Figure(ColumnStyle).Footnote, "error band") {
		t.Error("a row without a band drew one")
	}
}
