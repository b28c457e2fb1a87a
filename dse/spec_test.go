package dse

import (
	"errors"
	"strings"
	"testing"
)

// The malformed sweep files: each must give a positioned error that names
// the problem, and ParseSpec must report all of a file's problems at once.
var badSpecs = []struct {
	name string
	src  string
	pos  string // "line:col" of the (first) error
	want string // in the message
	err  error
}{
	{"unknown top key", "name: x\ngird:\n  model: [Llama3_8B]\n", "2:1", `did you mean "grid"`, ErrUnknownKey},
	{"unknown parameter", "grid:\n  model: [Llama3_8B]\n  hardwre: [H100]\n", "3:3", `did you mean "hardware"`, ErrNoSuchParam},
	{"empty axis", "grid:\n  model: [Llama3_8B]\n  hardware: []\n", "3:13", "empty", ErrEmptyAxis},
	{"unknown hardware", "grid:\n  model: [Llama3_8B]\n  hardware: [H9000]\n", "3:14", `"H100"`, ErrBadValue},
	{"unknown model", "grid:\n  model: [Llama3_8BB]\n  hardware: [H100]\n", "2:11", `did you mean "Llama3_8B"`, ErrBadValue},
	{"bad precision", "fixed: {precision: fp6}\ngrid:\n  model: [Llama3_8B]\n  hardware: [H100]\n", "1:20", "precision", ErrBadValue},
	{"type error int", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  batch_size: [1, 2.5]\n", "4:19", "whole number", ErrBadValue},
	{"out of range", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  efficiency: [0.5, 1.5]\n", "4:21", "out of range", ErrBadValue},
	{"negative batch", "fixed: {batch_size: -4}\ngrid:\n  model: [Llama3_8B]\n  hardware: [H100]\n", "1:21", "minimum", ErrBadValue},
	{"bool for number", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  seq_len: [true]\n", "4:13", "boolean", ErrBadValue},
	{"duplicate param", "fixed: {model: Llama3_8B}\ngrid:\n  model: [Llama3_70B]\n  hardware: [H100]\n", "3:3", "already given", ErrDuplicate},
	{"range without to", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  batch_size: {from: 1}\n", "4:15", "from and to", ErrMissing},
	{"range bad scale", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  batch_size: {from: 1, to: 8, scale: cubic}\n", "4:39", "log2", ErrBadValue},
	{"range on names", "grid:\n  model: [Llama3_8B]\n  hardware: {from: 1, to: 3}\n", "3:13", "numeric", ErrBadType},
	{"range unknown key", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  batch_size: {from: 1, to: 8, stride: 2}\n", "4:32", `"stride"`, ErrUnknownKey},
	{"empty range", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  batch_size: {from: 8, to: 1}\n", "4:15", "empty", ErrEmptyAxis},
	{"zip length mismatch", "fixed: {mode: serving}\ngrid:\n  model: [Llama3_8B]\n  hardware: [H100]\nzip:\n  - {seq_len: [128, 2048], output_tokens: [1, 2, 3]}\n", "6:43", "advance together", ErrBadValue},
	{"zip not list", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\nzip:\n  - {seq_len: 128}\n", "5:15", "takes a list", ErrBadType},
	{"fixed list", "fixed: {batch_size: [1, 2]}\ngrid:\n  model: [Llama3_8B]\n  hardware: [H100]\n", "1:21", "one value", ErrBadType},
	{"bad constraint", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\nconstraints: [\"itl_s <\"]\n", "4:15", "expression", ErrBadExpr},
	{"constraint unknown name", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\nconstraints: [\"itl < 0.05\"]\n", "4:15", "itl", ErrBadExpr},
	{"constraint bad literal", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\nconstraints: [\"hardware == 'H9000'\"]\n", "4:15", "H9000", ErrBadExpr},
	{"derived uses output", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\nderived:\n  x: itl_s * 2\n", "5:6", "outputs", ErrBadExpr},
	{"derived clash", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\nderived:\n  itl_s: seq_len * 2\n", "5:3", "already", ErrDuplicate},
	{"one objective", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\nobjectives:\n  - {maximize: tokens_per_s}\n", "5:3", "2 to 4", ErrBadValue},
	{"objective unknown", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\nobjectives:\n  - {maximize: tokens_per_sec}\n  - {minimize: itl_s}\n", "5:16", `"tokens_per_s"`, ErrBadValue},
	{"objective direction", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\nobjectives:\n  - {maximise: tokens_per_s}\n  - {minimize: itl_s}\n", "5:6", `"maximize"`, ErrUnknownKey},
	{"bad format", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\noutputs: {formats: [xlsx]}\n", "4:21", "parquet, arrow and csv", ErrBadValue},
	{"bad output column", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\noutputs: {columns: [latncy_s]}\n", "4:21", `"latency_s"`, ErrBadValue},
	{"plot kind", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\nplots:\n  - {kind: scatter3d}\n", "5:12", "kinds are", ErrBadValue},
	{"plot where", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\nplots:\n  - {kind: lines, where: hardwre == 1}\n", "5:26", "hardwre", ErrBadValue},
	{"plot one_per", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\nplots:\n  - {kind: heatmap, one_per: [modle]}\n", "5:31", "not a column", ErrBadValue},
	{"plot width", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\nplots:\n  - {kind: lines, width: triple}\n", "5:26", "single", ErrBadValue},
	{"plot limits", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\nplots:\n  - {kind: lines, y_limits: [1, 0.5]}\n", "5:29", "lo < hi", ErrBadValue},
	{"plot scale", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\nplots:\n  - {kind: lines, y_scale: ln}\n", "5:28", "log and linear", ErrBadValue},
	{"missing hardware", "grid:\n  model: [Llama3_8B]\n", "", `"hardware"`, ErrMissing},
	{"bad name", "name: \"my sweep!\"\ngrid:\n  model: [Llama3_8B]\n  hardware: [H100]\n", "1:7", "output folder", ErrBadValue},
	{"not a mapping", "- a\n- b\n", "1:1", "mapping", ErrBadType},
	{"yaml syntax", "grid:\n  model: [Llama3_8B\n  hardware: [H100]\n", "", "YAML", ErrYAMLSyntax},
	{"empty file", "", "1:1", "empty", ErrMissing},
	{"range bound 1e300", "fixed: {mode: serving}\ngrid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  qps: {from: 1, to: 1e300, step: 1}\n", "5:8", "more than 1048576 values", ErrTooLarge},
	{"whole-number range bound 1e300", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  batch_size: {from: 1e300, to: 1e300, step: 1}\n", "4:22", "beyond the largest whole number", ErrBadValue},
	{"range bound inf", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  batch_size: {from: 1, to: .inf, step: 1}\n", "4:29", "not a finite number", ErrBadValue},
	{"range bound nan", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  efficiency: {from: .nan, to: 1, num: 3}\n", "4:22", "efficiency", ErrBadValue},
	{"range too long", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  batch_size: {from: 1, to: 2000000}\n", "4:15", "more than 1048576 values", ErrTooLarge},
	{"log range too long", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  efficiency: {from: 1e-9, to: 1, step: 1.00001, scale: log}\n", "4:15", "more than 1048576 values", ErrTooLarge},
	{"whole number beyond int64", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  batch_size: [9223372036854775808]\n", "4:16", "out of the range of a whole number", ErrBadValue},
	{"range beyond int64", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  batch_size: {from: 1, to: 1e19, num: 2}\n", "4:29", "beyond the largest whole number", ErrBadValue},
	{"grid too large", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  batch_size: {from: 1, to: 1048576}\n  seq_len: {from: 1, to: 1048576}\n  output_tokens: {from: 1, to: 1048576}\n  chunk_size: {from: 1, to: 1048576}\n", "6:3", "more than 2^53", ErrTooLarge},
	{"nested too deep", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  batch_size: " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n", "4:79", "more than 64 levels deep", ErrTooDeep},
	{"brackets in quotes and comments", "grid: # " + strings.Repeat("[", 100) + "\n  model: [Llama3_8B]\n  hardware: [H100]\nderived:\n  x: \"" + strings.Repeat("[", 100) + "\"\n", "5:6", "", ErrBadExpr},
	{"file too large", "grid: #" + strings.Repeat(" ", MaxSpecBytes) + "\n", "1:1", "16 MiB", ErrTooBig},
	{"glob matches nothing", "grid:\n  model: [Llama3_8B]\n  hardware: [\"Quantum.*\"]\n", "3:14", "matches no", ErrEmptyAxis},
}

func TestBadSpecs(t *testing.T) {
	if len(badSpecs) < 20 {
		t.Fatalf("the corpus has %d files, want at least 20", len(badSpecs))
	}
	for _, tc := range badSpecs {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSpec("bad.yaml", []byte(tc.src))
			if err == nil {
				t.Fatal("no error")
			}
			var se SpecErrors
			if !errors.As(err, &se) || len(se) == 0 {
				t.Fatalf("error %T is not SpecErrors: %v", err, err)
			}
			msg := err.Error()
			if tc.pos != "" && !strings.HasPrefix(se[0].Error(), "bad.yaml:"+tc.pos+":") {
				t.Errorf("first error %q, want position bad.yaml:%s", se[0].Error(), tc.pos)
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("%q lacks %q", msg, tc.want)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("%q is not %v", msg, tc.err)
			}
		})
	}
}

// All problems of a file are reported at once.
func TestAllErrorsAtOnce(t *testing.T) {
	src := "name: x\ngrid:\n  model: [Llama3_8BB]\n  hardwre: [H100]\n  batch_size: []\nconstraints: [\"itl < 1\"]\nextra: 1\n"
	_, err := ParseSpec("f.yaml", []byte(src))
	var se SpecErrors
	if !errors.As(err, &se) || len(se) < 4 {
		t.Fatalf("want ≥ 4 errors, got %v", err)
	}
}

func TestGoodSpecFeatures(t *testing.T) {
	s := mustParse(t, `name: ok
fixed: {mode: serving, network_bandwidth: "50 GB/s"}
grid:
  model: ["Language.*8B"]
  hardware: ["cloud.h100", B200]
  batch_size: {from: 1, to: 16, scale: log2}
  seq_len: {from: 1024, to: 4096, step: 1024}
  efficiency: {from: 0.2, to: 0.6, num: 3}
zip:
  - {output_tokens: [1, 128], chunk_size: [0, 512]}
derived:
  tokens: seq_len * batch_size
constraints: ["tokens <= 32768", "hardware != 'B200' || batch_size > 1"]
`)
	_ = s
}

func FuzzParseSpec(f *testing.F) {
	f.Add([]byte(smallSweep))
	f.Add([]byte(strings.Replace(smallSweep, `"batch_size <= 32 || feasible"`, `"itl_s < 50 ms && memory_bytes < 80 GiB"`, 1)))
	f.Add([]byte(strings.Replace(smallSweep, `"batch_size <= 32 || feasible"`, `"itl_s < 2 GB"`, 1)))
	for _, tc := range badSpecs {
		if len(tc.src) < 1<<16 { // the fuzzer mutates seeds: keep them small
			f.Add([]byte(tc.src))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSpec("fuzz.yaml", data)
		if err != nil {
			var se SpecErrors
			if !errors.As(err, &se) || len(se) == 0 {
				t.Fatalf("error is not SpecErrors: %T %v", err, err)
			}
			return
		}
		if s.Size() == 0 {
			t.Fatal("a valid spec with an empty grid")
		}
		// A sample of any valid spec evaluates, or fails as bad input.
		if err := CheckSample(s); err != nil {
			var in *InputError
			if !errors.As(err, &in) {
				t.Fatalf("CheckSample: %T %v", err, err)
			}
		}
		// Any valid spec's first configuration can be built.
		if _, err := Configuration(s, 0); err != nil {
			t.Fatal(err)
		}
	})
}
