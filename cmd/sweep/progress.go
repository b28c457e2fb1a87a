package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/mlsysim/mlsysim-go/dse"
)

// defaultLogInterval is how often --progress log prints a line: often
// enough to show a batch job is alive, rarely enough to keep its log short.
const defaultLogInterval = 30 * time.Second

// progress shows a run's progress on stderr, fed from the workers:
//
//   - bar: a bar with rate, ETA and the feasible count, for a terminal;
//   - log: a plain line every interval with rows, rate and ETA, for batch
//     logs (Slurm, Kubernetes): no carriage returns, nothing before the
//     first interval has passed;
//   - none.
//
// auto, the default, is bar when stderr is a terminal and log otherwise.
// The run prints its one-line summary at the end in every mode.
type progress struct {
	mu  sync.Mutex
	bar *progressbar.ProgressBar
	w   io.Writer

	log      bool          // print log lines
	interval time.Duration // between log lines
	now      func() time.Time
	start    time.Time
	last     time.Time // of the last log line (start before the first)
	total    int64
}

// parseProgressMode returns whether mode asks for a bar or log lines and
// the log interval: auto, bar, log, log=DURATION (log=10s), none.
func parseProgressMode(mode string, isTerminal bool) (bar, log bool, interval time.Duration, err error) {
	interval = defaultLogInterval
	switch {
	case mode == "auto":
		return isTerminal, !isTerminal, interval, nil
	case mode == "bar":
		return true, false, interval, nil
	case mode == "none":
		return false, false, interval, nil
	case mode == "log":
		return false, true, interval, nil
	case strings.HasPrefix(mode, "log="):
		d, err := time.ParseDuration(strings.TrimPrefix(mode, "log="))
		if err != nil || d < 0 {
			return false, false, 0, fmt.Errorf("--progress %s: want log=DURATION, e.g. log=30s", mode)
		}
		return false, true, d, nil
	}
	return false, false, 0, fmt.Errorf("--progress %q: want auto, bar, log, log=DURATION or none", mode)
}

func newProgress(w io.Writer, mode string, quiet bool, total int64) *progress {
	p := &progress{w: w, now: time.Now, total: total}
	if quiet {
		return p
	}
	isTerm := false
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		isTerm = true
	}
	bar, log, interval, err := parseProgressMode(mode, isTerm)
	if err != nil {
		fmt.Fprintf(w, "sweep: %v; showing no progress\n", err)
		return p
	}
	p.start = p.now()
	p.last, p.log, p.interval = p.start, log, interval
	if !bar {
		return p
	}
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("sweep"),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionFullWidth(),
	)
	return p
}

func (p *progress) update(pr dse.Progress) {
	if p.bar == nil && !p.log {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.log {
		if now.Sub(p.last) >= p.interval && pr.Done > 0 {
			p.last = now
			fmt.Fprintln(p.w, logLine(pr, p.total, now.Sub(p.start)))
		}
		return
	}
	// The rate is ours, shown once there is one: the bar's own starts at
	// "0 cfg/hr".
	desc := fmt.Sprintf("sweep (%d feasible)", pr.Feasible)
	if el := now.Sub(p.start).Seconds(); el > 0 && pr.Done > 0 {
		desc = fmt.Sprintf("sweep (%s/s, %d feasible)", groupDigits(int64(float64(pr.Done)/el)), pr.Feasible)
	}
	p.bar.Describe(desc)
	p.bar.Set64(pr.Done)
}

// logLine renders one progress line for logs:
//
//	sweep: 1,310,720 of 10,000,000 configurations (13.1%), 655,360/s, 812,544 feasible, 1,001,234 rows written, elapsed 2s, ETA 13s
func logLine(pr dse.Progress, total int64, elapsed time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "sweep: %s of %s configurations", groupDigits(pr.Done), groupDigits(total))
	if total > 0 {
		fmt.Fprintf(&b, " (%.1f%%)", 100*float64(pr.Done)/float64(total))
	}
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(pr.Done) / s
		fmt.Fprintf(&b, ", %s/s", groupDigits(int64(rate)))
	}
	fmt.Fprintf(&b, ", %s feasible, %s rows written, elapsed %s", groupDigits(pr.Feasible), groupDigits(pr.Written), elapsed.Round(time.Second))
	if rate > 0 && total >= pr.Done {
		eta := time.Duration(float64(total-pr.Done) / rate * float64(time.Second))
		fmt.Fprintf(&b, ", ETA %s", eta.Round(time.Second))
	}
	return b.String()
}

// groupDigits writes n with thousands separators (1,234,567).
func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (p *progress) finish() {
	if p.bar == nil {
		return
	}
	p.bar.Finish()
	fmt.Fprintln(p.w)
}
