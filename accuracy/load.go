package accuracy

import (
	"fmt"

	"github.com/mlsysim/mlsysim-go/calibration"
)

// Load returns the points the report holds the engine against: the
// embedded reference measurements when reference is set, then those of
// files (*.csv in published.csv's or nemo-training.csv's format, anything
// else in the JSON measurement format). A dataset without points or
// published runs is an error.
func Load(reference bool, files ...string) (*calibration.Dataset, error) {
	ds := &calibration.Dataset{}
	if reference {
		var err error
		if ds, err = calibration.LoadReference(); err != nil {
			return nil, fmt.Errorf("reference measurements: %w", err)
		}
	}
	if len(files) > 0 {
		user, err := calibration.LoadFiles(files...)
		if err != nil {
			return nil, err
		}
		ds.Files = append(ds.Files, user.Files...)
		ds.Published = append(ds.Published, user.Published...)
		ds.Runs = append(ds.Runs, user.Runs...)
		ds.Points = append(ds.Points, user.Points...)
	}
	if len(ds.Points) == 0 && len(ds.Runs) == 0 {
		return nil, fmt.Errorf("no measured points")
	}
	return ds, nil
}

// Figure returns the data of the predicted-vs-measured figure: for every
// point of the report, in its order, the measured seconds and each
// fidelity's prediction.
func (r *Report) Figure() (measured, mlsysim, calibrated []float64) {
	for _, p := range r.Points {
		measured = append(measured, p.Measured)
		mlsysim = append(mlsysim, p.MLSysim)
		calibrated = append(calibrated, p.Calibrated)
	}
	return measured, mlsysim, calibrated
}
