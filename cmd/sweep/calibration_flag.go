package main

import (
	"bytes"
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/registry"
)

// calibrationKey keys the command's calibration profile set in its context.
type calibrationKey struct{}

// useCalibration builds the command's calibration profile set once, before
// it runs: the embedded profiles, with those of the --calibration flag in
// place for their hardware, which must be a registry entry (with the
// --registry files). Each file is read through registry.ReadDataFile (a
// regular file of bounded size: a FIFO or a device is refused unread). The set travels in the command's context
// (profilesOf) and lasts that command line only. A file that does not read
// as a profile, or names unknown hardware, is bad input.
func useCalibration(cmd *cobra.Command) error {
	files, _ := cmd.Flags().GetStringSlice("calibration")
	if len(files) == 0 {
		return nil // a nil set: the embedded profiles
	}
	reg, err := loadRegistry(cmd)
	if err != nil {
		return err
	}
	var user []*calibration.Profile
	for _, path := range files {
		data, err := registry.ReadDataFile(path)
		if err != nil {
			return badInput(fmt.Errorf("--calibration: %w", err))
		}
		p, err := calibration.ReadProfile(bytes.NewReader(data))
		if err != nil {
			return badInput(fmt.Errorf("--calibration %s: not a calibration profile: %w", path, err))
		}
		if _, err := reg.Hardware(p.Hardware); err != nil {
			return badInput(fmt.Errorf("--calibration %s: %w", path, err))
		}
		user = append(user, p)
	}
	set, err := calibration.NewSet(reg, user...)
	if err != nil {
		return badInput(fmt.Errorf("--calibration: %w", err))
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	cmd.SetContext(context.WithValue(ctx, calibrationKey{}, set))
	return nil
}

// profilesOf returns the calibration profile set of the command line (nil:
// the embedded profiles).
func profilesOf(cmd *cobra.Command) *calibration.Set {
	if ctx := cmd.Context(); ctx != nil {
		set, _ := ctx.Value(calibrationKey{}).(*calibration.Set)
		return set
	}
	return nil
}
