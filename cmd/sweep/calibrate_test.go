package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestCalibrateReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("fits a profile")
	}
	data := filepath.Join("..", "..", "calibration", "reference", "h100-2026-11-26.json")
	dir := t.TempDir()
	var outs [2][]byte
	for i := range outs {
		f := filepath.Join(dir, "p.json")
		var so, se bytes.Buffer
		if code := run([]string{"calibrate", data, "--out", f}, &so, &se); code != exitOK {
			t.Fatalf("exit %d: %s", code, se.String())
		}
		outs[i], _ = os.ReadFile(f)
	}
	if len(outs[0]) == 0 || !bytes.Equal(outs[0], outs[1]) {
		t.Errorf("two fits of the same file differ or are empty")
	}
}

func TestCalibrateBadInput(t *testing.T) {
	f := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(f, []byte(`{"meta":{}}`), 0o644)
	var so, se bytes.Buffer
	if code := run([]string{"calibrate", f}, &so, &se); code != exitBadInput {
		t.Errorf("exit %d, want %d", code, exitBadInput)
	}
}
