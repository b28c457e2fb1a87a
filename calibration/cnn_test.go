package calibration

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// The layer graphs reproduce the published sizes of the networks: weights
// (convolutions and classifier; torchvision's counts also hold the batch
// norm's 2 per channel and the classifier bias, under 0.5 %) and
// multiply-accumulates per 224×224 image (torchvision's model table,
// "GFLOPS" being multiply-adds: ResNet-18 1.81, ResNet-50 4.09,
// MobileNetV2 0.30).
func TestCNNShapes(t *testing.T) {
	hw, err := registry.Default().Hardware("H100")
	if err != nil {
		t.Fatal(err)
	}
	p := Embedded().Profile(hw)
	d := DeviceFor(hw, registry.BF16)
	for _, c := range []struct {
		key          string
		params, macs float64
	}{
		{"ResNet18", 11_689_512, 1.81e9},
		{"ResNet50", 25_557_032, 4.09e9},
		{"MobileNetV2", 3_504_872, 0.30e9},
	} {
		n, ok := CNNFor(c.key)
		if !ok {
			t.Fatalf("%s: unknown", c.key)
		}
		if got := n.Parameters(); math.Abs(got/c.params-1) > 0.02 {
			t.Errorf("%s: %.0f weights, torchvision %.0f", c.key, got, c.params)
		}
		b := p.CNNForward(&d, n, 1, Compiled)
		if got := b.FLOPs / 2; math.Abs(got/c.macs-1) > 0.03 {
			t.Errorf("%s: %.3g multiply-adds per image, published %.3g", c.key, got, c.macs)
		}
	}
}

// Properties: time grows with the batch, training costs more than a
// forward, the eager stack is never faster than the compiled one, and an
// eager pass at batch 1 is bound by the host.
func TestCNNProperties(t *testing.T) {
	hw, _ := registry.Default().Hardware("H100")
	p := Embedded().Profile(hw)
	d := DeviceFor(hw, registry.BF16)
	for key := range cnns {
		n, _ := CNNFor(key)
		prev := 0.0
		for _, B := range []int{1, 2, 8, 32, 128, 512} {
			f := p.CNNForward(&d, n, B, PyTorch)
			c := p.CNNForward(&d, n, B, Compiled)
			tr := p.CNNTrainStep(&d, n, B, PyTorch)
			if !(f.Total >= prev) || !(tr.Total > f.Total) || c.Total > f.Total*(1+1e-12) {
				t.Errorf("%s batch %d: forward %g (previous %g), compiled %g, train %g", key, B, f.Total, prev, c.Total, tr.Total)
			}
			prev = f.Total
		}
		if b := p.CNNForward(&d, n, 1, PyTorch); b.Host < b.gpu() {
			t.Errorf("%s batch 1: host %g below GPU %g", key, b.Host, b.gpu())
		}
	}
}

// SplitK states cuBLAS's choice on the H100 for 132 of the 150 products
// whose kernels were recorded (measurements/h100-splitk-*.json and
// h100-kernels-*.json: a kernel whose name says splitK).
func TestSplitKMatchesSurvey(t *testing.T) {
	var agree, n int
	for _, f := range []string{"measurements/h100-splitk-2026-11-26.json", "measurements/h100-kernels-2026-11-26.json"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			Shapes []struct {
				M, N, K int
				Kernels []struct{ Name string }
			}
		}
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		for _, sh := range s.Shapes {
			split := false
			for _, k := range sh.Kernels {
				if strings.Contains(k.Name, "splitK") && !strings.Contains(k.Name, "reduce") {
					split = true
				}
			}
			n++
			if SplitK(float64(sh.M), float64(sh.N), float64(sh.K)) == split {
				agree++
			}
		}
	}
	if n != 150 || agree != 132 {
		t.Errorf("SplitK agrees with cuBLAS on %d of %d products, want 132 of 150", agree, n)
	}
}
