package calibration

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// The embedded H100 profile is what fitting the embedded measurements
// gives, byte for byte.
func TestEmbeddedProfileReproduces(t *testing.T) {
	if testing.Short() {
		t.Skip("fits a profile")
	}
	ds := &Dataset{}
	for _, n := range referenceFiles[:5] {
		b, err := measFS.ReadFile("reference/" + n)
		if err != nil {
			t.Fatal(err)
		}
		if err := ds.Add(n, b); err != nil {
			t.Fatal(err)
		}
	}
	p, err := FitDataset(registry.Default(), ds, "H100", nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := dataFS.ReadFile("data/h100.json")
	if got := p.Marshal(); !bytes.Equal(got, want) {
		t.Errorf("fitted profile differs from data/h100.json:\n%s", got)
	}
}

func TestParseReference(t *testing.T) {
	ds, err := LoadReference()
	if err != nil {
		t.Fatal(err)
	}
	count := map[Class]int{}
	for _, p := range ds.Points {
		count[p.Class]++
	}
	// 104+104 bf16 GEMMs + 172 other precisions; 22+22 LLM rows; 41
	// published serving rows (A100 fp16, H100 and L40S fp8; 8 of them
	// tensor-parallel on 2 or 4 GPUs) and 23 vLLM static batches: 3 each on
	// the H200, A100 and H100 (1, 2 and 4 GPUs), 8 of DBRX on 4 and 8
	// H100s and 6 of Mixtral 8x22B on 4 and 8 A100s.
	want := map[Class]int{ClassGEMM: 380 + 144, ClassDecode: 27, ClassPrefill: 14 + 4 + 4 + 4 + 4, ClassTrain: 3, ClassServe: 5 + 8 + 8 + 4 + 3*3 + 8 + 6, ClassCNNForward: 8, ClassCNNTrain: 4}
	for c, n := range want {
		if count[c] != n {
			t.Errorf("%v: %d points, want %d", c, count[c], n)
		}
	}
	if len(ds.Published) != 73 {
		t.Errorf("%d published rows, want 73", len(ds.Published))
	}
}

// TestParseModes: a GEMM row's timing mode and fastest repeat are kept.
func TestParseModes(t *testing.T) {
	in := `{"meta":{"gpu":"X"},"gemm":[{"dtype":"bf16","M":2,"N":3,"K":4,"ms":0.2,"ms_min":0.1,"mode":"sustained"},{"dtype":"bf16","M":2,"N":3,"K":4,"ms":0.1}]}`
	f, err := ParseJSON("x", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if p := f.Points[0]; p.Mode != ModeSustained || p.MinS != 0.1e-3 || p.Spread() != 1 {
		t.Errorf("first point: %+v", p)
	}
	if p := f.Points[1]; p.Mode != "" || p.MinS != 0 {
		t.Errorf("second point: %+v", p)
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		`{}`,
		`{"meta":{"gpu":"X"},"gemm":[{"dtype":"bf16","M":0,"N":1,"K":1,"ms":1}]}`,
		`{"meta":{"gpu":"X"},"gemm":[{"dtype":"bf16","M":1,"N":1,"K":1,"ms":-1}]}`,
		`{"meta":{"gpu":"X"},"llm":[{"phase":"decode","batch":1,"ms":1,"cfg":{"hidden":8,"layers":1,"heads":1,"inter":8,"vocab":8}}]}`,
		`{"meta":{"gpu":"X"},"gemm":[{"dtype":"bf16","M":1,"N":1,"K":1,"ms":1,"mode":"warm"}]}`,
		`{"meta":{"gpu":"X"},"cnn":[{"model":"vgg16","phase":"forward","batch":1,"ms":1}]}`,
		`{"meta":{"gpu":"X"},"cnn":[{"model":"resnet50","phase":"forward","batch":1,"image":299,"ms":1}]}`,
		`{"meta":{"gpu":"X"},"cnn":[{"model":"resnet50","phase":"sideways","batch":1,"ms":1}]}`,
		`not json`,
	} {
		if _, err := ParseJSON("x", strings.NewReader(in)); err == nil {
			t.Errorf("ParseJSON(%s): no error", in)
		}
	}
}

func FuzzParseJSON(f *testing.F) {
	b, _ := measFS.ReadFile("reference/h100-2026-11-26.json")
	f.Add(b[:4000])
	f.Add([]byte(`{"meta":{"gpu":"g"},"gemm":[{"dtype":"bf16","M":1,"N":2,"K":3,"ms":0.1}],"llm":[{"phase":"prefill","batch":1,"seq":4,"ms":1,"cfg":{"hidden":8,"layers":1,"heads":2,"kv":1,"hd":4,"inter":8,"vocab":8}}]}`))
	f.Add([]byte(`{"meta":{"gpu":"g"},"gemm":[{"dtype":"bf16","M":1,"N":2,"K":3,"ms":0.1,"ms_min":0.09,"mode":"sustained"}]}`))
	f.Add([]byte(`{"meta":{"gpu":"g"},"cnn":[{"model":"resnet50","phase":"forward","batch":8,"image":224,"dtype":"bf16","ms":3.5,"ms_min":3.4}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ParseJSON("fuzz", bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, p := range file.Points {
			if !(p.S > 0) {
				t.Fatalf("point %s with time %v", p.Source, p.S)
			}
			if p.Mode != "" && p.Mode != ModeBurst && p.Mode != ModeSustained {
				t.Fatalf("point %s with mode %q", p.Source, p.Mode)
			}
			if p.Class == ClassGEMM && (p.M < 1 || p.N < 1 || p.K < 1) {
				t.Fatalf("gemm point %s with shape %dx%dx%d", p.Source, p.M, p.N, p.K)
			}
		}
	})
}

func ExampleFitDataset() {
	ds := &Dataset{}
	b, _ := measFS.ReadFile("reference/h100-2026-11-26.json")
	if err := ds.Add("h100-2026-11-26.json", b); err != nil {
		panic(err)
	}
	// Fit to the GEMM curve alone.
	p, err := FitDataset(registry.Default(), ds, "H100", []Class{ClassGEMM})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s: %d points, matrix fraction %.2f, bandwidth fraction %.2f\n", p.Hardware, p.Provenance.Points, p.MatmulFrac.BF16, p.MemBWFrac)
	// Output: H100: 104 points, matrix fraction 0.71, bandwidth fraction 0.86
}
