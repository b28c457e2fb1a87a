package dse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/internal/duckdbtest"
	"github.com/mlsysim/mlsysim-go/internal/runtest"
	"github.com/mlsysim/mlsysim-go/outputs"
	"github.com/mlsysim/mlsysim-go/sweeps"
)

// lifeSweep has 6144 configurations in 6 parts of 1024.
const lifeSweep = `name: run-test
fixed: {mode: serving}
grid:
  model: [Llama3_8B, Llama3_70B]
  hardware: [H100, A100, B200]
  precision: [fp16, int8]
  batch_size: {from: 1, to: 64, step: 1}
  seq_len: [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072]
objectives:
  - {maximize: tokens_per_s}
  - {minimize: itl_s}
group_by: [model]
outputs: {row_group_rows: 256, part_rows: 1024}
`

const testVersion = "test"

// writeSweep writes src to dir/name and returns its path.
func writeSweep(t testing.TB, dir, name, src string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func load(t testing.TB, path string) *Spec {
	t.Helper()
	s, err := LoadSpec(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// execute runs s into out and fails the test on any error.
func execute(t testing.TB, s *Spec, out string, o RunOptions) *RunReport {
	t.Helper()
	o.Out = out
	if o.Version == "" {
		o.Version = testVersion
	}
	rep, err := Execute(context.Background(), s, o)
	if err != nil {
		t.Fatalf("Execute %s into %s: %v", s.Name, out, err)
	}
	return rep
}

// refused runs s into out, which must fail with an *InputError whose
// message holds want.
func refused(t *testing.T, s *Spec, out string, o RunOptions, want string) {
	t.Helper()
	o.Out = out
	if o.Version == "" {
		o.Version = testVersion
	}
	_, err := Execute(context.Background(), s, o)
	var in *InputError
	if !errors.As(err, &in) || !strings.Contains(err.Error(), want) {
		t.Errorf("Execute: %v; want an InputError saying %q", err, want)
	}
}

// duckSummary is what DuckDB reads from a set of result files: rows,
// distinct indexes, and a checksum of every row (the index included, so a
// row moved to another index changes it).
func duckSummary(t *testing.T, glob string, hive bool) map[string]any {
	t.Helper()
	from := fmt.Sprintf("SELECT * FROM read_parquet('%s')", glob)
	if hive {
		from = fmt.Sprintf("SELECT * EXCLUDE (shard) FROM read_parquet('%s', hive_partitioning=true)", glob)
	}
	rows := duckdbtest.Query(t, "SELECT count(*) AS n, count(DISTINCT index) AS d, "+
		"sum(hash(r)) AS h FROM ("+from+") r")
	return rows[0]
}

// The same inputs give byte-identical files whatever the worker count, and
// the manifest records what determines them.
func TestExecuteReproducibleAcrossWorkers(t *testing.T) {
	s := load(t, writeSweep(t, t.TempDir(), "s.yaml", lifeSweep))
	d1, d4 := filepath.Join(t.TempDir(), "o"), filepath.Join(t.TempDir(), "o")
	execute(t, s, d1, RunOptions{Workers: 1})
	execute(t, s, d4, RunOptions{Workers: 4})
	runtest.SameFiles(t, d1, d4)
	m, err := outputs.ReadManifest(d1)
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != testVersion || len(m.Sweep.SHA256) != 64 || len(m.RegistrySHA256) != 64 || len(m.CalibrationSHA256) != 64 || len(m.InputsSHA256) != 64 {
		t.Errorf("manifest provenance: version %q sweep %q registry %q calibration %q inputs %q",
			m.Version, m.Sweep.SHA256, m.RegistrySHA256, m.CalibrationSHA256, m.InputsSHA256)
	}
	if !m.Complete || m.Counts.Enumerated != 6144 || len(m.Parts) != 6 || len(m.FrontIndexes) == 0 || m.Pareto == nil {
		t.Errorf("manifest: complete %v, %d configurations, %d parts, %d front indexes", m.Complete, m.Counts.Enumerated, len(m.Parts), len(m.FrontIndexes))
	}
	// Running again over the same folder replaces the run with the same files.
	execute(t, s, d4, RunOptions{Workers: 2})
	runtest.SameFiles(t, d1, d4)
	// Resuming a complete run writes nothing new and changes nothing.
	rep := execute(t, s, d4, RunOptions{Resume: true})
	runtest.SameFiles(t, d1, d4)
	if !rep.Manifest.Complete || rep.Manifest.Counts != m.Counts {
		t.Errorf("resumed complete run: %+v, want %+v", rep.Manifest.Counts, m.Counts)
	}
	st, err := ReadStatus(d4)
	if err != nil || st.Sharded || !st.Complete || st.Enumerated != 6144 || st.Parts != 6 {
		t.Errorf("status of a complete run: %+v, %v", st, err)
	}
	if _, err := MergeShards(s, d4, testVersion); !errors.As(err, new(*InputError)) || !strings.Contains(err.Error(), "nothing to merge") {
		t.Errorf("merge of a single run: %v", err)
	}
}

// A resume refuses inputs that would give other numbers; a fresh run
// refuses a folder that holds something else.
func TestResumeRefusesChangedInputs(t *testing.T) {
	dir := t.TempDir()
	file := writeSweep(t, dir, "s.yaml", lifeSweep)
	out := filepath.Join(dir, "out")
	s := load(t, file)
	execute(t, s, out, RunOptions{})

	changed := load(t, writeSweep(t, dir, "s.yaml", strings.Replace(lifeSweep, "to: 64", "to: 32", 1)))
	refused(t, changed, out, RunOptions{Resume: true}, "the sweep file changed")
	refused(t, changed, out, RunOptions{}, "already holds a run of another sweep")
	refused(t, s, out, RunOptions{Resume: true, Version: "0.0.0-other"}, "by version "+testVersion)

	// Registry data named by the sweep file changes while the file does not.
	chip := "hardware:\n  - key: TestChip\n    tier: Cloud\n    name: Test chip\n    peak_flops: %d TFLOP/s\n    memory: {capacity: 80 GB, bandwidth: 3 TB/s}\n    tdp: 700 W\n    source: test\n"
	writeSweep(t, dir, "chips.yaml", fmt.Sprintf(chip, 1000))
	withReg := writeSweep(t, dir, "r.yaml", "registry: [chips.yaml]\n"+lifeSweep)
	rout := filepath.Join(dir, "rout")
	execute(t, load(t, withReg), rout, RunOptions{})
	writeSweep(t, dir, "chips.yaml", fmt.Sprintf(chip, 2000))
	refused(t, load(t, withReg), rout, RunOptions{Resume: true}, "registry data")

	refused(t, s, out, RunOptions{Resume: true, Shard: &outputs.ManifestShard{K: 0, N: 2}}, "single (unsharded) run")
	refused(t, s, out, RunOptions{Shard: &outputs.ManifestShard{K: 0, N: 2}}, "single (unsharded) run")

	// A resume as another slice of the same run is refused too.
	sh := filepath.Join(dir, "sh")
	execute(t, s, sh, RunOptions{Shard: &outputs.ManifestShard{K: 0, N: 2}})
	os.Rename(filepath.Join(sh, outputs.ShardManifestFile(0)), filepath.Join(sh, outputs.ShardManifestFile(1)))
	refused(t, s, sh, RunOptions{Resume: true, Shard: &outputs.ManifestShard{K: 1, N: 2}}, "covers configurations")

	// Files without a manifest are not the run's to replace.
	junk := filepath.Join(dir, "junk")
	os.MkdirAll(filepath.Join(junk, "results"), 0o755)
	os.WriteFile(filepath.Join(junk, "results", "mine.txt"), []byte("x"), 0o644)
	refused(t, s, junk, RunOptions{}, "results/mine.txt")
	// An unreadable manifest is refused, not overwritten.
	bad := filepath.Join(dir, "bad")
	os.MkdirAll(bad, 0o755)
	os.WriteFile(filepath.Join(bad, outputs.ManifestFile), []byte("{"), 0o644)
	refused(t, s, bad, RunOptions{}, "unreadable manifest")
	refused(t, s, bad, RunOptions{Resume: true}, "unreadable manifest")
	if _, err := Execute(context.Background(), s, RunOptions{Out: bad, Workers: -1}); !errors.As(err, new(*InputError)) {
		t.Errorf("negative workers: %v", err)
	}
}

// Shards cover the grid without overlap, write Hive-style folders that
// DuckDB reads as one table equal to the single run, report their state,
// and merge into the single run's Pareto set.
func TestShardsMergeToSingleRun(t *testing.T) {
	dir := t.TempDir()
	s := load(t, writeSweep(t, dir, "s.yaml", lifeSweep))
	single, sharded := filepath.Join(dir, "single"), filepath.Join(dir, "sharded")
	execute(t, s, single, RunOptions{})
	const n = 5 // 6 parts over 5 shards: 1 or 2 parts each
	for k := range n - 1 {
		execute(t, s, sharded, RunOptions{Shard: &outputs.ManifestShard{K: k, N: n}})
	}
	st, err := ReadStatus(sharded)
	if err != nil || !st.Sharded || st.Complete || st.Merged || len(st.Shards) != n || st.Shards[4].State != ShardNotStarted || st.Shards[0].State != ShardComplete {
		t.Errorf("status before the last shard: %+v, %v", st, err)
	}
	if _, err := MergeShards(s, sharded, testVersion); err == nil || errors.As(err, new(*InputError)) || !strings.Contains(err.Error(), "4 (not started)") {
		t.Errorf("merge of incomplete shards: %v", err)
	}
	refused(t, s, sharded, RunOptions{Shard: &outputs.ManifestShard{K: 0, N: 3}}, "5-way")
	other := load(t, writeSweep(t, dir, "o.yaml", strings.Replace(lifeSweep, "to: 64", "to: 32", 1)))
	refused(t, other, sharded, RunOptions{Shard: &outputs.ManifestShard{K: 4, N: n}}, "shards of another sweep")
	execute(t, s, sharded, RunOptions{Shard: &outputs.ManifestShard{K: 4, N: n}})
	m, err := MergeShards(s, sharded, testVersion)
	if err != nil {
		t.Fatal(err)
	}
	if m.Shards != n || !m.Complete || m.Pareto == nil || m.Pareto.Rows == 0 {
		t.Errorf("merged manifest: %d shards, complete %v, pareto %+v", m.Shards, m.Complete, m.Pareto)
	}
	if _, err := MergeShards(s, sharded, "0.0.0-other"); !errors.As(err, new(*InputError)) || !strings.Contains(err.Error(), "merge refused") {
		t.Errorf("merge with another version: %v", err)
	}

	st, err = ReadStatus(sharded)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Complete || !st.Merged || len(st.Shards) != n || st.Enumerated != 6144 || st.Rows != 6144 {
		t.Errorf("status after merge: %+v", st)
	}
	var lastHi int64
	for _, s := range st.Shards {
		if s.Lo != lastHi || s.Lo%1024 != 0 {
			t.Errorf("shard %d starts at %d, want %d on a part boundary", s.K, s.Lo, lastHi)
		}
		lastHi = s.Hi
	}
	a, _ := os.ReadFile(filepath.Join(single, "pareto.parquet"))
	b, _ := os.ReadFile(filepath.Join(sharded, "pareto.parquet"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("the merged Pareto set differs from the single run's")
	}
	// Shards killed after their last part, before their final manifest:
	// complete, without the whole front; the parts' front files hold it.
	for k := range n {
		f := filepath.Join(sharded, outputs.ShardManifestFile(k))
		sm, err := outputs.ReadManifestFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sm.FrontIndexes = nil
		if err := outputs.WriteManifestFile(f, sm); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := MergeShards(s, sharded, testVersion); err != nil {
		t.Fatal(err)
	}
	if b, _ = os.ReadFile(filepath.Join(sharded, "pareto.parquet")); !bytes.Equal(a, b) {
		t.Errorf("merged from the parts' front files, the Pareto set differs from the single run's")
	}
	// Part files are the single run's, moved into shard folders.
	for k := range n {
		m, err := outputs.ReadManifestFile(filepath.Join(sharded, outputs.ShardManifestFile(k)))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range m.Parts {
			x, _ := os.ReadFile(filepath.Join(sharded, p.File))
			y, _ := os.ReadFile(filepath.Join(single, "results", filepath.Base(p.File)))
			if !bytes.Equal(x, y) {
				t.Errorf("%s differs from the single run's part", p.File)
			}
		}
	}
	// A shard run again after the merge undoes the merge.
	execute(t, s, sharded, RunOptions{Shard: &outputs.ManifestShard{K: 4, N: n}})
	if st, err := ReadStatus(sharded); err != nil || st.Merged {
		t.Errorf("status after a shard rerun: %+v, %v", st, err)
	}
	// A single run refuses a folder of shards.
	refused(t, s, sharded, RunOptions{}, "sharded run")
	if _, err := ReadStatus(dir); !errors.As(err, new(*InputError)) {
		t.Errorf("status of a folder with no run: %v", err)
	}
	duckdbtest.Check(t, func(t *testing.T) {
		got := duckSummary(t, filepath.Join(sharded, "results", "*", "*.parquet"), true)
		want := duckSummary(t, filepath.Join(single, "results", "*.parquet"), false)
		if fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprint(got["n"]) != "6144" {
			t.Errorf("DuckDB reads %v from the shards, %v from the single run", got, want)
		}
	})
}

// The Pareto set a real run writes (the default sweep: maximize tokens_per_s,
// minimize itl_s, per model) equals the brute-force O(n²) front of its
// feasible result rows, compared by configuration index.
func TestParetoOfRealRunMatchesBruteForce(t *testing.T) {
	data, err := sweeps.FS.ReadFile(sweeps.DefaultName)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSpec("sweeps/"+sweeps.DefaultName, data)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	execute(t, s, out, RunOptions{})
	type pt struct {
		idx      int64
		model    string
		tps, itl float64
		feasible bool
	}
	read := func(files []string) []pt {
		var pts []pt
		err := outputs.ReadColumns(files, []string{"index", "model", "tokens_per_s", "itl_s", "feasible"}, func(b *outputs.ColumnBatch) error {
			for i := 0; i < b.Len; i++ {
				pts = append(pts, pt{int64(b.Cols[0].Float[i]), b.Cols[1].String[i], b.Cols[2].Float[i], b.Cols[3].Float[i], b.Cols[4].Bool[i]})
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return pts
	}
	files, err := outputs.ResultFiles(out)
	if err != nil {
		t.Fatal(err)
	}
	all := read(files)
	var want []int64
	for _, a := range all {
		if !a.feasible {
			continue
		}
		dominated := false
		for _, b := range all {
			if !b.feasible || b.model != a.model {
				continue
			}
			noWorse := b.tps >= a.tps && b.itl <= a.itl
			better := b.tps > a.tps || b.itl < a.itl
			// Identical points: the lowest index stays.
			if noWorse && (better || b.idx < a.idx) {
				dominated = true
				break
			}
		}
		if !dominated {
			want = append(want, a.idx)
		}
	}
	var got []int64
	for _, p := range read([]string{filepath.Join(out, "pareto.parquet")}) {
		got = append(got, p.idx)
	}
	slices.Sort(want)
	slices.Sort(got)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("pareto.parquet holds %v, brute force gives %v", got, want)
	}
}
