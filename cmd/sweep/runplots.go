package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/mlsysim/mlsysim-go/dse"
)

// drawPlots draws the figures a sweep's plots section asks for into
// OUT/plots, through the same code as `sweep plot`. A Pareto figure takes
// the sweep's objectives.
func drawPlots(spec *dse.Spec, out string, stderr io.Writer) error {
	var objs []string
	for _, o := range spec.Objectives {
		dir := "min"
		if o.Maximize {
			dir = "max"
		}
		objs = append(objs, o.Name+":"+dir)
	}
	for _, p := range spec.Plots {
		o := &plotOptions{
			Out:        out,
			Kinds:      []string{p.Kind},
			X:          p.X,
			Y:          p.Y,
			Color:      p.Color,
			Group:      p.Group,
			Objectives: strings.Join(objs, ","),
			Formats:    p.Formats,
		}
		if p.Kind == "heatmap" { // the colour of a heatmap is its value
			o.Z, o.Color = p.Color, ""
		}
		if len(o.Formats) == 0 {
			o.Formats = []string{"png", "svg", "pdf"}
		}
		if _, err := drawFigures(o, spec.Registry, stderr); err != nil {
			return fmt.Errorf("plot %s: %w", p.Kind, err)
		}
	}
	return nil
}
