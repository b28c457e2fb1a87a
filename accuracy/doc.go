// Package accuracy holds the engine against real-GPU measurements: it
// evaluates both fidelities (mlsysim at η = 0.5, calibrated) on every
// measured point of a dataset (calibration.Dataset: the reference
// measurements embedded from calibration/reference, published.csv, and any
// files in the same formats), and reports per class of point, hardware and
// precision the mean, median and max absolute percentage error of each,
// with the points whose own repeat spread exceeds NoisySpread counted
// apart. Published multi-GPU training rows are priced on their registry
// cluster (PredictDistributed), and the framework performance pages'
// large-scale runs (calibration.Run) on clusters of their registry node
// (PredictRun), reported apart as Report.RunRows, with the runs that
// cannot be priced in Report.Skipped. For each GPU measured in the dataset's JSON
// files it also fits leave-one-class-out profiles (a profile fitted to the
// GEMMs and one of decode and prefill, predicting the other), and predicts
// every point held out by source (SourceOf: a profile refitted without its
// measurement file or publication). From the held-out residuals come the
// error bands (Report.BandResiduals, Report.Bands: calibration/data/bands.json);
// the software stacks' step overheads are fitted to the published rows that
// name them (Report.Stacks).
//
// The package works on the registry and the calibration profile set it is
// given, never on process-wide defaults, so that `sweep accuracy --registry
// ... --calibration ...` measures what the command line names:
//
//	ds, _ := accuracy.Load(true)                 // the embedded reference measurements
//	rep, _ := accuracy.Evaluate(reg, profiles, ds) // profiles: nil for the embedded ones
//	for _, r := range rep.Rows {
//		fmt.Println(r.Name(), r.Hardware, r.Calibrated.Median)
//	}
//
// It imports engine (the predictions) and calibration (the points, the
// profiles, the fitter); the engine imports neither it nor the fitter.
package accuracy
