package accuracy

import (
	"fmt"
	"strings"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/registry"
)

// SourceOf returns the source of a point: the measurement file it comes
// from, the part of Point.Source before the first ':'
// ("h100-2026-11-26.json" of "h100-2026-11-26.json:llm[3]"); for a row of
// a CSV file of published rows, the file and the row id's first word, the
// publication ("published.csv:narayanan2021" of
// "published.csv:narayanan2021_gpt3_384", "nemo-training.csv:nemo2511").
func SourceOf(src string) string {
	i := strings.IndexByte(src, ':')
	if i < 0 {
		return src
	}
	if !strings.HasSuffix(src[:i], ".csv") {
		return src[:i]
	}
	if j := strings.IndexByte(src[i+1:], '_'); j >= 0 {
		return src[:i+1+j]
	}
	return src
}

// heldOut fills Point.HeldOut of every point of rep.Points: the calibrated
// prediction with a profile fitted without the point's source
// (leave-one-source-out). For a point whose hardware has a measured
// profile in the set fitted to the point's source file (the file is in
// the profile's Provenance.Measurements and in the dataset), the profile
// is refitted (calibration.FitDataset, all classes) to the dataset's other
// files among those the profile was fitted to, and the point is predicted
// again with that profile in the set's place. Every other point — on a
// derived profile, or from a source no profile was fitted to (the
// published rows) — is already held out: HeldOut = Calibrated.
// ts are the targets of rep.Points' JSON and CSV points in the order
// Evaluate visited them (idx[i] the index in rep.Points of ts[i], -1 when
// the point was skipped).
func heldOut(reg *registry.Registry, profiles *calibration.Set, ds *calibration.Dataset, ts []calibration.Target, idx []int, rep *Report) error {
	for i := range rep.Points {
		rep.Points[i].HeldOut = rep.Points[i].Calibrated
	}
	inDS := map[string]bool{}
	for _, f := range ds.Files {
		inDS[f.Name] = true
	}
	for _, prof := range profiles.Measured() {
		fitted := map[string]bool{}
		for _, f := range prof.Provenance.Measurements {
			if inDS[f] {
				fitted[f] = true
			}
		}
		for _, f := range prof.Provenance.Measurements {
			if !fitted[f] {
				continue
			}
			sub := &calibration.Dataset{}
			for _, df := range ds.Files {
				if df.Name != f && fitted[df.Name] {
					sub.Files = append(sub.Files, df)
					sub.Points = append(sub.Points, df.Points...)
				}
			}
			var set *calibration.Set
			if len(sub.Points) > 0 {
				p, err := calibration.FitDataset(reg, sub, prof.Hardware, nil)
				if err != nil {
					return fmt.Errorf("leave-one-source-out fit for %s without %s: %w", prof.Hardware, f, err)
				}
				if set, err = calibration.NewSet(reg, &p); err != nil {
					return fmt.Errorf("leave-one-source-out fit for %s without %s: %w", prof.Hardware, f, err)
				}
			} else {
				// Nothing left to fit: the profile a fit starts from.
				hw, err := reg.Hardware(prof.Hardware)
				if err != nil {
					return err
				}
				p := calibration.Start(hw, nil)
				if set, err = calibration.NewSet(reg, &p); err != nil {
					return err
				}
			}
			ev := &evaluator{reg: reg, profiles: set}
			for i := range ts {
				tg := &ts[i]
				if idx[i] < 0 || SourceOf(tg.Point.Source) != f {
					continue
				}
				hw, err := reg.Hardware(calibration.HardwareKey(reg, tg.Point.GPU))
				if err != nil || hw.Key != prof.Hardware {
					continue
				}
				rep.Points[idx[i]].HeldOut = ev.predictPoint(tg, hw, engine.FidelityCalibrated)
			}
		}
	}
	return nil
}
