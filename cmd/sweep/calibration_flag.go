package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/mlsysim/mlsysim-go/calibration"
)

// useCalibration reads the profiles of the --calibration flag and puts each
// in place for its hardware, which must be a registry entry (with the
// --registry files). A file that does not read as a profile, or names
// unknown hardware, is bad input.
func useCalibration(cmd *cobra.Command) error {
	files, _ := cmd.Flags().GetStringSlice("calibration")
	if len(files) == 0 {
		return nil
	}
	reg, err := loadRegistry(cmd)
	if err != nil {
		return err
	}
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			return badInput(fmt.Errorf("--calibration: %w", err))
		}
		p, err := calibration.ReadProfile(f)
		f.Close()
		if err != nil {
			return badInput(fmt.Errorf("--calibration %s: not a calibration profile: %w", path, err))
		}
		hw, err := reg.Hardware(p.Hardware)
		if err != nil {
			return badInput(fmt.Errorf("--calibration %s: %w", path, err))
		}
		p.Hardware = hw.Key
		calibration.UseProfile(p)
	}
	return nil
}
