// Package calibration holds what the engine's calibrated fidelity knows
// about real hardware: per-hardware profiles (achievable matrix throughput
// by GEMM shape, achievable memory bandwidth, per-kernel and host-dispatch
// floors, attention-kernel efficiency, collective efficiency), the
// operator-level time model that uses them, the reader of the measurement
// files they are fitted to, and the fitter.
//
// Profiles fitted to measurements are embedded from data/*.json, each with
// its provenance. Hardware without measurements gets a profile derived from
// the reference (H100) one by a documented rule (Derive). The measurements
// the embedded profile was fitted to are embedded from reference/ for the
// accuracy report (LoadReference), with the held-out published rows:
// published.csv and nemo-training.csv (Run: the framework performance
// pages' large-scale pre-training runs, read by ParseRuns, their model and
// system names mapped to registry keys by RunModelKey and RunNodeKey).
//
// The package keeps no mutable state. A Set is the profiles one command
// uses: the embedded ones, any user profiles in their place (a file `sweep
// calibrate` wrote), and a derived profile per hardware entry, built once
// (NewSet; the nil *Set is the embedded profiles) and passed down. The
// engine resolves a configuration's *Profile from its Set once, when the
// hardware is set, and prices the configuration's work with it:
//
//	set, _ := calibration.NewSet(reg, mine) // or nil: the embedded profiles
//	p := set.Profile(h100)                   // measured, or derived by rule
//	d := calibration.DeviceFor(h100, registry.BF16)
//	t := p.DecodeStep(&d, &llama, 32, 2048, calibration.PyTorch).Total
//
// A measured point's software stack is one rule (Point.Software), used by
// the fitter and by the accuracy report alike. The stacks themselves are
// data (data/stacks.json: kernel choices, step overhead, sources; Stacks,
// StepOverhead), and so are the error bands of calibrated predictions
// (data/bands.json: a factor pair per BandClass at BandCoverage;
// EmbeddedBands). Beside the dense transformer the operator model times
// mixture-of-experts MLPs and latent attention (moe.go), Mamba layers
// (ssm.go, MambaPass), hybrid Mamba-Transformers block by block, Mamba-2's
// SSD scan among them (hybrid.go; Transformer.Blocks), diffusion U-Nets (unet.go, UNetFor) and CNN layers
// (cnn.go). The package imports
// registry but not engine, so that the engine and the fitter share one
// model.
package calibration
