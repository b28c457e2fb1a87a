// Command writerbench times a sweep end to end (dse.Run: evaluation, row
// program and Parquet writer) against the Parquet writer alone on the same
// rows, evaluated beforehand and held in memory, interleaved: end to end,
// writer, end to end, writer ... Both use the same workers, parts and row
// groups, so the ratio of their rates says how close a run comes to the
// writer's own speed. Each measurement prints the load average beside it;
// the summary gives min / median / max.
//
//	go run ./benchmarks/writerbench -repeats 3 benchmarks/inference-10m.yaml
//
// With -codecs it times the writer alone under each zstd level and page
// size listed instead (file size and rate), to choose the Parquet defaults:
//
//	go run ./benchmarks/writerbench -codecs -zstd 1,3 -pages 65536,1048576 benchmarks/inference-10m.yaml
//
// With -arrow it times the Arrow IPC writer alone under each compression.
//
// The rows held in memory take about 150 bytes each (1.5 GB for 10 million).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mlsysim/mlsysim-go/dse"
	"github.com/mlsysim/mlsysim-go/internal/cputime"
	"github.com/mlsysim/mlsysim-go/outputs"
)

func main() {
	repeats := flag.Int("repeats", 3, "measurements of each kind")
	workers := flag.Int("workers", runtime.GOMAXPROCS(0), "workers (evaluating and writing goroutines)")
	rows := flag.Int64("rows", 0, "configurations to run, from the first (0: the whole grid)")
	codecs := flag.Bool("codecs", false, "time the writer alone under each -zstd level and -pages size instead")
	arrowOnly := flag.Bool("arrow", false, "time the Arrow IPC writer alone under each compression instead")
	zstd := flag.String("zstd", "1,3", "zstd levels for -codecs")
	pages := flag.String("pages", "65536,1048576", "data page sizes in bytes for -codecs")
	tmp := flag.String("tmp", os.TempDir(), "folder for the files written")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: writerbench [flags] SWEEP.yaml")
		os.Exit(2)
	}
	// As `sweep run` does (cmd/sweep/main.go), less its soft memory limit,
	// which the rows held in memory would exceed.
	debug.SetGCPercent(400)
	if err := run(flag.Arg(0), *repeats, *workers, *rows, *codecs, *arrowOnly, *zstd, *pages, *tmp); err != nil {
		fmt.Fprintln(os.Stderr, "writerbench:", err)
		os.Exit(1)
	}
}

// part is the rows of one part file, one batch per row group.
type part struct {
	lo      int64
	batches []*outputs.Batch
}

func run(file string, repeats, workers int, rows int64, codecs, arrowOnly bool, zstd, pages, tmp string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	s, err := dse.ParseSpec(file, data)
	if err != nil {
		return err
	}
	hi := int64(s.Size())
	if rows > 0 && rows < hi {
		hi = rows
	}
	fmt.Printf("# %s: %d configurations, %d workers, row groups of %d, parts of %d; %s, %s\n",
		s.Name, hi, workers, s.Outputs.RowGroupRows, s.Outputs.PartRows, runtime.Version(), time.Now().UTC().Format(time.RFC3339))

	t0 := time.Now()
	var parts []*part
	schema, err := dse.RowGroups(s, 0, hi, func(b *outputs.Batch) error {
		k := b.Lo / s.Outputs.PartRows
		if len(parts) == 0 || parts[len(parts)-1].lo != k*s.Outputs.PartRows {
			parts = append(parts, &part{lo: k * s.Outputs.PartRows})
		}
		p := parts[len(parts)-1]
		p.batches = append(p.batches, clone(b))
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Printf("# rows evaluated into memory in %.1f s (not timed below)\n", time.Since(t0).Seconds())

	dir, err := os.MkdirTemp(tmp, "writerbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	if codecs {
		return codecTable(parts, schema, workers, hi, zstd, pages, repeats, dir)
	}
	if arrowOnly {
		return arrowTable(parts, schema, workers, hi, repeats, dir)
	}
	var e2e, wr []measure
	for r := 0; r < repeats; r++ {
		m, err := timed(hi, dir, func(out string) error {
			_, err := dse.Run(context.Background(), s, dse.Options{OutDir: out, Workers: workers, Hi: hi, Version: "writerbench"})
			return err
		})
		if err != nil {
			return err
		}
		m.print("end to end")
		e2e = append(e2e, m)
		m, err = timed(hi, dir, func(out string) error {
			return writeAll(parts, workers, parquetTo(out, schema, outputs.ParquetOptions{}))
		})
		if err != nil {
			return err
		}
		m.print("writer alone")
		wr = append(wr, m)
	}
	summary("end to end", e2e)
	summary("writer alone", wr)
	var ratios []float64
	for i := range e2e {
		ratios = append(ratios, e2e[i].rate()/wr[i].rate())
	}
	slices.Sort(ratios)
	fmt.Printf("ratio end to end / writer alone, per pair: min %.0f %%, median %.0f %%, max %.0f %%\n",
		100*ratios[0], 100*median(ratios), 100*ratios[len(ratios)-1])
	return nil
}

// codecTable times the writer alone under each zstd level and page size.
func codecTable(parts []*part, schema *outputs.Schema, workers int, rows int64, zstd, pages string, repeats int, dir string) error {
	levels, err := ints(zstd)
	if err != nil {
		return err
	}
	sizes, err := ints(pages)
	if err != nil {
		return err
	}
	type key struct{ level, page int }
	got := map[key][]measure{}
	var keys []key
	for _, l := range levels {
		for _, p := range sizes {
			keys = append(keys, key{l, p})
		}
	}
	for r := 0; r < repeats; r++ { // interleaved: every setting once per round
		for _, k := range keys {
			m, err := timed(rows, dir, func(out string) error {
				return writeAll(parts, workers, parquetTo(out, schema, outputs.ParquetOptions{ZstdLevel: k.level, PageSize: k.page}))
			})
			if err != nil {
				return err
			}
			m.print(fmt.Sprintf("zstd %d, pages %d KiB", k.level, k.page>>10))
			got[k] = append(got[k], m)
		}
	}
	for _, k := range keys {
		summary(fmt.Sprintf("zstd %d, pages %d KiB", k.level, k.page>>10), got[k])
	}
	return nil
}

// arrowTable times the Arrow IPC writer alone under each compression.
func arrowTable(parts []*part, schema *outputs.Schema, workers int, rows int64, repeats int, dir string) error {
	got := map[outputs.ArrowCompression][]measure{}
	cs := []outputs.ArrowCompression{outputs.ArrowNone, outputs.ArrowLZ4, outputs.ArrowZstd}
	for r := 0; r < repeats; r++ {
		for _, c := range cs {
			m, err := timed(rows, dir, func(out string) error {
				return writeAll(parts, workers, func(name string) (outputs.Writer, error) {
					return outputs.NewArrowWriter(filepath.Join(out, name+".arrow"), schema, nil, c)
				})
			})
			if err != nil {
				return err
			}
			m.print("arrow " + c.String())
			got[c] = append(got[c], m)
		}
	}
	for _, c := range cs {
		summary("arrow "+c.String(), got[c])
	}
	return nil
}

// parquetTo opens Parquet parts under dir.
func parquetTo(dir string, schema *outputs.Schema, o outputs.ParquetOptions) func(string) (outputs.Writer, error) {
	return func(name string) (outputs.Writer, error) {
		return outputs.NewParquetWriterOptions(filepath.Join(dir, name+".parquet"), schema, nil, o)
	}
}

// writeAll writes parts as a run does: each worker takes the next part and
// writes it whole, a row group per batch, to the writer open gives for the
// part's name.
func writeAll(parts []*part, workers int, open func(name string) (outputs.Writer, error)) error {
	work := make(chan *part)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				w, err := open(fmt.Sprintf("part-%012d", p.lo))
				if err == nil {
					for _, b := range p.batches {
						if err = w.Write(b); err != nil {
							w.Abort()
							break
						}
					}
					if err == nil {
						err = w.Close()
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for _, p := range parts {
		work <- p
	}
	close(work)
	wg.Wait()
	close(errs)
	return errors.Join(<-errs)
}

// clone returns a copy of b that owns its slices.
func clone(b *outputs.Batch) *outputs.Batch {
	c := &outputs.Batch{Schema: b.Schema, Cols: make([]outputs.Column, len(b.Cols)), Len: b.Len, Lo: b.Lo, Hi: b.Hi}
	for i, col := range b.Cols {
		c.Cols[i] = outputs.Column{F: slices.Clone(col.F), I: slices.Clone(col.I), B: slices.Clone(col.B),
			S: slices.Clone(col.S), Codes: slices.Clone(col.Codes), Valid: slices.Clone(col.Valid)}
	}
	return c
}

// measure is one timed run.
type measure struct {
	rows        int64
	wall, cpu   time.Duration
	bytes       int64
	loadBefore  string
	loadAfter   string
	startedAtUT string
}

func (m measure) rate() float64 { return float64(m.rows) / m.wall.Seconds() }

func (m measure) print(what string) {
	fmt.Printf("%-26s %6.2f s wall %6.2f s CPU  %5.3f M rows/s  %6.2f µs CPU/row  %5.1f B/row  load %s → %s  (%s)\n",
		what, m.wall.Seconds(), m.cpu.Seconds(), m.rate()/1e6, m.cpu.Seconds()/float64(m.rows)*1e6,
		float64(m.bytes)/float64(m.rows), m.loadBefore, m.loadAfter, m.startedAtUT)
}

func summary(what string, ms []measure) {
	var rates, cpus []float64
	for _, m := range ms {
		rates = append(rates, m.rate()/1e6)
		cpus = append(cpus, m.cpu.Seconds()/float64(m.rows)*1e6)
	}
	slices.Sort(rates)
	slices.Sort(cpus)
	fmt.Printf("%-26s M rows/s min %.3f median %.3f max %.3f; µs CPU/row min %.2f median %.2f max %.2f; %.1f B/row (%d runs)\n",
		what, rates[0], median(rates), rates[len(rates)-1], cpus[0], median(cpus), cpus[len(cpus)-1],
		float64(ms[0].bytes)/float64(ms[0].rows), len(ms))
}

// timed runs fn into a fresh folder under dir and measures it.
func timed(rows int64, dir string, fn func(out string) error) (measure, error) {
	out, err := os.MkdirTemp(dir, "run-")
	if err != nil {
		return measure{}, err
	}
	defer os.RemoveAll(out)
	runtime.GC()
	m := measure{rows: rows, loadBefore: loadavg(), startedAtUT: time.Now().UTC().Format("15:04:05")}
	c0 := cputime.Process()
	t0 := time.Now()
	if err := fn(out); err != nil {
		return m, err
	}
	m.wall = time.Since(t0)
	m.cpu = cputime.Process() - c0
	m.loadAfter = loadavg()
	filepath.Walk(out, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && (strings.HasSuffix(p, ".parquet") || strings.HasSuffix(p, ".arrow")) {
			m.bytes += fi.Size()
		}
		return nil
	})
	return m, nil
}

// loadavg is the one-minute load average (Linux), "?" elsewhere.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func ints(list string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("%q: %w", list, err)
		}
		out = append(out, n)
	}
	return out, nil
}
