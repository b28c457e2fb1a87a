package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/mlsysim/mlsysim-go/dse"
)

// progress shows a run's progress on stderr: a bar with rate, ETA and the
// feasible count when stderr is a terminal, nothing otherwise (the run
// prints a one-line summary at the end). It is fed from the workers.
type progress struct {
	mu  sync.Mutex
	bar *progressbar.ProgressBar
	w   io.Writer
}

func newProgress(w io.Writer, mode string, quiet bool, total int64) *progress {
	p := &progress{w: w}
	show := mode == "bar"
	if mode == "auto" {
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			show = true
		}
	}
	if quiet || mode == "none" || !show {
		return p
	}
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("sweep"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("cfg"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionFullWidth(),
	)
	return p
}

func (p *progress) update(pr dse.Progress) {
	if p.bar == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bar.Describe(fmt.Sprintf("sweep (%d feasible)", pr.Feasible))
	p.bar.Set64(pr.Done)
}

func (p *progress) finish() {
	if p.bar == nil {
		return
	}
	p.bar.Finish()
	fmt.Fprintln(p.w)
}
