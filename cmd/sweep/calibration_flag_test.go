package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A profile fitted by `sweep calibrate` is used with --calibration for
// that command line only: the H200's own measurements replace the profile
// derived from the H100's, the calibration column says so, and the next
// command line is back to the embedded profiles. Bad profile files exit 2.
func TestCalibrationFlag(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "h200.json")
	var so, se bytes.Buffer
	if code := run([]string{"calibrate", "../../calibration/measurements/h200-2026-11-26.json",
		"../../calibration/measurements/h200-extra-2026-11-26.json", "--out", prof}, &so, &se); code != exitOK {
		t.Fatalf("calibrate: exit %d: %s", code, se.String())
	}
	eval := func(extra ...string) (itl float64, kind string) {
		t.Helper()
		var so, se bytes.Buffer
		args := append([]string{"eval", "model=Llama3_8B", "hardware=H200", "mode=serving", "seq_len=2048", "--json"}, extra...)
		if code := run(args, &so, &se); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, se.String())
		}
		var out map[string]any
		if err := json.Unmarshal(so.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		return out["itl_s"].(float64), out["calibration"].(string)
	}
	itlD, kindD := eval()
	itlM, kindM := eval("--calibration", prof)
	itlAfter, kindAfter := eval()
	if kindD != "derived" || kindM != "measured" || kindAfter != "derived" || itlM == itlD || itlAfter != itlD {
		t.Errorf("derived %g (%s), with the profile %g (%s), after %g (%s)", itlD, kindD, itlM, kindM, itlAfter, kindAfter)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"hardware": "H200"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	unknown := filepath.Join(dir, "unknown.json")
	b, _ := os.ReadFile(prof)
	if err := os.WriteFile(unknown, bytes.Replace(b, []byte(`"hardware": "H200"`), []byte(`"hardware": "H9000"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ file, want string }{
		{filepath.Join(dir, "missing.json"), "no such file"},
		{bad, "not a calibration profile"},
		{unknown, "H9000"},
	} {
		var so, se bytes.Buffer
		code := run([]string{"eval", "model=Llama3_8B", "hardware=H200", "--calibration", c.file}, &so, &se)
		if code != exitBadInput || !strings.Contains(se.String(), c.want) {
			t.Errorf("--calibration %s: exit %d, stderr %q; want exit %d naming %q", c.file, code, se.String(), exitBadInput, c.want)
		}
	}
}
