package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// --cpuprofile and --memprofile write profiles (gzipped protocol buffers,
// what go tool pprof reads); a profile
// that cannot be created is an I/O error (exit 1).
func TestRunProfiles(t *testing.T) {
	dir := t.TempDir()
	sweep := writeSweep(t, dir, "s.yaml", tinyRunSweep)
	cpu, mem := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "mem.prof")
	cliRun(t, "run", sweep, "--out", filepath.Join(dir, "out"), "--quiet", "--cpuprofile", cpu, "--memprofile", mem)
	for _, p := range []string{cpu, mem} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) || len(data) < 100 {
			t.Errorf("%s: %d bytes, not a gzipped profile", filepath.Base(p), len(data))
		}
	}
	cliFails(t, 1, "--cpuprofile", "run", sweep, "--out", filepath.Join(dir, "out2"), "--quiet", "--cpuprofile", filepath.Join(dir, "no", "cpu.prof"))
}
