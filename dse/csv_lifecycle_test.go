package dse

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/internal/runtest"
	"github.com/mlsysim/mlsysim-go/outputs"
)

// csvSweep is lifeSweep written as CSV alone.
var csvSweep = strings.Replace(lifeSweep, "outputs: {row_group_rows: 256, part_rows: 1024}",
	"outputs: {formats: [csv], row_group_rows: 256, part_rows: 1024}", 1)

// csvRows returns the data lines of the CSV parts under dir/results (and
// its shard folders), sorted, without their headers; and the header.
func csvRows(t *testing.T, dir string) (header string, rows []string) {
	t.Helper()
	err := filepath.WalkDir(filepath.Join(dir, "results"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".csv") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		if header == "" {
			header = lines[0]
		} else if lines[0] != header {
			t.Errorf("%s: header differs", p)
		}
		rows = append(rows, lines[1:]...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(rows)
	return header, rows
}

// A run that writes CSV alone is interrupted and resumed: its files are
// those of an uninterrupted run byte for byte, no Parquet file included,
// and status calls it complete.
func TestCSVOnlyResumes(t *testing.T) {
	dir := t.TempDir()
	s := load(t, writeSweep(t, dir, "s.yaml", csvSweep))
	ref := filepath.Join(dir, "ref")
	execute(t, s, ref, RunOptions{Workers: 2})
	if st, err := ReadStatus(ref); err != nil || !st.Complete || len(st.Damaged) > 0 {
		t.Fatalf("status of the uninterrupted run: %+v, %v", st, err)
	}
	if pq, _ := filepath.Glob(filepath.Join(ref, "results", "*.parquet")); len(pq) > 0 {
		t.Errorf("formats [csv] wrote Parquet: %v", pq)
	}
	for _, stop := range []int{1, 4} {
		out := filepath.Join(dir, "out", string(rune('0'+stop)))
		ctx, cancel := context.WithCancel(context.Background())
		parts := 0
		_, err := Execute(ctx, s, RunOptions{Out: out, Version: testVersion, Workers: 2, OnProgress: func(p Progress) {
			if parts++; parts == stop {
				cancel()
			}
		}})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled after %d: %v", stop, err)
		}
		rep := execute(t, s, out, RunOptions{Resume: true, Workers: 2})
		if !rep.Manifest.Complete {
			t.Errorf("resumed after %d: incomplete", stop)
		}
		runtest.SameFiles(t, ref, out)
		if st, err := ReadStatus(out); err != nil || !st.Complete || len(st.Damaged) > 0 {
			t.Errorf("status after resuming: %+v, %v", st, err)
		}
	}
	// A damaged CSV part is found and written again.
	out := filepath.Join(dir, "out", "1")
	victim := filepath.Join(out, "results", "part-00002.csv")
	data, err := os.ReadFile(victim)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(victim, bytes.Replace(data, []byte("Llama3_8B"), []byte("Llama3_9B"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if st, _ := ReadStatus(out); st.Complete || len(st.Damaged) != 1 {
		t.Errorf("status of a run with an altered CSV part: %+v", st)
	}
	execute(t, s, out, RunOptions{Resume: true})
	runtest.SameFiles(t, ref, out)
}

// Shards of a CSV run merge: the shards' CSV files hold every row of the
// single run once, with one header, and the merged manifest is complete.
func TestCSVShardsMerge(t *testing.T) {
	dir := t.TempDir()
	s := load(t, writeSweep(t, dir, "s.yaml", csvSweep))
	single := filepath.Join(dir, "single")
	execute(t, s, single, RunOptions{})
	sharded := filepath.Join(dir, "sharded")
	const n = 3
	for k := range n {
		execute(t, s, sharded, RunOptions{Shard: &outputs.ManifestShard{K: k, N: n}})
	}
	m, err := MergeShards(s, sharded, testVersion)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Complete || m.Shards != n || m.Pareto == nil {
		t.Errorf("merged manifest: complete %v, %d shards, pareto %+v", m.Complete, m.Shards, m.Pareto)
	}
	st, err := ReadStatus(sharded)
	if err != nil || !st.Complete || !st.Merged || len(st.Damaged) > 0 {
		t.Errorf("status of the merged run: %+v, %v", st, err)
	}
	h1, r1 := csvRows(t, single)
	h2, r2 := csvRows(t, sharded)
	if h1 != h2 || !slices.Equal(r1, r2) || int64(len(r1)) != m.Counts.Written {
		t.Errorf("sharded CSV: %d rows (header equal %v), single run %d, manifest %d", len(r2), h1 == h2, len(r1), m.Counts.Written)
	}
	// The Pareto set is the single run's.
	a, _ := os.ReadFile(filepath.Join(single, "pareto.parquet"))
	b, _ := os.ReadFile(filepath.Join(sharded, "pareto.parquet"))
	if !bytes.Equal(a, b) {
		t.Error("the merged pareto.parquet differs from the single run's")
	}
}

// Figures read the Parquet results: plots in a sweep that writes none are
// refused when the file is read, at the plots entry.
func TestPlotsNeedParquet(t *testing.T) {
	src := "name: p\nfixed: {model: Llama3_8B, hardware: H100}\ngrid:\n  batch_size: [1, 2]\n" +
		"outputs: {formats: [csv]}\nplots:\n  - {kind: lines, x: batch_size, y: latency_s}\n"
	_, err := ParseSpec("p.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "p.yaml:7:3: plots") || !strings.Contains(err.Error(), "no parquet") {
		t.Errorf("plots without parquet: %v", err)
	}
	if _, err := ParseSpec("p.yaml", []byte(strings.Replace(src, "[csv]", "[csv, parquet]", 1))); err != nil {
		t.Errorf("plots with parquet: %v", err)
	}
}
