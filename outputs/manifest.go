package outputs

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Part is one results file: the configurations [Lo, Hi) it covers and the
// rows it holds (fewer than Hi-Lo when constraints drop rows).
type Part struct {
	File string `json:"file"` // relative to the run folder
	Lo   int64  `json:"lo"`
	Hi   int64  `json:"hi"`
	Rows int64  `json:"rows"`
}

// Manifest describes a run: what was asked, what was written, and enough
// hashes to tell whether the same inputs would give the same results. It is
// OUT/manifest.json, written last and atomically.
type Manifest struct {
	Tool           string         `json:"tool"`
	Version        string         `json:"version"`
	Sweep          ManifestSweep  `json:"sweep"`
	RegistrySHA256 string         `json:"registry_sha256"`
	Configurations uint64         `json:"configurations"` // in the whole grid
	Lo             int64          `json:"lo"`             // the range this run covered
	Hi             int64          `json:"hi"`
	Counts         ManifestCounts `json:"counts"`
	Complete       bool           `json:"complete"` // every configuration of [lo, hi) is in the parts
	Parts          []Part         `json:"parts"`
	Pareto         *ManifestFront `json:"pareto,omitempty"`
	Columns        []ManifestCol  `json:"columns"`
	Workers        int            `json:"workers"`
	Started        time.Time      `json:"started"`
	ElapsedS       float64        `json:"elapsed_s"`
	ConfigsPerS    float64        `json:"configs_per_s"`
}

// ManifestSweep identifies the sweep file.
type ManifestSweep struct {
	Name        string `json:"name"`
	File        string `json:"file"`
	SHA256      string `json:"sha256"`
	Description string `json:"description,omitempty"`
	Text        string `json:"text"` // the file itself, so the manifest reproduces the run alone
}

// ManifestCounts are the run's totals.
type ManifestCounts struct {
	Enumerated int64 `json:"enumerated"`
	Evaluated  int64 `json:"evaluated"`
	Feasible   int64 `json:"feasible"`
	Written    int64 `json:"written"`
}

// ManifestFront records the Pareto set file.
type ManifestFront struct {
	File       string   `json:"file"`
	Rows       int      `json:"rows"`
	Objectives []string `json:"objectives"` // "maximize:tokens_per_s"
	GroupBy    []string `json:"group_by,omitempty"`
}

// ManifestCol describes one column.
type ManifestCol struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Unit     string `json:"unit,omitempty"`
	Nullable bool   `json:"nullable,omitempty"`
	Doc      string `json:"doc,omitempty"`
}

// Columns lists s for a manifest.
func Columns(s *Schema) []ManifestCol {
	out := make([]ManifestCol, len(s.Cols))
	for i, c := range s.Cols {
		out[i] = ManifestCol{Name: c.Name, Type: c.Type.String(), Unit: c.Unit, Nullable: c.Nullable, Doc: c.Doc}
	}
	return out
}

// ManifestFile is the manifest's name inside a run folder.
const ManifestFile = "manifest.json"

// WriteManifest writes m to dir/manifest.json atomically.
func WriteManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, ManifestFile), append(b, '\n'))
}

// ReadManifest reads dir/manifest.json.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestFile), err)
	}
	return &m, nil
}
