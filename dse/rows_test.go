package dse_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/mlsysim/mlsysim-go/dse"
	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/outputs"
)

const rowsSpec = `name: rows
fixed: {mode: serving, output_tokens: 64}
grid:
  model: [Llama3_8B, Llama3_70B]
  hardware: [H100, MI300X]
  precision: [fp16, fp8]
  batch_size: [1, 16]
  include_embodied: [false, true]
derived:
  tokens_in_flight: seq_len * batch_size
constraints: ["feasible", "itl_s < 0.05"]
`

// Rows yields exactly the rows a run writes, column by column, with
// typed values (integers as int64, flags as bool, null as nil).
func TestRowsEqualRunFiles(t *testing.T) {
	spec, err := dse.ParseSpec("rows.yaml", []byte(rowsSpec))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := dse.Run(context.Background(), spec, dse.Options{OutDir: dir, Workers: 2}); err != nil {
		t.Fatal(err)
	}
	var rows []dse.Row
	for r, err := range dse.Rows(context.Background(), spec, 0, 0) {
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 || len(rows) == int(spec.Size()) {
		t.Fatalf("%d rows of %d: the constraint should drop some and keep some", len(rows), spec.Size())
	}
	files, err := outputs.ResultFiles(filepath.Join(dir, "results"))
	if err != nil {
		t.Fatal(err)
	}
	cols := rows[0].Columns()
	n := 0
	err = outputs.ReadColumns(files, cols, func(b *outputs.ColumnBatch) error {
		for i := range b.Len {
			r := rows[n]
			n++
			for _, c := range b.Cols {
				v, ok := r.Value(c.Name)
				if !ok {
					return fmt.Errorf("row %d: no column %s", r.Index, c.Name)
				}
				if c.IsNull(i) {
					if v != nil {
						return fmt.Errorf("row %d %s: file null, Rows %v", r.Index, c.Name, v)
					}
					continue
				}
				var got, want any
				switch c.Kind {
				case outputs.KindFloat:
					want = c.Float[i]
					switch x := v.(type) {
					case float64:
						got = x
					case int64:
						got = float64(x)
					}
				case outputs.KindString:
					got, want = v, c.String[i]
				case outputs.KindBool:
					got, want = v, c.Bool[i]
				}
				if got != want && !(c.Kind == outputs.KindFloat && math.IsNaN(want.(float64))) {
					return fmt.Errorf("row %d %s: file %v, Rows %v (%T)", r.Index, c.Name, want, v, v)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(rows) {
		t.Fatalf("files hold %d rows, Rows yielded %d", n, len(rows))
	}
	r := rows[len(rows)-1]
	if v, _ := r.Value("include_embodied"); v != true {
		t.Errorf("include_embodied = %#v, want bool true", v)
	}
	if v, _ := r.Value("batch_size"); v != int64(16) {
		t.Errorf("batch_size = %#v, want int64 16", v)
	}
	if v, _ := r.Value("index"); v != r.Index {
		t.Errorf("index column %v, Index %d", v, r.Index)
	}
	if r.Config.Mode != engine.Serving || r.Config.Model.Key != "Llama3_70B" || r.Result.ITLS != r.Values()["itl_s"] {
		t.Errorf("typed config %v %s, result ITL %v, values %v", r.Config.Mode, r.Config.Model.Key, r.Result.ITLS, r.Values()["itl_s"])
	}
	if _, ok := r.Value("no_such_column"); ok {
		t.Error("an unknown column is found")
	}
}

// Rows honours a range, an early break, a cancelled context and bad bounds.
func TestRowsRangeAndStops(t *testing.T) {
	spec, err := dse.ParseSpec("rows.yaml", []byte(rowsSpec))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var idx []int64
	for r, err := range dse.Rows(ctx, spec, 3, 9) {
		if err != nil {
			t.Fatal(err)
		}
		if r.Index < 3 || r.Index >= 9 {
			t.Errorf("index %d outside [3, 9)", r.Index)
		}
		idx = append(idx, r.Index)
		if len(idx) == 2 {
			break
		}
	}
	if len(idx) != 2 || idx[0] >= idx[1] {
		t.Errorf("indexes %v", idx)
	}
	for _, b := range [][2]int64{{-1, 0}, {0, int64(spec.Size()) + 1}, {5, 4}} {
		for _, err := range dse.Rows(ctx, spec, b[0], b[1]) {
			if err == nil {
				t.Errorf("bounds %v: no error", b)
			}
			break
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	for _, err := range dse.Rows(cctx, spec, 0, 0) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled: %v", err)
		}
		break
	}
}

// Rows gives a Go program a sweep's results without files.
func ExampleRows() {
	spec, err := dse.ParseSpec("example.yaml", []byte(`grid:
  model: [Llama3_8B]
  hardware: [H100, B200]
  batch_size: [1, 4]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for row, err := range dse.Rows(context.Background(), spec, 0, 0) {
		if err != nil {
			fmt.Println(err)
			return
		}
		bs, _ := row.Value("batch_size") // int64
		fmt.Printf("%d %s %d %s %.4f\n", row.Index, row.Config.Hardware.Key, bs, row.Result.Bottleneck, row.Result.LatencyS)
	}
	// Output:
	// 0 H100 1 Memory 0.0083
	// 1 H100 4 Memory 0.0083
	// 2 B200 1 Memory 0.0047
	// 3 B200 4 Memory 0.0049
}

// ConfigurationValues types what Configuration prints: flags as bool,
// whole numbers as int64, names as strings, derived values as float64.
func TestConfigurationValues(t *testing.T) {
	spec, err := dse.ParseSpec("rows.yaml", []byte(rowsSpec))
	if err != nil {
		t.Fatal(err)
	}
	last := int64(spec.Size()) - 1
	v, err := dse.ConfigurationValues(spec, last)
	if err != nil {
		t.Fatal(err)
	}
	text, err := dse.Configuration(spec, last)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"include_embodied": true, "batch_size": int64(16), "model": "Llama3_70B",
		"hardware": "MI300X", "mode": "serving", "output_tokens": int64(64), "tokens_in_flight": float64(16 * 2048)} {
		if v[k] != want {
			t.Errorf("%s = %#v, want %#v (text %q)", k, v[k], want, text[k])
		}
	}
	if text["include_embodied"] != "1" || len(v) != len(text) {
		t.Errorf("Configuration %q; %d typed values for %d texts", text["include_embodied"], len(v), len(text))
	}
	if _, err := dse.ConfigurationValues(spec, last+1); err == nil {
		t.Error("an index past the grid: no error")
	}
}
