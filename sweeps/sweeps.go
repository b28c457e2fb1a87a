// Package sweeps holds the example studies. default.yaml is the sweep that
// `sweep run` runs when given no file; the others are real studies to copy.
package sweeps

import "embed"

// FS holds every example sweep file.
//
//go:embed *.yaml
var FS embed.FS

// DefaultName is the file of the embedded default sweep.
const DefaultName = "default.yaml"
