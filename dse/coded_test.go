package dse

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/outputs"
)

// TestCodedColumns runs sweeps and checks which string columns are coded,
// with what dictionary, and that every value read back is the value the
// row's configuration and result give by the plain path (Configuration,
// engine.Evaluate).
func TestCodedColumns(t *testing.T) {
	cases := []struct {
		name  string
		src   string
		dicts map[string][]string // coded columns and their dictionaries; nil: any
		plain []string            // string columns that stay plain
	}{
		{
			name: "axes",
			src: "name: coded\ngrid:\n  model: [Llama3_8B, ResNet50]\n  hardware: [H100, A100]\n  precision: [fp16, int8]\n" +
				"  mode: [inference, serving]\n  batch_size: [1, 4096]\n",
			dicts: map[string][]string{
				"model": {"Llama3_8B", "ResNet50"}, "hardware": {"H100", "A100"}, "precision": {"fp16", "int8"},
				"mode": {"inference", "serving"}, "fidelity": {"calibrated"},
				"bottleneck": nil, "infeasible_reason": nil, "calibration": nil,
			},
		},
		{
			name:  "scenario",
			src:   "name: scen\ngrid:\n  scenario: [ChatbotServing, SmartDoorbell]\n  batch_size: [1, 8]\n",
			dicts: map[string][]string{"scenario": {"ChatbotServing", "SmartDoorbell"}, "bottleneck": nil},
			plain: []string{"model", "hardware", "precision", "mode"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := mustParse(t, tc.src)
			dir := t.TempDir()
			rep, err := Run(context.Background(), s, Options{OutDir: dir, Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			var strCols []string
			for _, c := range rep.Schema.Cols {
				if c.Type != outputs.String {
					continue
				}
				strCols = append(strCols, c.Name)
				want, coded := tc.dicts[c.Name]
				switch {
				case coded && !c.Coded():
					t.Errorf("%s is not coded", c.Name)
				case coded && want != nil && !slices.Equal(c.Dict, want):
					t.Errorf("%s: dictionary %q, want %q", c.Name, c.Dict, want)
				case slices.Contains(tc.plain, c.Name) && c.Coded():
					t.Errorf("%s is coded (%q), want plain strings", c.Name, c.Dict)
				}
			}
			pl, err := newPlan(s)
			if err != nil {
				t.Fatal(err)
			}
			ev := newEvaluator(pl)
			files, err := outputs.ResultFiles(dir)
			if err != nil {
				t.Fatal(err)
			}
			rows := 0
			err = outputs.ReadColumns(files, append([]string{"index"}, strCols...), func(b *outputs.ColumnBatch) error {
				for r := range b.Len {
					i := int64(b.Cols[0].Float[r])
					params, err := Configuration(s, i)
					if err != nil {
						return err
					}
					ev.configure(i)
					res := engine.Evaluate(&ev.cfg)
					for _, c := range b.Cols[1:] {
						want, ok := params[c.Name]
						if o := engine.LookupOutput(c.Name); o != nil {
							want, ok = o.String(&res), true
							if !o.Modes.Has(ev.cfg.Mode) {
								want = ""
							}
						}
						if ok && c.String[r] != want {
							return fmt.Errorf("row %d: %s = %q, want %q", i, c.Name, c.String[r], want)
						}
					}
					rows++
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if rows != int(s.Size()) {
				t.Errorf("read %d rows, want %d", rows, s.Size())
			}
		})
	}
}

// TestOutputEnums checks that every string output is either coded from an
// enumeration or known to stay plain, so that a new one is a decision.
func TestOutputEnums(t *testing.T) {
	plain := []string{"capacity_bottleneck", "region_name"}
	for _, o := range engine.Outputs() {
		if o.Type != engine.OutString {
			continue
		}
		if outputEnums[o.Name] == nil && !slices.Contains(plain, o.Name) {
			t.Errorf("string output %s has no enumeration in outputEnums and is not listed as plain", o.Name)
		}
	}
	if got := outputEnums["bottleneck"](); !slices.Equal(got, []string{"Compute", "Memory", "Network", "Unknown"}) {
		t.Errorf("bottleneck names %q", got)
	}
}

// The row program reuses an evaluator's state from one row to the next
// (positions carried by increment, slots not reset): rows evaluated in
// order by one evaluator equal rows evaluated each by a fresh one, with
// derived values, constraints and a scenario.
func TestRowsIndependentOfOrder(t *testing.T) {
	for _, src := range []string{
		smallSweep,
		"name: d\nfixed: {mode: serving}\ngrid:\n  model: [Llama3_8B, GPT3]\n  hardware: [H100, MI300X]\n  batch_size: [1, 3, 200]\n" +
			"  seq_len: [512, 8192]\nderived:\n  ratio: batch_size / seq_len\nconstraints: [\"ratio < 0.1\", \"feasible || batch_size < 100\"]\n",
		"name: scen\ngrid:\n  scenario: [ChatbotServing, SmartDoorbell]\n  batch_size: [1, 8, 64]\n",
	} {
		s := mustParse(t, src)
		pl, err := newPlan(s)
		if err != nil {
			t.Fatal(err)
		}
		seq := newBatchFor(pl, int(s.Size()))
		one := newBatchFor(pl, int(s.Size()))
		ev := newEvaluator(pl)
		for i := range int64(s.Size()) {
			ev.evalRow(i, seq)
			ev1 := newEvaluator(pl)
			ev1.evalRow(i, one)
			ev1.flush()
		}
		ev.flush()
		// and backwards through one evaluator
		back := newBatchFor(pl, int(s.Size()))
		ev = newEvaluator(pl)
		for i := int64(s.Size()) - 1; i >= 0; i-- {
			ev.evalRow(i, back)
		}
		ev.flush()
		if seq.Len == 0 || seq.Len != one.Len || seq.Len != back.Len {
			t.Fatalf("%s: %d, %d and %d rows", s.Name, seq.Len, one.Len, back.Len)
		}
		if got, want := fmt.Sprint(seq.Cols), fmt.Sprint(one.Cols); got != want {
			t.Errorf("%s: rows in order differ from rows one by one", s.Name)
		}
		for c := range back.Cols { // back holds the rows reversed
			slices.Reverse(back.Cols[c].F)
			slices.Reverse(back.Cols[c].I)
			slices.Reverse(back.Cols[c].B)
			slices.Reverse(back.Cols[c].S)
			slices.Reverse(back.Cols[c].Codes)
			slices.Reverse(back.Cols[c].Valid)
		}
		if got, want := fmt.Sprint(back.Cols), fmt.Sprint(one.Cols); got != want {
			t.Errorf("%s: rows backwards differ from rows one by one", s.Name)
		}
	}
}

// An evaluator that keeps the configuration of the axes but the last
// (evaluator.pre) configures every row as a fresh one does: the same
// configuration and parameter slots, in grid order and backwards, on
// grids with a zipped last axis, with an outer axis applied after the
// last (seq_len after batch_size, in vocabulary order) and the studies in
// sweeps/.
func TestConfigureKeepsOuterAxes(t *testing.T) {
	srcs := []string{`name: ok
fixed: {mode: serving, network_bandwidth: "50 GB/s"}
grid:
  model: ["Language.*8B"]
  hardware: ["cloud.h100", B200]
  batch_size: {from: 1, to: 16, scale: log2}
  seq_len: {from: 1024, to: 4096, step: 1024}
zip:
  - {output_tokens: [1, 128], chunk_size: [0, 512]}
derived:
  tokens: seq_len * batch_size
`, `name: order
fixed: {mode: serving, model: Llama3_8B}
grid:
  hardware: [H100, MI300X]
  seq_len: [512, 8192]
  batch_size: [1, 3, 200]
`}
	files, _ := filepath.Glob("../sweeps/*.yaml")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, string(data))
	}
	kept := 0
	for _, src := range srcs {
		s := mustParse(t, src)
		pl, err := newPlan(s)
		if err != nil {
			t.Fatal(err)
		}
		if pl.split > 0 {
			kept++
		}
		n := min(int64(s.Size()), 5000)
		for _, back := range []bool{false, true} {
			ev := newEvaluator(pl)
			for k := range n {
				i := k
				if back {
					i = n - 1 - k
				}
				okSeq := ev.configure(i)
				fresh := newEvaluator(pl)
				okFresh := fresh.configure(i)
				if okSeq != okFresh || !reflect.DeepEqual(ev.cfg, fresh.cfg) {
					t.Fatalf("%s row %d: configuration differs from a fresh evaluator's", s.Name, i)
				}
				for _, st := range pl.order {
					a, b := ev.row.num[st.sym.slot], fresh.row.num[st.sym.slot]
					if st.sym.kind == symStr {
						a, b = 0, 0
						if ev.row.str[st.sym.slot] != fresh.row.str[st.sym.slot] || ev.codes[st.sym.slot] != fresh.codes[st.sym.slot] {
							a = 1
						}
					}
					if a != b {
						t.Fatalf("%s row %d: slot of %s differs from a fresh evaluator's", s.Name, i, st.param.Name)
					}
				}
			}
		}
	}
	if kept < 3 {
		t.Errorf("%d of %d grids keep the outer axes' configuration; the test needs more", kept, len(srcs))
	}
}
