package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/mlsysim/mlsysim-go/dse"
)

func TestParseProgressMode(t *testing.T) {
	for _, tc := range []struct {
		mode       string
		term       bool
		bar, log   bool
		interval   time.Duration
		shouldFail bool
	}{
		{mode: "auto", term: true, bar: true, interval: defaultLogInterval},
		{mode: "auto", term: false, log: true, interval: defaultLogInterval},
		{mode: "bar", bar: true, interval: defaultLogInterval},
		{mode: "none", interval: defaultLogInterval},
		{mode: "log", term: true, log: true, interval: defaultLogInterval},
		{mode: "log=5s", log: true, interval: 5 * time.Second},
		{mode: "log=2m", log: true, interval: 2 * time.Minute},
		{mode: "log=-1s", shouldFail: true},
		{mode: "log=soon", shouldFail: true},
		{mode: "fancy", shouldFail: true},
	} {
		bar, log, iv, err := parseProgressMode(tc.mode, tc.term)
		if (err != nil) != tc.shouldFail || (err == nil && (bar != tc.bar || log != tc.log || iv != tc.interval)) {
			t.Errorf("%q (terminal %v): bar %v log %v every %v, err %v", tc.mode, tc.term, bar, log, iv, err)
		}
	}
}

// In log mode a line comes once per interval, none at the start, with the
// rows, the rate and the ETA, and never a carriage return.
func TestProgressLogLines(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, "log=10s", false, 1_000_000)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := t0
	p.now = func() time.Time { return clock }
	p.start, p.last = t0, t0
	for _, step := range []struct {
		at   time.Duration
		done int64
	}{{0, 0}, {5 * time.Second, 65_536}, {10 * time.Second, 131_072}, {15 * time.Second, 196_608}, {21 * time.Second, 262_144}} {
		clock = t0.Add(step.at)
		p.update(dse.Progress{Done: step.done, Feasible: step.done / 2, Written: step.done / 4, Total: 1_000_000})
	}
	p.finish()
	out := buf.String()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if strings.Contains(out, "\r") || len(lines) != 2 {
		t.Fatalf("want 2 lines without carriage returns, got %q", out)
	}
	want := "sweep: 131,072 of 1,000,000 configurations (13.1%), 13,107/s, 65,536 feasible, 32,768 rows written, elapsed 10s, ETA 1m6s"
	if lines[0] != want {
		t.Errorf("line\n%s\nwant\n%s", lines[0], want)
	}
	if !strings.HasPrefix(lines[1], "sweep: 262,144 of 1,000,000 configurations (26.2%), 12,483/s") {
		t.Errorf("second line %q", lines[1])
	}
}

// A run whose stderr is not a terminal prints no bar and no carriage
// return (auto is log; a short run ends before the first line).
func TestRunProgressAutoNotTerminal(t *testing.T) {
	out := t.TempDir()
	code, so, se := runCLI(t, "run", "../../sweeps/batch-roofline.yaml", "--out", out)
	if code != 0 || strings.Contains(se, "\r") || strings.Contains(se, "cfg/hr") {
		t.Fatalf("exit %d, stderr %q, stdout %q", code, se, so)
	}
}

func TestGroupDigits(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -45000: "-45,000"} {
		if got := groupDigits(n); got != want {
			t.Errorf("groupDigits(%d) = %q, want %q", n, got, want)
		}
	}
}
