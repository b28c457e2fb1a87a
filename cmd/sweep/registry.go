package main

import (
	"github.com/spf13/cobra"

	"github.com/mlsysim/mlsysim-go/registry"
)

// loadRegistry returns the embedded registry, extended by the files of the
// --registry flag when given.
func loadRegistry(cmd *cobra.Command) (*registry.Registry, error) {
	files, _ := cmd.Flags().GetStringSlice("registry")
	if len(files) == 0 {
		return registry.Embedded()
	}
	r, err := registry.New()
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if f == "-" { // standard input
			_, data, err := readInput(cmd, f)
			if err == nil {
				err = r.AddBytes(stdinName, data)
			}
			if err != nil {
				return nil, badInput(err)
			}
			continue
		}
		if err := r.AddFile(f); err != nil {
			return nil, badInput(err)
		}
	}
	return r, nil
}
