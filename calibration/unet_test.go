package calibration

import (
	"math"
	"testing"
)

// The Stable Diffusion 1.5 U-Net built from its configuration holds the
// model card's 860M parameters (convolutions, attention, feed-forward and
// time projections; norms and biases left out).
func TestStableDiffusion15Parameters(t *testing.T) {
	n := StableDiffusion15()
	if p := n.Parameters(); math.Abs(p/860e6-1) > 0.01 {
		t.Errorf("parameters %v, want 860M within 1%%", p)
	}
	if len(n.Blocks) != 16 {
		t.Errorf("%d transformer blocks, want 16 (6 down, 1 middle, 9 up)", len(n.Blocks))
	}
}
