package dse

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mlsysim/mlsysim-go/outputs"
)

// Status is how far a run, or each shard of a sharded run, has got, as its
// manifests record it.
type Status struct {
	Dir            string        `json:"dir"`
	Sweep          string        `json:"sweep"`
	Sharded        bool          `json:"sharded"`
	Merged         bool          `json:"merged,omitempty"`
	Complete       bool          `json:"complete"`
	Configurations uint64        `json:"configurations"`
	Enumerated     int64         `json:"enumerated"`
	Rows           int64         `json:"rows"`
	Parts          int           `json:"parts"`
	Shards         []ShardStatus `json:"shards,omitempty"`
	// Overrides are the registry entries the run's data files replaced
	// with `override: true`, as its manifest records them.
	Overrides []outputs.ManifestOverride `json:"overrides,omitempty"`
	// Damaged lists the parts the manifests record whose files fail
	// verification (VerifyPart), each with why: missing, truncated,
	// altered. A run with one is not complete, and Enumerated and Rows
	// count the sound parts only; run it again with --resume.
	Damaged []string `json:"damaged,omitempty"`
}

// verifyParts checks every part m lists under the run folder dir, and
// returns the configurations and rows of the sound ones and why each other
// one failed.
func verifyParts(dir string, m *outputs.Manifest) (enumerated, rows int64, damaged []string) {
	for _, p := range m.Parts {
		if err := VerifyPart(dir, p); err != nil {
			damaged = append(damaged, err.Error())
			continue
		}
		enumerated += p.Hi - p.Lo
		rows += p.Rows
	}
	return enumerated, rows, damaged
}

// Shard states of a ShardStatus.
const (
	ShardComplete   = "complete"
	ShardPartial    = "partial"
	ShardNotStarted = "not started"
)

// ShardStatus is the state of shard K of a sharded run.
type ShardStatus struct {
	K          int    `json:"k"`
	State      string `json:"state"` // ShardComplete, ShardPartial, ShardNotStarted
	Lo         int64  `json:"lo"`
	Hi         int64  `json:"hi"`
	Enumerated int64  `json:"enumerated"`
	Rows       int64  `json:"rows"`
}

// ReadStatus reads the manifests of the run folder dir: OUT/manifest.json
// of a single run, or OUT/manifests/shard-*.json of a sharded one (with
// OUT/manifest.json once merged), and verifies every part they list
// (VerifyPart: size, checksum, footer, rows). A folder with neither is an
// *InputError.
func ReadStatus(dir string) (*Status, error) {
	st := &Status{Dir: dir}
	top, topErr := outputs.ReadManifest(dir)
	if topErr != nil && !errors.Is(topErr, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", dir, topErr)
	}
	if top != nil && top.Shards == 0 {
		st.Sweep, st.Complete, st.Configurations = top.Sweep.Name, top.Complete, top.Configurations
		st.Enumerated, st.Rows, st.Damaged = verifyParts(dir, top)
		st.Parts = len(top.Parts)
		st.Overrides = top.Overrides
		st.Complete = st.Complete && len(st.Damaged) == 0
		return st, nil
	}
	files, _ := filepath.Glob(filepath.Join(dir, "manifests", "shard-*.json"))
	if len(files) == 0 {
		return nil, inputErr(fmt.Errorf("%s holds no run: no manifest.json nor manifests/shard-*.json", dir))
	}
	st.Sharded, st.Merged = true, top != nil
	byK := map[int]*outputs.Manifest{}
	n := 0
	for _, f := range files {
		m, err := outputs.ReadManifestFile(f)
		if err != nil {
			return nil, err
		}
		if m.Shard == nil {
			return nil, fmt.Errorf("%s: not a shard's manifest", f)
		}
		byK[m.Shard.K] = m
		n = max(n, m.Shard.N)
		st.Sweep, st.Configurations, st.Overrides = m.Sweep.Name, m.Configurations, m.Overrides
	}
	st.Complete = true
	for k := range n {
		m := byK[k]
		if m == nil {
			st.Shards = append(st.Shards, ShardStatus{K: k, State: ShardNotStarted})
			st.Complete = false
			continue
		}
		s := ShardStatus{K: k, State: ShardPartial, Lo: m.Lo, Hi: m.Hi}
		var damaged []string
		s.Enumerated, s.Rows, damaged = verifyParts(dir, m)
		st.Damaged = append(st.Damaged, damaged...)
		if m.Complete && len(damaged) == 0 {
			s.State = ShardComplete
		} else {
			st.Complete = false
		}
		st.Shards = append(st.Shards, s)
		st.Enumerated += s.Enumerated
		st.Rows += s.Rows
		st.Parts += len(m.Parts)
	}
	return st, nil
}

// MergeShards joins the complete shards of the run folder dir: the Pareto
// set of their union (re-evaluated from each shard's front indexes, since
// the front of a union is the front of the union of fronts) goes to
// OUT/pareto.parquet, and a manifest listing every shard's parts to
// OUT/manifest.json, which it returns. Shards of other inputs or of another
// split are refused (*InputError); so is a folder of a single run.
func MergeShards(spec *Spec, dir, version string) (*outputs.Manifest, error) {
	start := time.Now()
	st, err := ReadStatus(dir)
	if err != nil {
		return nil, err
	}
	lk, err := acquireLock(lockPath(dir, nil), func(string) {})
	if err != nil {
		return nil, err
	}
	defer lk.release()
	if !st.Sharded {
		return nil, inputErr(fmt.Errorf("%s holds a single run, not shards: nothing to merge", dir))
	}
	var missing []string
	for _, s := range st.Shards {
		if s.State != ShardComplete {
			missing = append(missing, fmt.Sprintf("%d (%s)", s.K, s.State))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: shards not complete: %s; run them (--shard K/N, or --resume) and merge again", dir, strings.Join(missing, ", "))
	}
	m := baseManifest(spec, runLayout{hi: int64(spec.Size())}, version, 0, start)
	m.Shards = len(st.Shards)
	var parts []outputs.Part
	var idx []int64
	for k := range st.Shards {
		f := filepath.Join(dir, outputs.ShardManifestFile(k))
		sm, err := outputs.ReadManifestFile(f)
		if err != nil {
			return nil, err
		}
		if err := sameInputs(sm, m, f); err != nil {
			return nil, inputErr(fmt.Errorf("merge refused: %w", err))
		}
		if sm.Shard.N != m.Shards {
			return nil, inputErr(fmt.Errorf("merge refused: %s is shard %d of %d, others are of %d", f, sm.Shard.K, sm.Shard.N, m.Shards))
		}
		parts = append(parts, sm.Parts...)
		idx = append(idx, sm.FrontIndexes...)
		m.Columns = sm.Columns
		m.Workers = max(m.Workers, sm.Workers)
		m.ElapsedS += sm.ElapsedS
	}
	setParts(m, parts)
	if !m.Complete {
		return nil, fmt.Errorf("%s: the shards' parts do not cover the grid [0, %d)", dir, spec.Size())
	}
	slices.Sort(idx)
	front, err := FrontOf(spec, slices.Compact(idx))
	if err != nil {
		return nil, err
	}
	m.FrontIndexes = FrontIndexes(front)
	if front != nil {
		pm, err := writeFront(spec, front, dir, version)
		if err != nil {
			return nil, err
		}
		m.Pareto = pm
	}
	if m.ElapsedS > 0 {
		m.ConfigsPerS = float64(m.Counts.Enumerated) / m.ElapsedS
	}
	if err := outputs.WriteManifest(dir, m); err != nil {
		return nil, err
	}
	return m, nil
}
