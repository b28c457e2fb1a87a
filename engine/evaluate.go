package engine

import "math"

// Evaluate computes the outcome of one configuration. It never fails and
// never allocates: a configuration that cannot run is a Result with
// Feasible false and a Reason. Every number of the Result is finite: one the
// arithmetic made NaN or ±Inf is 0 and the row infeasible (ReasonNumerical,
// unless it already had a reason). c must have passed Validate; Evaluate does not
// check it again, so that sweeps validate each axis once instead of each row.
func Evaluate(c *Config) (r Result) { // named: built in the caller's slot, not copied out
	evaluate(c, &r)
	return r
}

// evaluate is Evaluate, into r (zero on entry).
func evaluate(c *Config, r *Result) {
	if reason := refusal(c); reason != ReasonNone {
		// Arithmetic the hardware has no rate for, or a model that serves
		// no tokens: unpriced (workloads.go).
		if c.Fidelity == FidelityCalibrated {
			r.Calib.Kind = c.profile().Kind
		}
		r.Reason = reason
		return
	}
	switch {
	case c.Mode == Serving: // both fidelities: see solveServingScale
		solveServingScale(c, r)
	case c.Fidelity == FidelityCalibrated && !distributedActive(c):
		solveCalibrated(c, r)
	case distributedActive(c):
		solveDistributed(c, r)
	default:
		solveRoofline(c, r)
	}
	if r.Dist.Reason != DistOK && r.Reason == ReasonNone {
		r.Feasible, r.Reason = false, ReasonParallelism
	}
	if c.Fleet.DurationDays > 0 {
		solveFleet(c, r)
	}
	if !finite(r.LatencyS) || !finite(r.EnergyJ) || !finite(r.MemoryBytes) {
		r.Feasible, r.Reason = false, ReasonNumerical
	}
	if r.Reason == ReasonNone && c.Model.Parameters <= 0 && c.Model.ModelSizeBytes <= 0 {
		r.Feasible, r.Reason = false, ReasonNoWorkload
	}
	solveBand(c, r)
	if zeroNonFinite(r) && r.Reason == ReasonNone {
		r.Feasible, r.Reason = false, ReasonNumerical
	}
}

// zeroNonFinite sets every NaN or ±Inf number of r to 0 ("not computed", as
// for the fields a mode leaves alone) and reports whether it found one, so
// that no output of any mode is a non-finite number. It allocates nothing. Every float64 field of
// Result and of its model results is listed (TestZeroNonFiniteCoversResult).
func zeroNonFinite(r *Result) bool {
	// x·0 is 0 for finite x and NaN for NaN and ±Inf, so one sum tests
	// every field without a branch or a store. The sum is split into short
	// independent chains, whose additions overlap (measured ~35 ns a call,
	// where one chain of 69 took ~110 and a loop over their addresses ~230);
	// the zeroing below runs only for a result that has a non-finite number.
	core0 := r.LatencyS*0 + r.ThroughputPerS*0 + r.MFU*0 + r.HFU*0 + r.EnergyJ*0 + r.MemoryBytes*0 +
		r.ComputeS*0 + r.MemoryS*0 + r.OverheadS*0
	core1 := r.ArithmeticIntensity*0 + r.EffectiveFLOPS*0 + r.EffectiveBandwidth*0 +
		r.OffloadSpillBytes*0 + r.TTFTS*0 + r.ITLS*0 + r.KVCacheBytes*0 + r.TokensPerS*0 + r.WeightBytes*0
	dist0 := r.Dist.StepS*0 + r.Dist.ReplicaS*0 + r.Dist.CommS*0 + r.Dist.CommDPS*0 + r.Dist.CommTPS*0 +
		r.Dist.CommPPS*0 + r.Dist.CommEPS*0 + r.Dist.CommCPS*0
	dist1 := r.Dist.BubbleS*0 + r.Dist.BubbleFraction*0 + r.Dist.ScalingEfficiency*0 +
		r.Dist.SamplesPerS*0 + r.Dist.WeightsBytes*0 + r.Dist.GradientsBytes*0 + r.Dist.OptimizerBytes*0 +
		r.Dist.ActivationsBytes*0
	serve0 := r.Serve.PromptCacheHitRatio*0 + r.Serve.DecodeStallS*0 + r.Serve.SpeculativeSpeedup*0 +
		r.Serve.MemoryUtilization*0 + r.Serve.Fragmentation*0 + r.Serve.StaticFragmentation*0 +
		r.Serve.PagedTokensPerS*0
	serve1 := r.Serve.StaticTokensPerS*0 + r.Serve.BatchingSpeedup*0 + r.Serve.PerReplicaQPS*0 +
		r.Serve.BaseLatencyS*0 + r.Serve.P50S*0 + r.Serve.P99S*0 + r.Serve.QueueRho*0 +
		r.Serve.PrefillS*0 + r.Serve.DecodeS*0
	fleet0 := r.Fleet.EnergyITKWh*0 + r.Fleet.EnergyKWh*0 + r.Fleet.CarbonKg*0 + r.Fleet.WaterL*0 +
		r.Fleet.PUE*0 + r.Fleet.CapexUSD*0 + r.Fleet.EnergyCostUSD*0 + r.Fleet.MaintenanceUSD*0 +
		r.Fleet.OpexUSD*0
	fleet1 := r.Fleet.TCOUSD*0 + r.Fleet.CostPerMTokUSD*0 + r.Fleet.EnergyPerTokenJ*0 +
		r.Fleet.CostPerMTokInputUSD*0 + r.Fleet.CostPerMTokOutputUSD*0 +
		r.Fleet.FleetMTBFH*0 + r.Fleet.CheckpointIntervalS*0 + r.Fleet.ExpectedFailures*0 +
		r.Fleet.Goodput*0 + r.Fleet.CheckpointBytes*0 + r.Fleet.CheckpointWriteS*0
	calib := r.Calib.MatmulS*0 + r.Calib.AttentionS*0 + r.Calib.ElementwiseS*0 + r.Dist.StragglerS*0 + r.Calib.RoutedCopies*0 +
		r.Calib.MoELayerMicrobatches*0 + r.Calib.MoEExpertMicrobatches*0
	parts := r.Calib.Step.Sum()*0 + r.Calib.Prefill.Sum()*0 + r.Calib.Decode.Sum()*0
	band := r.Band.LatencyLoS*0 + r.Band.LatencyHiS*0 + r.Band.TTFTLoS*0 + r.Band.TTFTHiS*0 + r.Band.ITLLoS*0 + r.Band.ITLHiS*0
	s := core0 + core1 + dist0 + dist1 + serve0 + serve1 + fleet0 + fleet1 + calib + parts + band
	if s == 0 {
		return false
	}
	fs := [...]*float64{
		&r.LatencyS, &r.ThroughputPerS, &r.MFU, &r.HFU, &r.EnergyJ, &r.MemoryBytes, &r.ComputeS,
		&r.MemoryS, &r.OverheadS, &r.ArithmeticIntensity, &r.EffectiveFLOPS, &r.EffectiveBandwidth,
		&r.OffloadSpillBytes, &r.TTFTS, &r.ITLS, &r.KVCacheBytes, &r.TokensPerS, &r.WeightBytes,
		&r.Dist.StepS, &r.Dist.ReplicaS, &r.Dist.CommS, &r.Dist.CommDPS, &r.Dist.CommTPS,
		&r.Dist.CommPPS, &r.Dist.CommEPS, &r.Dist.CommCPS, &r.Dist.BubbleS, &r.Dist.BubbleFraction,
		&r.Dist.ScalingEfficiency, &r.Dist.SamplesPerS, &r.Dist.WeightsBytes, &r.Dist.GradientsBytes,
		&r.Dist.OptimizerBytes, &r.Dist.ActivationsBytes, &r.Serve.PromptCacheHitRatio,
		&r.Serve.DecodeStallS, &r.Serve.SpeculativeSpeedup, &r.Serve.MemoryUtilization,
		&r.Serve.Fragmentation, &r.Serve.StaticFragmentation, &r.Serve.PagedTokensPerS,
		&r.Serve.StaticTokensPerS, &r.Serve.BatchingSpeedup, &r.Serve.PerReplicaQPS,
		&r.Serve.BaseLatencyS, &r.Serve.P50S, &r.Serve.P99S, &r.Serve.QueueRho, &r.Serve.PrefillS,
		&r.Serve.DecodeS, &r.Fleet.EnergyITKWh,
		&r.Fleet.EnergyKWh, &r.Fleet.CarbonKg, &r.Fleet.WaterL, &r.Fleet.PUE, &r.Fleet.CapexUSD,
		&r.Fleet.EnergyCostUSD, &r.Fleet.MaintenanceUSD, &r.Fleet.OpexUSD, &r.Fleet.TCOUSD,
		&r.Fleet.CostPerMTokUSD, &r.Fleet.CostPerMTokInputUSD, &r.Fleet.CostPerMTokOutputUSD,
		&r.Fleet.EnergyPerTokenJ, &r.Fleet.FleetMTBFH,
		&r.Fleet.CheckpointIntervalS, &r.Fleet.ExpectedFailures, &r.Fleet.Goodput,
		&r.Fleet.CheckpointBytes, &r.Fleet.CheckpointWriteS, &r.Calib.MatmulS, &r.Calib.AttentionS,
		&r.Calib.ElementwiseS, &r.Calib.RoutedCopies, &r.Calib.MoELayerMicrobatches, &r.Calib.MoEExpertMicrobatches, &r.Dist.StragglerS, &r.Band.LatencyLoS, &r.Band.LatencyHiS, &r.Band.TTFTLoS, &r.Band.TTFTHiS,
		&r.Band.ITLLoS, &r.Band.ITLHiS,
	}
	bad := false
	for _, p := range fs {
		if x := *p; x-x != 0 {
			*p, bad = 0, true
		}
	}
	for _, t := range [...]*TimeParts{&r.Calib.Step, &r.Calib.Prefill, &r.Calib.Decode} {
		for _, p := range [...]*float64{&t.MatmulS, &t.AttentionS, &t.ElementwiseS, &t.OptimizerS, &t.OverheadS, &t.CommS, &t.CommPPS, &t.TransferS, &t.CommEPS} {
			if x := *p; x-x != 0 {
				*p, bad = 0, true
			}
		}
	}
	return bad
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
