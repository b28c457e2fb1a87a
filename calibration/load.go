package calibration

import (
	"bytes"
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

//go:embed reference/h100-2026-11-26.json reference/h100-extra-2026-11-26.json reference/h100-gemm-dtypes-2026-11-26.json reference/h100-clocks-2026-11-26.json reference/h100-cnn-2026-11-26.json reference/published.csv reference/nemo-training.csv
var measFS embed.FS

// referenceFiles are the embedded measurement files the H100 profile was
// fitted to, published.csv and nemo-training.csv, in the order
// LoadReference reads them.
var referenceFiles = [...]string{"h100-2026-11-26.json", "h100-extra-2026-11-26.json", "h100-gemm-dtypes-2026-11-26.json", "h100-clocks-2026-11-26.json", "h100-cnn-2026-11-26.json", "published.csv", "nemo-training.csv"}

// ReferenceFiles returns the names of the embedded reference measurement
// files (calibration/reference): those the H100 profile was fitted to,
// published.csv and nemo-training.csv (published large-scale training
// throughput, held out of every fit).
func ReferenceFiles() []string { return append([]string(nil), referenceFiles[:]...) }

// Dataset is the points of a set of measurement files.
type Dataset struct {
	Files     []*File
	Published []Published
	Runs      []Run // published large-scale training runs (nemo-training.csv's format)
	Points    []Point
}

// LoadReference reads the embedded reference measurements.
func LoadReference() (*Dataset, error) {
	ds := &Dataset{}
	for _, n := range referenceFiles {
		b, err := measFS.ReadFile("reference/" + n)
		if err != nil {
			return nil, err
		}
		if err := ds.Add(n, b); err != nil {
			return nil, err
		}
	}
	return ds, nil
}

// LoadFiles reads measurement files from disk: *.csv in published.csv's
// format, or nemo-training.csv's where the header has a
// tokens_per_s_per_gpu column, anything else in the JSON format.
func LoadFiles(paths ...string) (*Dataset, error) {
	ds := &Dataset{}
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if err := ds.Add(filepath.Base(path), b); err != nil {
			return nil, err
		}
	}
	return ds, nil
}

// Add parses one file's bytes into the dataset.
func (ds *Dataset) Add(name string, b []byte) error {
	if strings.HasSuffix(strings.ToLower(name), ".csv") && isRunsCSV(b) {
		runs, err := ParseRuns(name, bytes.NewReader(b))
		if err != nil {
			return err
		}
		ds.Runs = append(ds.Runs, runs...)
		return nil
	}
	if strings.HasSuffix(strings.ToLower(name), ".csv") {
		rows, err := ParseCSV(name, bytes.NewReader(b))
		if err != nil {
			return err
		}
		ds.Published = append(ds.Published, rows...)
		for _, r := range rows {
			if pt, ok := r.Point(); ok {
				ds.Points = append(ds.Points, pt)
			}
		}
		return nil
	}
	f, err := ParseJSON(name, bytes.NewReader(b))
	if err != nil {
		return err
	}
	if len(f.Points) == 0 {
		return fmt.Errorf("%s: no points", name)
	}
	ds.Files = append(ds.Files, f)
	ds.Points = append(ds.Points, f.Points...)
	return nil
}
