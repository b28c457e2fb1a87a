package calibration

import (
	"bytes"
	"fmt"
	"math"
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
	// 104+104 bf16 GEMMs + 172 other precisions; 22+22 LLM rows; 61
	// published TensorRT-LLM serving rows (A100 fp16, H100 and L40S fp8;
	// 12 of them tensor-parallel on 2 or 4 GPUs; the v0.5 page's H100 and
	// A100 throughput tables the last 20) and 23 vLLM static batches: 3 each on
	// the H200, A100 and H100 (1, 2 and 4 GPUs), 8 of DBRX on 4 and 8
	// H100s and 6 of Mixtral 8x22B on 4 and 8 A100s; 19 vLLM static batches
	// on 8 MI300Xs (9 of Oracle OCI's Llama 3.1 405B, 10 of AMD's
	// performance page's Llama 3.1 70B).
	want := map[Class]int{ClassGEMM: 380 + 144, ClassDecode: 27, ClassPrefill: 14 + 4 + 4 + 4 + 4, ClassTrain: 3, ClassServe: 5 + 8 + 8 + 4 + 8 + 4 + 8 + 3*3 + 8 + 6 + 9 + 10, ClassCNNForward: 8, ClassCNNTrain: 4}
	for c, n := range want {
		if count[c] != n {
			t.Errorf("%v: %d points, want %d", c, count[c], n)
		}
	}
	if len(ds.Published) != 112 {
		t.Errorf("%d published rows, want 112", len(ds.Published))
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

// A precision's GEMM kernel time is fitted where its products' shapes,
// each held out, are predicted better with it, after the matrix fraction
// and with the fraction held: points made by a profile whose fp8 product
// kernels take 11 µs (its other kernels KernelS) give a kernel time near
// it and a lower loss; one family of shapes alone cannot be held out, so
// no time is fitted from it.
func TestFitGEMMKernel(t *testing.T) {
	reg := registry.Default()
	hw, err := reg.Hardware("H100")
	if err != nil {
		t.Fatal(err)
	}
	truth := *Embedded().Profile(hw)
	truth.MatmulFrac.FP8, truth.GEMMKernelS = 0.7, PrecTime{FP8: 11e-6}
	truth.prepare()
	d := DeviceFor(hw, registry.FP8)
	var pts []Target
	for _, nk := range [][2]int{{4096, 4096}, {14336, 4096}, {8192, 8192}, {28672, 8192}} {
		for _, m := range []int{1, 16, 64, 128, 256, 512, 1024, 4096, 16384} {
			pt := Point{Class: ClassGEMM, Precision: "fp8", M: m, N: nk[0], K: nk[1]}
			pt.S = truth.Predict(&d, &pt)
			pts = append(pts, Target{Point: pt, Device: d})
		}
	}
	start := truth
	start.MatmulFrac.FP8, start.GEMMKernelS = start.MatmulFrac.BF16, PrecTime{}
	fp := param{name: "matmul_frac.fp8", lo: 0.05, hi: 1, get: func(q *Profile) *float64 { return &q.MatmulFrac.FP8 }}
	alone := minimise(start, []param{fp}, pts)
	got := fitGEMMKernel(alone, fp, registry.FP8, pts)
	if k := got.GEMMKernelS.FP8; math.Abs(k/11e-6-1) > 0.2 {
		t.Errorf("fp8 GEMM kernel time %.3g s, want about 11e-6", k)
	}
	if got.MatmulFrac != alone.MatmulFrac {
		t.Errorf("matrix fractions %+v, want the fraction alone's %+v (held)", got.MatmulFrac, alone.MatmulFrac)
	}
	if la, lg := Loss(&alone, pts), Loss(&got, pts); !(lg < la/4) {
		t.Errorf("loss %g with the kernel time, %g without", lg, la)
	}
	if got.GEMMKernelS.FP16 != 0 || got.GEMMKernelS.TF32 != 0 {
		t.Errorf("other precisions' kernel times set: %+v", got.GEMMKernelS)
	}
	one := fitGEMMKernel(alone, fp, registry.FP8, pts[:9]) // 4096×4096 only
	if one.GEMMKernelS != (PrecTime{}) || one.MatmulFrac != alone.MatmulFrac {
		t.Errorf("one shape family: kernel times %+v, fraction %g; want none and the fraction alone's", one.GEMMKernelS, one.MatmulFrac.FP8)
	}
	// A product's fixed time is its precision's GEMM kernel time; bf16
	// products, without one, take KernelS.
	db := DeviceFor(hw, registry.BF16)
	if g, want := truth.GEMMTime(&d, 1, 8192, 8192)-truth.gemmTimed(&d, 1, 1, 8192, 8192, 1).t, 11e-6; math.Abs(g-want) > 1e-15 {
		t.Errorf("fp8 product fixed time %g, want %g", g, want)
	}
	if g := truth.GEMMTime(&db, 1, 8192, 8192) - truth.gemmTimed(&db, 1, 1, 8192, 8192, 1).t; math.Abs(g-truth.KernelS) > 1e-15 {
		t.Errorf("bf16 product fixed time %g, want KernelS %g", g, truth.KernelS)
	}
}
