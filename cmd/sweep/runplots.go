package main

import (
	"io"

	"github.com/mlsysim/mlsysim-go/dse"
	"github.com/mlsysim/mlsysim-go/figures"
)

// drawPlots draws the figures a sweep's plots section asks for into
// OUT/plots, through the same code as `sweep plot`, and returns their paths.
func drawPlots(spec *dse.Spec, out string, stderr io.Writer) ([]string, error) {
	paths, err := figures.DrawSpec(spec, out, printSkipped(stderr))
	return paths, figureError(err)
}
