package accuracy

import "strings"

// The accuracy goal every class of the published data is held to: the
// median absolute error at most GoalMedianPct and the largest at most
// GoalMaxPct, under the calibrated fidelity and held out (each point
// predicted without its source), so that a class meets it by prediction,
// not by fit.
const (
	GoalMedianPct = 10.0
	GoalMaxPct    = 25.0
)

// GoalRow is one class of the published data held to the goal: the row,
// and whether its calibrated and its held-out errors meet it.
type GoalRow struct {
	Row
	CalibratedMet, HeldOutMet bool
}

// Met reports whether the class meets the goal both calibrated and held
// out.
func (g *GoalRow) Met() bool { return g.CalibratedMet && g.HeldOutMet }

// meets reports whether errors s meet the goal: median ≤ GoalMedianPct and
// max ≤ GoalMaxPct.
func meets(s *ErrorStats) bool {
	return s.N > 0 && s.Median <= GoalMedianPct && s.Max <= GoalMaxPct
}

// Goal returns every class of the published data, in report order — the
// rows of Rows whose points all come from published sources (Row.Published),
// then RunRows — each with whether it meets the goal calibrated and held
// out. The project's own measurements (the H100 GEMMs, steps and CNNs
// measured with calibration/scripts) are the fit's data, not held to it.
func (r *Report) Goal() []GoalRow {
	var out []GoalRow
	for _, rows := range [][]Row{r.Rows, r.RunRows} {
		for i := range rows {
			row := &rows[i]
			if !row.Published {
				continue
			}
			out = append(out, GoalRow{Row: *row, CalibratedMet: meets(&row.Calibrated), HeldOutMet: meets(&row.HeldOut)})
		}
	}
	return out
}

// isPublished reports whether a point's source (Point.Source) is a row of
// a CSV of published measurements (published.csv, nemo-training.csv)
// rather than a measurement file.
func isPublished(src string) bool {
	i := strings.IndexByte(src, ':')
	return i > 0 && strings.HasSuffix(src[:i], ".csv")
}
