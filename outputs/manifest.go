package outputs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
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
	// Evaluated and Feasible count the part's configurations that reached
	// the engine and those it found feasible, so that a resumed run's totals
	// are the sums over its parts.
	Evaluated int64 `json:"evaluated"`
	Feasible  int64 `json:"feasible"`
	// Bytes and SHA256 are the Parquet file's size and checksum when it
	// was committed; a resume or a status check compares the file with
	// them. ArrowBytes and ArrowSHA256 are those of the part's Arrow file,
	// CSVBytes and CSVSHA256 those of its CSV file, when the run writes
	// them. A run that writes no Parquet (formats without parquet) records
	// no Bytes and SHA256; File still names the part (its Arrow and CSV
	// files are named after it). Manifests of earlier versions lack the
	// sums (zero, ""): the Parquet file's footer and rows are then all
	// there is to check.
	Bytes       int64  `json:"bytes,omitempty"`
	SHA256      string `json:"sha256,omitempty"`
	ArrowBytes  int64  `json:"arrow_bytes,omitempty"`
	ArrowSHA256 string `json:"arrow_sha256,omitempty"`
	CSVBytes    int64  `json:"csv_bytes,omitempty"`
	CSVSHA256   string `json:"csv_sha256,omitempty"`
}

// SumFile returns the size and the SHA-256 (hex) of the file at path.
func SumFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", fmt.Errorf("%s: %w", path, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// Manifest describes a run: what was asked, what was written, and enough
// hashes to tell whether the same inputs would give the same results. It is
// OUT/manifest.json (OUT/manifests/shard-K.json for shard K of a sharded
// run), rewritten atomically after every part a run closes, so that at any
// moment, crash included, it describes the part files that are visible.
type Manifest struct {
	Tool           string        `json:"tool"`
	Version        string        `json:"version"`
	Sweep          ManifestSweep `json:"sweep"`
	RegistrySHA256 string        `json:"registry_sha256"`
	// CalibrationSHA256 hashes the embedded calibration profiles.
	CalibrationSHA256 string `json:"calibration_sha256"`
	// InputsSHA256 hashes the version, registry and calibration hashes:
	// what, with the sweep file, determines the numbers.
	InputsSHA256 string `json:"inputs_sha256"`
	// Overrides lists the registry entries that data files replaced with
	// `override: true` (registry.Registry.Overrides), in the order the
	// files were read: the numbers of the run depend on them, and the
	// registry's hash alone does not say which built-in entry a file
	// changed. Absent when nothing was overridden.
	Overrides []ManifestOverride `json:"overrides,omitempty"`
	// Shard is set for one shard of a sharded run.
	Shard *ManifestShard `json:"shard,omitempty"`
	// Shards is set on the manifest that merges the N shards of a sharded
	// run (its parts are every shard's).
	Shards         int            `json:"shards,omitempty"`
	Configurations uint64         `json:"configurations"` // in the whole grid
	Lo             int64          `json:"lo"`             // the range this run covered
	Hi             int64          `json:"hi"`
	Counts         ManifestCounts `json:"counts"`
	Complete       bool           `json:"complete"` // every configuration of [lo, hi) is in the parts
	Parts          []Part         `json:"parts"`
	Pareto         *ManifestFront `json:"pareto,omitempty"`
	// FrontIndexes are the configurations on the Pareto front of the parts
	// written so far (every group), sorted; a resumed run or a merge of
	// shards re-evaluates them to rebuild the front.
	FrontIndexes []int64       `json:"front_indexes,omitempty"`
	Columns      []ManifestCol `json:"columns"`
	Workers      int           `json:"workers"`
	Started      time.Time     `json:"started"`
	ElapsedS     float64       `json:"elapsed_s"`
	ConfigsPerS  float64       `json:"configs_per_s"`
}

// ManifestOverride is one registry entry a data file replaced on purpose.
type ManifestOverride struct {
	Kind string `json:"kind"` // "hardware", "model" ...
	Key  string `json:"key"`  // the entry's key
	File string `json:"file"` // the data file whose entry replaced it, as it was named
}

// ManifestShard says which slice of the grid a shard covers: shard K of N.
type ManifestShard struct {
	K int `json:"k"`
	N int `json:"n"`
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

// ShardManifestFile is the manifest of shard k inside a run folder.
func ShardManifestFile(k int) string {
	return filepath.Join("manifests", fmt.Sprintf("shard-%d.json", k))
}

// WriteManifest writes m to dir/manifest.json atomically.
func WriteManifest(dir string, m *Manifest) error {
	return WriteManifestFile(filepath.Join(dir, ManifestFile), m)
}

// WriteManifestFile writes m to path atomically.
func WriteManifestFile(path string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, append(b, '\n'))
}

// ReadManifest reads dir/manifest.json.
func ReadManifest(dir string) (*Manifest, error) {
	return ReadManifestFile(filepath.Join(dir, ManifestFile))
}

// ReadManifestFile reads the manifest at path.
func ReadManifestFile(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}
