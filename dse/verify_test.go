package dse

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
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
		if p.Bytes == 0 || len(p.SHA256) != 64 || p.ArrowBytes == 0 || len(p.ArrowSHA256) != 64 {
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
			if rng.IntN(4) == 0 {
				file = ArrowPath(file)
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
