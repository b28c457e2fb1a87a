package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/registry"
	"github.com/mlsysim/mlsysim-go/units"
)

// human formats a value in SI base units for people: "70.97 ms", "16.33 GB".
func human(v float64, unit string) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return fmt.Sprint(v)
	}
	switch unit {
	case "s":
		return units.Seconds(v).String()
	case "B":
		return units.Bytes(v).String()
	case "J":
		return units.Joules(v).String()
	case "W":
		return units.Watts(v).String()
	case "USD":
		return units.USD(v).String()
	case "kg":
		return units.KgCO2(v).String()
	case "B/s":
		return units.BytesPerSecond(v).String()
	case "FLOP/s":
		return units.FLOPSRate(v).String()
	case "":
		return fmt.Sprintf("%.4g", v)
	}
	return fmt.Sprintf("%.4g %s", v, unit)
}

func suggestParam(name string) []string {
	return registry.Suggest(name, engine.ParamNames())
}

// vocabularyHelp renders the parameter and output vocabulary for --help.
func vocabularyHelp() string {
	var b strings.Builder
	b.WriteString("Parameters (key=value):\n")
	for _, p := range engine.Params() {
		def := p.Default
		switch {
		case def == "" && (p.Name == "model" || p.Name == "hardware"):
			def = "required"
		case def == "":
			def = "unset"
		}
		kind := p.Type.String()
		if p.Type == engine.TypeEnum {
			kind = strings.Join(p.Enum, "|")
		}
		if p.Unit != "" {
			kind += ", " + p.Unit
		}
		use := ""
		if p.Modes != 0 {
			var ms []string
			for _, m := range []engine.Mode{engine.Inference, engine.Training, engine.Serving} {
				if p.Modes.Has(m) {
					ms = append(ms, m.String())
				}
			}
			use = "; mode " + strings.Join(ms, ", ")
		}
		for _, f := range []engine.Fidelity{engine.FidelityMLSysim, engine.FidelityCalibrated} {
			if p.FidelitiesOf() == engine.FidelityMask(1)<<f {
				use += "; fidelity " + f.String() + " only"
			}
		}
		fmt.Fprintf(&b, "  %-16s %s [%s; default %s%s]\n", p.Name, p.Doc, kind, def, use)
	}
	b.WriteString("\nOutputs (column names, SI units):\n")
	for _, o := range engine.Outputs() {
		u := o.Unit
		if u == "" {
			u = "-"
		}
		fmt.Fprintf(&b, "  %-22s %-7s %s\n", o.Name, u, o.Doc)
	}
	return b.String()
}
