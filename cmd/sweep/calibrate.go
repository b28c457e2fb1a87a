package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/mlsysim/mlsysim-go/calibration"
)

func newCalibrateCmd() *cobra.Command {
	var out, hw string
	cmd := &cobra.Command{
		Use:   "calibrate DATA...",
		Short: "Fit a calibration profile from GPU measurements",
		Long: "Fit the calibrated fidelity's profile (matrix throughput by GEMM shape, memory bandwidth, kernel and\n" +
			"host floors, attention efficiency) to measurement files in the format of gpu_groundtruth.py (JSON)\n" +
			"or published.csv. The same files always give byte-identical output.\n\n" +
			"Exit status: 0 on success, 2 for unreadable or malformed measurements.",
		Example: "  sweep calibrate h100-2026-11-26.json h100-extra-2026-11-26.json --out calibration/data/h100.json",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := loadRegistry(cmd)
			if err != nil {
				return err
			}
			ds, err := calibration.LoadFiles(args...)
			if err != nil {
				return badInput(err)
			}
			key := hw
			if key == "" {
				keys := ds.MeasuredKeys(reg)
				if len(keys) != 1 {
					return badInput(fmt.Errorf("the files hold measurements of %d registry hardware entries (%v); pick one with --hardware", len(keys), keys))
				}
				key = keys[0]
			}
			p, err := calibration.FitDataset(reg, ds, key, nil)
			if err != nil {
				return badInput(err)
			}
			b := p.Marshal()
			if out == "" || out == "-" {
				_, err = cmd.OutOrStdout().Write(b)
				return err
			}
			return os.WriteFile(out, b, 0o644)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write the profile to `FILE` (default: standard output)")
	cmd.Flags().StringVar(&hw, "hardware", "", "registry `name` of the measured hardware (default: the one the files name)")
	return cmd
}
