package accuracy

import "github.com/mlsysim/mlsysim-go/calibration"

// PooledHardware is the Hardware of a pooled row: its points are of every
// hardware and precision.
const PooledHardware = "all"

// MoEPooled returns the report's mixture-of-experts points pooled across
// hardware and precision, one Row each with Hardware PooledHardware: the
// published MoE training runs (the RunRows of subclass RunMoE) and the
// MoE serving points (the serve rows of subclass "moe"). Each row's
// statistics are over its points, the median the points' median, not the
// median of the rows' medians; its Precision and Profile are the first
// row's when every row agrees, else "". A kind without points has no row.
func (r *Report) MoEPooled() []Row {
	var out []Row
	for _, kind := range []struct {
		class calibration.Class
		rows  []Row
	}{{calibration.ClassTrainDist, r.RunRows}, {calibration.ClassServe, r.Rows}} {
		var p Row
		for i := range kind.rows {
			row := &kind.rows[i]
			if row.Class != kind.class || row.Mode != RunMoE {
				continue
			}
			if p.Mode == "" {
				p = Row{Class: row.Class, Mode: row.Mode, Hardware: PooledHardware, Precision: row.Precision, Profile: row.Profile}
			}
			p.pool(row)
		}
		if p.Mode == "" {
			continue
		}
		p.finishPooled()
		out = append(out, p)
	}
	return out
}

// RunModeAll is the Mode of a row of RunsByGPU: every subclass of the
// published training runs.
const RunModeAll = "all"

// RunsByGPU returns the published training runs pooled per hardware
// across subclass (dense, MoE, NeMo AutoModel) and precision, one Row per
// hardware with Mode RunModeAll, in the RunRows' order of first
// appearance: the figures a derived profile's matrix factor is adopted on
// (its held-out median and max over every run of the GPU). Precision and
// Profile are as MoEPooled sets them.
func (r *Report) RunsByGPU() []Row {
	var out []Row
	at := map[string]int{}
	for i := range r.RunRows {
		row := &r.RunRows[i]
		k, ok := at[row.Hardware]
		if !ok {
			k = len(out)
			at[row.Hardware] = k
			out = append(out, Row{Class: row.Class, Mode: RunModeAll, Hardware: row.Hardware, Precision: row.Precision, Profile: row.Profile})
		}
		out[k].pool(row)
	}
	for i := range out {
		out[i].finishPooled()
	}
	return out
}

// pool adds row's points to p, a pooled row: its precision and profile
// become "" and KindNone where the rows pooled differ.
func (p *Row) pool(row *Row) {
	if p.Precision != row.Precision {
		p.Precision = ""
	}
	if p.Profile != row.Profile {
		p.Profile = calibration.KindNone
	}
	p.MLSysim.merge(&row.MLSysim)
	p.Calibrated.merge(&row.Calibrated)
	p.HeldOut.merge(&row.HeldOut)
}

// finishPooled computes a pooled row's statistics once every row is in.
func (p *Row) finishPooled() {
	p.MLSysim.finish()
	p.Calibrated.finish()
	p.HeldOut.finish()
}
