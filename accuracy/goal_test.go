package accuracy

import (
	"strings"
	"testing"
)

func TestIsPublished(t *testing.T) {
	for _, c := range []struct {
		src  string
		want bool
	}{
		{"published.csv:trtllm05_h100_gptj_ttft_128", true},
		{"nemo-training.csv:nemo2511_b200_llama3_8b_8_fp8", true},
		{"h100-2026-11-26.json:llm[3]", false},
		{"h100-gemm-dtypes-2026-11-26.json:gemm[26]", false},
		{"", false},
		{":x", false},
	} {
		if got := isPublished(c.src); got != c.want {
			t.Errorf("isPublished(%q) = %v, want %v", c.src, got, c.want)
		}
	}
}

func TestMeets(t *testing.T) {
	for _, c := range []struct {
		median, max float64
		n           int
		want        bool
	}{
		{10, 25, 3, true},
		{10.01, 12, 3, false},
		{4, 25.01, 3, false},
		{0, 0, 0, false}, // no points: nothing shown
	} {
		s := ErrorStats{N: c.n, Median: c.median, Max: c.max}
		if got := meets(&s); got != c.want {
			t.Errorf("meets(median %g, max %g, n %d) = %v, want %v", c.median, c.max, c.n, got, c.want)
		}
	}
}

// TestGoalClasses checks that the goal holds exactly the published
// classes: every row whose points are all published and every run row,
// none of the project's own measurements, each with its verdicts as
// meets gives them.
func TestGoalClasses(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates the reference")
	}
	rep := reference(t)
	goal := rep.Goal()
	want := len(rep.RunRows)
	for i := range rep.Rows {
		if rep.Rows[i].Published {
			want++
		}
		if strings.HasPrefix(rep.Rows[i].Name(), "gemm") && rep.Rows[i].Published {
			t.Errorf("%s %s: own GEMM measurements counted as published", rep.Rows[i].Name(), rep.Rows[i].Hardware)
		}
	}
	if len(goal) != want || want < 20 {
		t.Fatalf("goal holds %d classes, want %d (and at least 20)", len(goal), want)
	}
	for i := range goal {
		g := &goal[i]
		if !g.Published {
			t.Errorf("%s %s: not published", g.Name(), g.Hardware)
		}
		if g.CalibratedMet != meets(&g.Calibrated) || g.HeldOutMet != meets(&g.HeldOut) {
			t.Errorf("%s %s: verdicts %v/%v", g.Name(), g.Hardware, g.CalibratedMet, g.HeldOutMet)
		}
	}
}
