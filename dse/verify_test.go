package dse

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/internal/duckdbtest"
	"github.com/mlsysim/mlsysim-go/internal/runtest"
	"github.com/mlsysim/mlsysim-go/outputs"
)

// damage harms the part file at path in the way kind names.
func damage(t *testing.T, rng *rand.Rand, path, kind string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	switch kind {
	case "delete":
		err = os.Remove(path)
	case "truncate":
		err = os.Truncate(path, rng.Int64N(st.Size()))
	case "corrupt": // one byte anywhere, the size unchanged
		var f *os.File
		if f, err = os.OpenFile(path, os.O_WRONLY, 0); err == nil {
			b := []byte{byte(rng.IntN(256))}
			at := rng.Int64N(st.Size())
			old := make([]byte, 1)
			if r, e := os.ReadFile(path); e == nil {
				old[0] = r[at]
			}
			if b[0] == old[0] {
				b[0] ^= 0xFF
			}
			_, err = f.WriteAt(b, at)
			if e := f.Close(); err == nil {
				err = e
			}
		}
	case "append": // garbage after the footer
		var f *os.File
		if f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0); err == nil {
			_, err = f.Write([]byte("garbage"))
			f.Close()
		}
	}
	if err != nil {
		t.Fatal(err)
	}
}

// Parts deleted, truncated, corrupted or extended at random are found on
// resume and by ReadStatus, and written again: the resumed run holds
// byte-identical files, and DuckDB reads exactly the rows of an
// uninterrupted run.
func TestResumeRepairsDamagedParts(t *testing.T) {
	s := load(t, writeSweep(t, t.TempDir(), "s.yaml", strings.Replace(lifeSweep, "outputs: {", "outputs: {formats: [parquet, arrow], ", 1)))
	ref := filepath.Join(t.TempDir(), "ref")
	execute(t, s, ref, RunOptions{Workers: 2})
	refManifest, err := outputs.ReadManifest(ref)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range refManifest.Parts {
		if p.Bytes == 0 || len(p.SHA256) != 64 || p.ArrowBytes == 0 || len(p.ArrowSHA256) != 64 || p.FrontBytes == 0 || len(p.FrontSHA256) != 64 {
			t.Fatalf("part %+v: no size or checksum recorded", p)
		}
	}
	kinds := []string{"delete", "truncate", "corrupt", "append"}
	rng := rand.New(rand.NewPCG(17, 1))
	for round := range 6 {
		out := filepath.Join(t.TempDir(), "out")
		execute(t, s, out, RunOptions{Workers: 2})
		m, err := outputs.ReadManifest(out)
		if err != nil {
			t.Fatal(err)
		}
		var hurt []string
		for _, k := range rng.Perm(len(m.Parts))[:1+rng.IntN(3)] {
			file := filepath.Join(out, m.Parts[k].File)
			switch rng.IntN(5) {
			case 0:
				file = ArrowPath(file)
			case 1:
				file = FrontPath(file)
			}
			kind := kinds[rng.IntN(len(kinds))]
			damage(t, rng, file, kind)
			hurt = append(hurt, fmt.Sprintf("%s %s", kind, filepath.Base(file)))
		}
		t.Logf("round %d: %s", round, strings.Join(hurt, ", "))
		st, err := ReadStatus(out)
		if err != nil {
			t.Fatal(err)
		}
		if st.Complete || len(st.Damaged) == 0 {
			t.Fatalf("round %d: status after damage: complete %v, damaged %q", round, st.Complete, st.Damaged)
		}
		var notices []string
		execute(t, s, out, RunOptions{Workers: 3, Resume: true, OnNotice: func(msg string) { notices = append(notices, msg) }})
		if len(notices) == 0 {
			t.Errorf("round %d: resume said nothing of the damaged parts", round)
		}
		if st, err = ReadStatus(out); err != nil || !st.Complete || len(st.Damaged) > 0 {
			t.Fatalf("round %d: status after resume: %+v, %v", round, st, err)
		}
		runtest.SameFiles(t, ref, out)
		got, err := outputs.ReadManifest(out)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Parts, refManifest.Parts) || !reflect.DeepEqual(got.FrontIndexes, refManifest.FrontIndexes) {
			t.Errorf("round %d: the resumed manifest's parts or front differ from the uninterrupted run's", round)
		}
		if round == 0 || round == 5 {
			duckdbtest.Check(t, func(t *testing.T) {
				want := duckSummary(t, filepath.Join(ref, "results", "*.parquet"), false)
				if g := duckSummary(t, filepath.Join(out, "results", "*.parquet"), false); !reflect.DeepEqual(g, want) {
					t.Errorf("DuckDB reads %v, want %v", g, want)
				}
			})
		}
	}
}

// A run's manifest holds the whole front only once the run ends; a run
// killed before then leaves each part's front in its front file, from
// which a resumed run rebuilds the front: the resumed run's files and
// front are an uninterrupted run's.
func TestResumeFromFrontFiles(t *testing.T) {
	s := load(t, writeSweep(t, t.TempDir(), "s.yaml", lifeSweep))
	ref := filepath.Join(t.TempDir(), "ref")
	execute(t, s, ref, RunOptions{Workers: 2})
	refManifest, err := outputs.ReadManifest(ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(refManifest.FrontIndexes) == 0 {
		t.Fatal("the finished run's manifest has no front indexes")
	}
	// The union of the parts' fronts holds the run's front.
	var all []int64
	for _, p := range refManifest.Parts {
		idx, err := readFrontFile(FrontPath(filepath.Join(ref, p.File)))
		if err != nil {
			t.Fatal(err)
		}
		if len(idx) == 0 || !slices.IsSorted(idx) || idx[0] < p.Lo || idx[len(idx)-1] >= p.Hi {
			t.Fatalf("%s: front %v outside the part's [%d, %d)", p.File, idx, p.Lo, p.Hi)
		}
		all = append(all, idx...)
	}
	f, err := FrontOf(s, all)
	if err != nil {
		t.Fatal(err)
	}
	if got := FrontIndexes(f); !slices.Equal(got, refManifest.FrontIndexes) {
		t.Fatalf("front of the front files %v, want %v", got, refManifest.FrontIndexes)
	}

	// A killed run: the manifest as it is after its fourth part, without
	// the whole front, the later parts' files still there or not.
	out := filepath.Join(t.TempDir(), "out")
	execute(t, s, out, RunOptions{Workers: 2})
	m, err := outputs.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Parts[4:] {
		os.Remove(filepath.Join(out, p.File))
	}
	os.Remove(filepath.Join(out, "pareto.parquet"))
	m.Parts, m.FrontIndexes, m.Pareto, m.Complete = m.Parts[:4], nil, nil, false
	if err := outputs.WriteManifest(out, m); err != nil {
		t.Fatal(err)
	}
	execute(t, s, out, RunOptions{Workers: 3, Resume: true})
	runtest.SameFiles(t, ref, out)
	got, err := outputs.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Parts, refManifest.Parts) || !slices.Equal(got.FrontIndexes, refManifest.FrontIndexes) {
		t.Errorf("the resumed manifest's parts or front differ from the uninterrupted run's")
	}
}
