package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlsysim/mlsysim-go/dse"
	"github.com/mlsysim/mlsysim-go/outputs"
)

func newStatusCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status OUT",
		Short: "Tell how far a run, or each shard of a sharded run, has got",
		Long: "status reads the manifests of the run folder OUT: for a single run, whether it is complete\n" +
			"and how many configurations and rows it holds; for a sharded run, which shards are complete,\n" +
			"which are partial or not started, and whether the shards were merged (sweep run --merge).",
		Example: "  sweep status out/big\n  sweep status out/big --json",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return badInput(errors.New("status takes one run folder"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := readStatus(args[0])
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			writeStatus(cmd.OutOrStdout(), st)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// runStatus is what status reports.
type runStatus struct {
	Dir            string        `json:"dir"`
	Sweep          string        `json:"sweep"`
	Sharded        bool          `json:"sharded"`
	Merged         bool          `json:"merged,omitempty"`
	Complete       bool          `json:"complete"`
	Configurations uint64        `json:"configurations"`
	Enumerated     int64         `json:"enumerated"`
	Rows           int64         `json:"rows"`
	Parts          int           `json:"parts"`
	Shards         []shardStatus `json:"shards,omitempty"`
}

type shardStatus struct {
	K          int    `json:"k"`
	State      string `json:"state"` // complete, partial, not started
	Lo         int64  `json:"lo"`
	Hi         int64  `json:"hi"`
	Enumerated int64  `json:"enumerated"`
	Rows       int64  `json:"rows"`
}

func readStatus(dir string) (*runStatus, error) {
	st := &runStatus{Dir: dir}
	top, topErr := outputs.ReadManifest(dir)
	if topErr != nil && !errors.Is(topErr, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", dir, topErr)
	}
	if top != nil && top.Shards == 0 {
		st.Sweep, st.Complete, st.Configurations = top.Sweep.Name, top.Complete, top.Configurations
		st.Enumerated, st.Rows, st.Parts = top.Counts.Enumerated, top.Counts.Written, len(top.Parts)
		return st, nil
	}
	files, _ := filepath.Glob(filepath.Join(dir, "manifests", "shard-*.json"))
	if len(files) == 0 {
		return nil, badInput(fmt.Errorf("%s holds no run: no manifest.json nor manifests/shard-*.json", dir))
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
		st.Sweep, st.Configurations = m.Sweep.Name, m.Configurations
	}
	st.Complete = true
	for k := range n {
		m := byK[k]
		if m == nil {
			st.Shards = append(st.Shards, shardStatus{K: k, State: "not started"})
			st.Complete = false
			continue
		}
		s := shardStatus{K: k, State: "partial", Lo: m.Lo, Hi: m.Hi, Enumerated: m.Counts.Enumerated, Rows: m.Counts.Written}
		if m.Complete {
			s.State = "complete"
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

func writeStatus(w io.Writer, st *runStatus) {
	state := "incomplete"
	if st.Complete {
		state = "complete"
	}
	pct := 0.0
	if st.Configurations > 0 {
		pct = 100 * float64(st.Enumerated) / float64(st.Configurations)
	}
	if !st.Sharded {
		fmt.Fprintf(w, "%s: run of %s, %s: %d of %d configurations (%.1f%%), %d rows in %d parts\n",
			st.Dir, st.Sweep, state, st.Enumerated, st.Configurations, pct, st.Rows, st.Parts)
		return
	}
	done := 0
	for _, s := range st.Shards {
		if s.State == "complete" {
			done++
		}
	}
	merged := ""
	if st.Merged {
		merged = ", merged"
	} else if st.Complete {
		merged = ", not merged yet (sweep run FILE --out " + st.Dir + " --merge)"
	}
	fmt.Fprintf(w, "%s: sharded run of %s, %s: %d of %d shards complete, %d of %d configurations (%.1f%%), %d rows%s\n",
		st.Dir, st.Sweep, state, done, len(st.Shards), st.Enumerated, st.Configurations, pct, st.Rows, merged)
	for _, s := range st.Shards {
		if s.State == "not started" {
			fmt.Fprintf(w, "  shard %d: not started\n", s.K)
			continue
		}
		fmt.Fprintf(w, "  shard %d: %s, configurations [%d, %d): %d done, %d rows\n", s.K, s.State, s.Lo, s.Hi, s.Enumerated, s.Rows)
	}
}

// mergeShards joins the complete shards of o.out: the Pareto set of their
// union (re-evaluated from each shard's front indexes) goes to
// OUT/pareto.parquet and a manifest listing every shard's parts to
// OUT/manifest.json.
func mergeShards(spec *dse.Spec, o runOptions, stdout io.Writer) error {
	start := time.Now()
	st, err := readStatus(o.out)
	if err != nil {
		return err
	}
	if !st.Sharded {
		return badInput(fmt.Errorf("%s holds a single run, not shards: nothing to merge", o.out))
	}
	var missing []string
	for _, s := range st.Shards {
		if s.State != "complete" {
			missing = append(missing, fmt.Sprintf("%d (%s)", s.K, s.State))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: shards not complete: %s; run them (--shard K/N, or --resume) and merge again", o.out, strings.Join(missing, ", "))
	}
	m := baseManifest(spec, runLayout{hi: int64(spec.Size())}, 0, start)
	m.Shards = len(st.Shards)
	var parts []outputs.Part
	var idx []int64
	for k := range st.Shards {
		f := filepath.Join(o.out, outputs.ShardManifestFile(k))
		sm, err := outputs.ReadManifestFile(f)
		if err != nil {
			return err
		}
		if err := sameInputs(sm, m, f); err != nil {
			return badInput(fmt.Errorf("merge refused: %w", err))
		}
		if sm.Shard.N != m.Shards {
			return badInput(fmt.Errorf("merge refused: %s is shard %d of %d, others are of %d", f, sm.Shard.K, sm.Shard.N, m.Shards))
		}
		parts = append(parts, sm.Parts...)
		idx = append(idx, sm.FrontIndexes...)
		m.Columns = sm.Columns
		m.Workers = max(m.Workers, sm.Workers)
		m.ElapsedS += sm.ElapsedS
	}
	setParts(m, parts)
	if !m.Complete {
		return fmt.Errorf("%s: the shards' parts do not cover the grid [0, %d)", o.out, spec.Size())
	}
	slices.Sort(idx)
	front, err := dse.FrontOf(spec, slices.Compact(idx))
	if err != nil {
		return err
	}
	m.FrontIndexes = dse.FrontIndexes(front)
	if front != nil {
		pm, err := writeFront(spec, front, o.out)
		if err != nil {
			return err
		}
		m.Pareto = pm
	}
	if m.ElapsedS > 0 {
		m.ConfigsPerS = float64(m.Counts.Enumerated) / m.ElapsedS
	}
	if err := outputs.WriteManifest(o.out, m); err != nil {
		return err
	}
	if !o.quiet {
		pr := 0
		if m.Pareto != nil {
			pr = m.Pareto.Rows
		}
		fmt.Fprintf(stdout, "%s: merged %d shards: %d configurations, %d rows, %d on the Pareto set\n",
			o.out, m.Shards, m.Counts.Enumerated, m.Counts.Written, pr)
	}
	return nil
}
