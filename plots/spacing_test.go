package plots

import (
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Tick labels that would touch lose their text, the first and the last
// kept; with room, every label stays.
func TestSpacedTicks(t *testing.T) {
	ticks := plot.ConstantTicks{{Value: 1, Label: "1"}, {Value: 8, Label: "8"}, {Value: 32, Label: "32"}, {Value: 128, Label: "128"}}
	style := draw.TextStyle{Font: font.From(ColumnStyle.Font, 7), Handler: newSupText()}
	labels := func(length vg.Length) []string {
		var out []string
		for _, tk := range (spacedTicks{Ticker: ticks, scale: plot.LogScale{}, style: style, length: length}).Ticks(1, 128) {
			out = append(out, tk.Label)
		}
		return out
	}
	if got := labels(3 * vg.Inch); got[0] != "1" || got[1] != "8" || got[2] != "32" || got[3] != "128" {
		t.Errorf("3 in: %q, want every label", got)
	}
	got := labels(0.5 * vg.Inch)
	if got[0] != "1" || got[3] != "128" || got[2] != "" {
		t.Errorf("0.5 in: %q, want 1 and 128 kept, 32 dropped", got)
	}
}
