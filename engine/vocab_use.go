package engine

import (
	"fmt"
	"strings"
)

// Which modes and fidelities use each parameter is declared on its entry
// (Param.Modes, Param.Fidelities), the one source of truth that `sweep
// check`, `sweep run` and `sweep eval` read. A parameter set where nothing
// uses it would leave every row unchanged while the file says otherwise, so:
//
//   - set in a sweep (fixed, grid, zip or derived) or an eval whose modes
//     none use it, it is an error at its position (UnusedInModes). With a
//     mode axis it is an error only when no mode of the axis uses it: the
//     rows of the other modes ignore it, as rows of a mode ignore the
//     outputs of another.
//   - set where no fidelity of the sweep uses it (efficiency under
//     calibrated; pp and ep in serving under mlsysim, Param.ServingFidelities),
//     it draws a note (UnusedUnderFidelitiesIn): the value is harmless and a
//     sweep may keep it for a run under the other fidelity.
//   - set without the parameter it needs (Param.Needs: decode_tp without
//     decode_hardware), it is an error at its position (UnsetNeeds).

// FidelityMask is a set of fidelities.
type FidelityMask uint8

// The fidelity masks.
const (
	UnderMLSysim    FidelityMask = 1 << FidelityMLSysim
	UnderCalibrated FidelityMask = 1 << FidelityCalibrated
	UnderAll                     = UnderMLSysim | UnderCalibrated
)

// Has reports whether m includes f.
func (m FidelityMask) Has(f Fidelity) bool { return m&(1<<f) != 0 }

// ModesOf returns the modes whose rows p changes (every mode when its entry
// declares none).
func (p *Param) ModesOf() ModeMask {
	if p.Modes == 0 {
		return InAll
	}
	return p.Modes
}

// FidelitiesOf returns the fidelities whose numbers p changes (both when
// its entry declares none).
func (p *Param) FidelitiesOf() FidelityMask {
	if p.Fidelities == 0 {
		return UnderAll
	}
	return p.Fidelities
}

// UnusedInModes returns an error when p, set for rows of the modes in run,
// changes none of them; nil when one of them uses it. The message names
// the modes that use p.
func UnusedInModes(p *Param, run ModeMask) error {
	use := p.ModesOf()
	if run == 0 || use&run != 0 {
		return nil
	}
	return fmt.Errorf("%s is not used in %s (only in %s): remove it, or set mode to one that uses it",
		p.Name, modeList(run), modeList(use))
}

// UnsetNeeds returns an error when p needs another parameter (Param.Needs)
// and set reports that one unset; nil otherwise.
func UnsetNeeds(p *Param, set func(name string) bool) error {
	if p.Needs == "" || set(p.Needs) {
		return nil
	}
	return fmt.Errorf("%s is used only with %s, which is not set: set %s, or remove %s", p.Name, p.Needs, p.Needs, p.Name)
}

// UnusedUnderFidelities returns a note when p, set for rows of the
// fidelities in run, changes none of them; "" when one uses it.
func UnusedUnderFidelities(p *Param, run FidelityMask) string {
	use := p.FidelitiesOf()
	if run == 0 || use&run != 0 {
		return ""
	}
	note := fmt.Sprintf("%s has no effect under %s (only under %s)", p.Name, fidelityList(run), fidelityList(use))
	if p.Name == "efficiency" {
		note += ": it is mlsysim's η; the calibrated fidelity takes its rates from the hardware's calibration profile"
	}
	return note
}

// UnusedUnderFidelitiesIn is UnusedUnderFidelities for rows of the modes
// in modes: when they are all serving rows and p declares
// ServingFidelities, those are the fidelities that use it (pp and ep under
// mlsysim in serving draw a note).
func UnusedUnderFidelitiesIn(p *Param, modes ModeMask, run FidelityMask) string {
	if p.ServingFidelities == 0 || modes != InServing {
		return UnusedUnderFidelities(p, run)
	}
	if run == 0 || p.ServingFidelities&run != 0 {
		return ""
	}
	return fmt.Sprintf("%s has no effect under %s in mode=serving (only under %s)", p.Name, fidelityList(run), fidelityList(p.ServingFidelities))
}

func modeList(m ModeMask) string {
	var out []string
	for md := Mode(0); md < numModes; md++ {
		if m.Has(md) {
			out = append(out, "mode="+md.String())
		}
	}
	return strings.Join(out, " or ")
}

func fidelityList(m FidelityMask) string {
	var out []string
	for f := Fidelity(0); f < numFidelities; f++ {
		if m.Has(f) {
			out = append(out, "fidelity="+f.String())
		}
	}
	return strings.Join(out, " or ")
}
