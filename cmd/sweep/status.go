package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/mlsysim/mlsysim-go/dse"
)

func newStatusCmd() *cobra.Command {
	var asJSON, clean bool
	cmd := &cobra.Command{
		Use:   "status OUT",
		Short: "Tell how far a run, or each shard of a sharded run, has got",
		Long: "status reads the manifests of the run folder OUT: for a single run, whether it is complete\n" +
			"and how many configurations and rows it holds; for a sharded run, which shards are complete,\n" +
			"which are partial or not started, and whether the shards were merged (sweep run --merge).\n" +
			"Every part a manifest lists is verified (its size and SHA-256 as recorded, a readable footer,\n" +
			"its rows): a damaged part makes the run incomplete, and --resume writes it again.",
		Example: "  sweep status out/big\n  sweep status out/big --json\n  sweep status out/big --clean",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return badInput(errors.New("status takes one run folder"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if clean {
				removed, err := dse.CleanStale(args[0])
				for _, r := range removed {
					fmt.Fprintf(cmd.ErrOrStderr(), "removed %s\n", r)
				}
				if err != nil {
					return err
				}
			}
			st, err := dse.ReadStatus(args[0])
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
	cmd.Flags().BoolVar(&clean, "clean", false, "first remove the temporary files killed runs left in OUT (refused while a run holds it)")
	return cmd
}

// writeStatus prints st for people: one line for the run, one per shard.
func writeStatus(w io.Writer, st *dse.Status) {
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
		writeOverrides(w, st)
		writeDamaged(w, st)
		return
	}
	done := 0
	for _, s := range st.Shards {
		if s.State == dse.ShardComplete {
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
		if s.State == dse.ShardNotStarted {
			fmt.Fprintf(w, "  shard %d: not started\n", s.K)
			continue
		}
		fmt.Fprintf(w, "  shard %d: %s, configurations [%d, %d): %d done, %d rows\n", s.K, s.State, s.Lo, s.Hi, s.Enumerated, s.Rows)
	}
	writeOverrides(w, st)
	writeDamaged(w, st)
}

// writeOverrides lists the registry entries the run's data files replaced.
func writeOverrides(w io.Writer, st *dse.Status) {
	for _, o := range st.Overrides {
		fmt.Fprintf(w, "  override: %s %s from %s\n", o.Kind, o.Key, o.File)
	}
}

// writeDamaged lists the parts that failed verification.
func writeDamaged(w io.Writer, st *dse.Status) {
	for _, d := range st.Damaged {
		fmt.Fprintf(w, "  damaged: %s\n", d)
	}
	if len(st.Damaged) > 0 {
		fmt.Fprintf(w, "  (sweep run FILE --out %s --resume writes them again)\n", st.Dir)
	}
}
