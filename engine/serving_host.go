package engine

import (
	"math"

	"github.com/mlsysim/mlsysim-go/calibration"
)

// decodeHostS returns the host time per decode step of batch sequences on
// the decode pool's tp GPUs that c's software stack adds beyond its time
// per engine step (calibration.DecodeHostS: per sequence and per
// tensor-parallel worker beyond the first; 0 on every stack but those
// with step_host_terms). With a draft model one target step, its drafts
// and verification, emits speculativeTokens(c) tokens on average, and the
// host's work is per step: the time per output token is the step's over
// them.
func decodeHostS(c *Config, batch, tp int) float64 {
	h := calibration.DecodeHostS(c.Calib.Software, batch, tp)
	if h == 0 || c.Serve.Draft == nil {
		return h
	}
	return h / speculativeTokens(c)
}

// speculativeTokens returns the tokens one speculative step emits on
// average: K = SpeculativeGamma draft tokens accepted each with the
// draft's acceptance rate a (DefaultDraftAcceptance when unset), E = 1 +
// a·(1 − a^K)/(1 − a), K + 1 at a ≥ 1 (speculate's E).
func speculativeTokens(c *Config) float64 {
	a := c.Serve.Acceptance
	if !(a > 0) {
		a = DefaultDraftAcceptance
	}
	if a >= 1 {
		return 1 + SpeculativeGamma
	}
	return 1 + a*(1-math.Pow(a, SpeculativeGamma))/(1-a)
}
