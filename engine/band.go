package engine

import (
	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/registry"
)

// BandResult is the error band of a calibrated prediction at the stated
// coverage of the committed bands (calibration.EmbeddedBands,
// calibration.BandCoverage: 80 % of held-out measurements fall inside):
// each headline output t bounded by [t·lo, t·hi] with its class's factors
// (bandClass). All zero under fidelity mlsysim, which carries no band, and
// for a result without a latency: the columns are then null (OK false).
type BandResult struct {
	OK                     bool
	LatencyLoS, LatencyHiS float64 // latency_s: the step (inference, training) or the request (serving)
	TTFTLoS, TTFTHiS       float64 // serving: ttft_s, the prefill class's band
	ITLLoS, ITLHiS         float64 // serving: itl_s, the decode class's band
}

// bandClass returns the band class of a non-serving calibrated result:
// training on more than one GPU is train-dist (train-dist/moe for a
// mixture of experts), on one GPU train (cnn-train for a model without
// transformer layers); inference is the prefill class's (a transformer's
// forward over its prompts) or cnn-forward.
func bandClass(c *Config) calibration.BandClass {
	tr := c.Model.Class.IsTransformer()
	switch {
	case c.Mode == Training && distributedActive(c):
		if c.Model.Class == registry.ClassMoE {
			return calibration.BandTrainMoE
		}
		return calibration.BandTrainDist
	case c.Mode == Training && tr:
		return calibration.BandTrain
	case c.Mode == Training:
		return calibration.BandCNNTrain
	case tr:
		return calibration.BandPrefill
	}
	return calibration.BandCNNForward
}

// solveBand sets r.Band for a result the calibrated fidelity priced
// (r.Calib.Kind set) with a positive latency. Serving: TTFT in the
// prefill band, ITL in the decode band, and the request latency, TTFT +
// the decode steps that follow, bounded term by term:
// [TTFT·lo_p + (L − TTFT)·lo_d, TTFT·hi_p + (L − TTFT)·hi_d] (both terms
// at their band's edge together, the widest the two bands allow). Other
// modes: latency in its class's band (bandClass). It allocates nothing.
func solveBand(c *Config, r *Result) {
	r.Band = BandResult{}
	if r.Calib.Kind == calibration.KindNone || !(r.LatencyS > 0) || c.Fidelity != FidelityCalibrated {
		return
	}
	bs := calibration.EmbeddedBands()
	if c.Mode == Serving {
		p, ok1 := bs.Get(calibration.BandPrefill)
		d, ok2 := bs.Get(calibration.BandDecode)
		if !ok1 || !ok2 {
			return
		}
		rest := max(r.LatencyS-r.TTFTS, 0)
		r.Band = BandResult{OK: true,
			LatencyLoS: r.TTFTS*p.Lo + rest*d.Lo, LatencyHiS: r.TTFTS*p.Hi + rest*d.Hi,
			TTFTLoS: r.TTFTS * p.Lo, TTFTHiS: r.TTFTS * p.Hi, ITLLoS: r.ITLS * d.Lo, ITLHiS: r.ITLS * d.Hi}
		return
	}
	b, ok := bs.Get(bandClass(c))
	if !ok {
		return
	}
	r.Band = BandResult{OK: true, LatencyLoS: r.LatencyS * b.Lo, LatencyHiS: r.LatencyS * b.Hi}
}

// bandOutputs are the error-band columns: null under fidelity mlsysim.
var bandOutputs = []*Output{
	{Name: "latency_s_lo", Unit: "s", Modes: InAll, Label: "Latency, low", Better: LowerIsBetter, NullWhen: NullIfNoBand,
		Doc:   "calibrated: lower edge of latency_s's error band (80 % of held-out measurements fall within latency_s_lo..latency_s_hi; docs/accuracy.md); null under fidelity mlsysim",
		Float: func(r *Result) float64 { return r.Band.LatencyLoS }},
	{Name: "latency_s_hi", Unit: "s", Modes: InAll, Label: "Latency, high", Better: LowerIsBetter, NullWhen: NullIfNoBand,
		Doc:   "calibrated: upper edge of latency_s's error band (80 % coverage); null under fidelity mlsysim",
		Float: func(r *Result) float64 { return r.Band.LatencyHiS }},
	{Name: "ttft_s_lo", Unit: "s", Modes: InServing, Label: "TTFT, low", Better: LowerIsBetter, NullWhen: NullIfNoBand,
		Doc:   "calibrated serving: lower edge of ttft_s's error band (the prefill class's, 80 % coverage); null under fidelity mlsysim",
		Float: func(r *Result) float64 { return r.Band.TTFTLoS }},
	{Name: "ttft_s_hi", Unit: "s", Modes: InServing, Label: "TTFT, high", Better: LowerIsBetter, NullWhen: NullIfNoBand,
		Doc:   "calibrated serving: upper edge of ttft_s's error band (80 % coverage); null under fidelity mlsysim",
		Float: func(r *Result) float64 { return r.Band.TTFTHiS }},
	{Name: "itl_s_lo", Unit: "s", Modes: InServing, Label: "ITL, low", Better: LowerIsBetter, NullWhen: NullIfNoBand,
		Doc:   "calibrated serving: lower edge of itl_s's error band (the decode class's, 80 % coverage); null under fidelity mlsysim",
		Float: func(r *Result) float64 { return r.Band.ITLLoS }},
	{Name: "itl_s_hi", Unit: "s", Modes: InServing, Label: "ITL, high", Better: LowerIsBetter, NullWhen: NullIfNoBand,
		Doc:   "calibrated serving: upper edge of itl_s's error band (80 % coverage); null under fidelity mlsysim",
		Float: func(r *Result) float64 { return r.Band.ITLHiS }},
}
