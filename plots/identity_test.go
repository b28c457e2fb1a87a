package plots

import (
	"fmt"
	"image/color"
	"testing"

	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// A category keeps its colour in figures that show different subsets of
// the categories, when they share an Identity; without one, its colour
// follows its position among the categories a figure shows.
func TestIdentitySharedAcrossFigures(t *testing.T) {
	id := NewIdentity("hardware", []string{"H100", "H200", "B200", "MI300X"})
	pareto := func(hws ...string) *Figure {
		var xe, ye Extent
		xe.Observe(1)
		xe.Observe(10)
		ye.Observe(1)
		ye.Observe(10)
		p := NewPareto(Axis{Name: "latency_s", Unit: "s"}, Axis{Name: "tokens_per_s", Unit: "1/s"}, xe, ye)
		p.ColorBy = "hardware"
		p.Cats.Identity = id
		for i, hw := range hws {
			p.Add(float64(i+2), float64(i+2), hw)
		}
		return p.Figure(ColumnStyle)
	}
	lines := func(hws ...string) *Figure {
		l := NewLines(Axis{Name: "batch_size"}, Axis{Name: "latency_s", Unit: "s"}, "hardware", AggMin)
		l.Identity = id
		for _, hw := range hws {
			l.Add(1, 1, hw)
			l.Add(2, 2, hw)
		}
		return l.Figure(ColumnStyle)
	}
	figs := []*Figure{pareto("B200"), pareto("MI300X", "B200", "H100"), lines("B200", "MI300X"), lines("H200", "B200")}
	want, _ := RankStyle(2)
	for i, f := range figs {
		got, ok := f.LegendColor("B200")
		if !ok {
			t.Fatalf("figure %d: no legend entry B200 in %q", i, f.LegendNames())
		}
		if !sameColor(got, want) {
			t.Errorf("figure %d: B200 is %v, want %v (rank 2)", i, got, want)
		}
	}
}

// More categories than colours are told apart by colour × marker: the 49
// ranks have 49 distinct pairs.
func TestRankStyleDistinct(t *testing.T) {
	seen := map[string]int{}
	for r := range MaxIdentities {
		c, s := RankStyle(r)
		k := fmt.Sprintf("%v/%T", c, s)
		if prev, ok := seen[k]; ok {
			t.Fatalf("ranks %d and %d share %s", prev, r, k)
		}
		seen[k] = r
	}
	if _, s := RankStyle(7); s == (draw.GlyphDrawer)(draw.CircleGlyph{}) {
		t.Error("rank 7 repeats rank 0's marker")
	}
}

// A legend of 47 entries does not fit one column at column width: it is
// drawn in columns side by side, all of them inside the canvas.
func TestLegendWraps(t *testing.T) {
	var names []string
	for i := range 47 {
		names = append(names, fmt.Sprintf("GPU%02d", i))
	}
	id := NewIdentity("hardware", names)
	l := NewLines(Axis{Name: "batch_size"}, Axis{Name: "latency_s", Unit: "s"}, "hardware", AggMin)
	l.Identity = id
	for i, n := range names {
		l.Add(1, float64(i+1), n)
		l.Add(2, float64(i+2), n)
	}
	fig := l.Figure(ColumnStyle)
	if got := len(fig.LegendNames()); got != 47 {
		t.Fatalf("%d legend entries, want 47", got)
	}
	c := draw.New(vgsvg.New(ColumnStyle.Width, ColumnStyle.Height))
	cols := fig.legendColumns(c)
	if len(cols) < 2 {
		t.Fatalf("%d legend columns, want at least 2", len(cols))
	}
	for i, leg := range cols {
		if h := leg.Rectangle(c).Size().Y; h > c.Max.Y-c.Min.Y {
			t.Errorf("legend column %d is %v tall, taller than the canvas (%v)", i, h, c.Max.Y-c.Min.Y)
		}
	}
}

func sameColor(a, b color.Color) bool {
	r1, g1, b1, a1 := a.RGBA()
	r2, g2, b2, a2 := b.RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
}
