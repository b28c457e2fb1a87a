package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// An H200 the calibrated model was never fitted to (measured 2026-11-26 by
// the same script as the H100 files; calibration/measurements/README.md):
// its datasheet and the derived-profile rule predict every class within 10%
// median. The pinned medians are this commit's figures, to 0.1 point.
func TestAccuracyHeldOutH200(t *testing.T) {
	var so, se bytes.Buffer
	args := []string{"accuracy", "--no-reference",
		"../../calibration/measurements/h200-2026-11-26.json",
		"../../calibration/measurements/h200-extra-2026-11-26.json"}
	if code := run(args, &so, &se); code != exitOK {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	want := map[string]float64{"decode": 2.6, "prefill": 5.4, "train": 4.6, "gemm": 4.8}
	got := map[string]float64{}
	for _, line := range strings.Split(so.String(), "\n") {
		f := strings.Fields(line)
		if len(f) < 10 || f[1] != "H200" || f[3] != "derived" {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSuffix(f[9], "%"), 64)
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		got[f[0]] = v
	}
	for class, w := range want {
		g, ok := got[class]
		if !ok {
			t.Errorf("no H200 %s row in:\n%s", class, so.String())
			continue
		}
		if g > 10 {
			t.Errorf("H200 %s: calibrated median %.1f%%, above 10%%", class, g)
		}
		if g < w-0.1 || g > w+0.1 {
			t.Errorf("H200 %s: calibrated median %.1f%%, pinned %.1f%%", class, g, w)
		}
	}
}
