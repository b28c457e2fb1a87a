// Command sweep is the mlsysim-go command line: it evaluates one
// configuration (eval), runs sweeps of millions of them (run), validates
// sweep files (check, schema), and lists the registries (list).
//
//	sweep eval model=Llama3_8B hardware=H100 mode=serving --json
//	sweep list hardware
//
// Exit codes: 0 ok, 1 internal or I/O failure, 2 bad input, 3 a checked
// constraint failed, 130 interrupted.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/mlsysim/mlsysim-go/registry"
)

// version is the tool version, written into every output's metadata; the
// build may override it with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	tuneGC()
	exitOnSecondSignal()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// graceful is set while a command that stops cleanly on SIGINT or SIGTERM
// runs (run: it finishes the row being evaluated, commits the parts and
// the manifest, and exits 130).
var graceful atomic.Bool

// exitOnSecondSignal makes a second SIGINT or SIGTERM exit at once, with
// 130, while the command is still stopping after the first; a command that
// does not stop cleanly exits at once on the first, as it would by the
// signal's default action. Files become visible only by an atomic rename, so
// an exit at any point leaves every visible file valid (temporary files may
// remain, and the part being written is not kept).
func exitOnSecondSignal() {
	c := make(chan os.Signal, 2)
	signal.Notify(c, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-c
		if graceful.Load() {
			<-c
			fmt.Fprintln(os.Stderr, "sweep: second signal: stopping now; the parts in the manifest are complete")
		}
		os.Exit(exitInterrupted)
	}()
}

// defaultMaxMemory is the memory budget of a run, 1 GiB, unless
// --max-memory says otherwise: fixed rather than a share of the machine,
// so that a run's footprint is the same wherever it runs.
const defaultMaxMemory = 1 << 30

// baseMemory is the soft memory limit of a command that holds no row
// groups, and what a run needs besides them (the registry, the runtime,
// the Pareto fronts), with room for the collector: 224 MiB.
const baseMemory = 224 << 20

// tuneGC trades memory the runs do not need for time: a run allocates
// short-lived column buffers at a high rate while its live heap stays small,
// so collecting at 4× the live heap, under a soft limit (baseMemory, and
// for a run runMemory's), cuts the collector's share of a run. GOGC and
// GOMEMLIMIT override both.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(baseMemory)
	}
}

// runMemory splits a run's memory budget. Half of it may go to the row
// groups in flight (buffers, dse.Options.MaxBufferBytes): each worker
// holds one of rowGroup bytes (dse.RowGroupBytes, an estimate above the
// measured need), so at most buffers/rowGroup of the workers run at once.
// The soft limit covers what those workers hold on top of baseMemory, and
// never more than the budget:
//
//	limit = min(budget, baseMemory + active · rowGroup)
//
// so a small run collects as before, a run of many workers is not slowed
// by a collector that runs without pause (a fixed limit below its live
// heap did that), and no run's heap passes the budget.
func runMemory(budget, rowGroup int64, workers int) (limit, buffers int64) {
	buffers = budget / 2
	active := max(1, min(int64(workers), buffers/max(rowGroup, 1)))
	return min(budget, baseMemory+active*rowGroup), buffers
}

// run executes the command line and returns the exit code, so that deferred
// cleanup in commands always runs.
func run(args []string, stdout, stderr io.Writer) int {
	return runIO(args, os.Stdin, stdout, stderr)
}

// runIO is run with standard input given: the file name "-" reads it.
func runIO(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetIn(stdin)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	if !errors.Is(err, context.Canceled) { // an interrupt is the user's own; run says how far it got
		printError(stderr, err)
	}
	if strings.HasPrefix(err.Error(), "unknown command ") { // cobra's, for a mistyped command
		return exitBadInput
	}
	return exitCode(err)
}

// Bounds on an error message: a hostile input (a 1 MB key, an alias
// fan-out) must not make the message as large as itself.
const (
	maxErrorLines    = 100
	maxErrorLineSize = 512
)

// printError prints err after "sweep: ", each line cut to maxErrorLineSize
// bytes and at most maxErrorLines lines, then a count of the rest.
func printError(w io.Writer, err error) {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		if i == maxErrorLines {
			fmt.Fprintf(w, "… and %d more lines\n", len(lines)-i)
			break
		}
		if len(l) > maxErrorLineSize {
			n := maxErrorLineSize
			for n > 0 && !utf8.RuneStart(l[n]) {
				n--
			}
			l = l[:n] + "…"
		}
		if i == 0 {
			l = "sweep: " + l
		}
		fmt.Fprintln(w, l)
	}
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "sweep",
		Short:         "Analytical ML-systems simulator and design-space sweep runner",
		Long:          "sweep predicts latency, throughput, memory, energy and cost of training and serving ML models\non hardware from microcontrollers to GPU clusters, for one configuration or millions.",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return badInput(err) })
	root.PersistentFlags().StringSlice("registry", nil, "extra registry data `file`s (YAML) with your own hardware, models, ...")
	root.PersistentFlags().StringSlice("calibration", nil, "calibration profile `file`s (JSON, written by sweep calibrate) to use for their hardware in place of the embedded or derived profiles")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		graceful.Store(cmd.Name() == "run")
		return useCalibration(cmd)
	}
	root.AddCommand(newEvalCmd(), newListCmd(), newRunCmd(), newCheckCmd(), newSchemaCmd(), newCalibrateCmd(), newAccuracyCmd(), newPlotCmd(), newStatusCmd(), newScenarioCmd())
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" { // "sweep completion fish2" is a usage error, not its help
			c.RunE = func(c *cobra.Command, args []string) error {
				if len(args) > 0 {
					return badInput(fmt.Errorf("completion: unknown shell %q (bash, zsh, fish, powershell)", args[0]))
				}
				return c.Help()
			}
		}
	}
	root.SetHelpCommand(newHelpCmd(root))
	usageErrors(root)
	return root
}

// usageErrors makes every command's argument check an input error (exit
// 2), as an unknown flag or command already is: "sweep calibrate" without
// its DATA argument is a usage error, not a failure.
func usageErrors(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error { return badInput(check(cmd, args)) }
	}
	for _, sub := range c.Commands() {
		usageErrors(sub)
	}
}

// newHelpCmd is cobra's help command, except that a help topic that does
// not exist is a usage error (exit 2) rather than a message and exit 0.
func newHelpCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		RunE: func(cmd *cobra.Command, args []string) error {
			c, rest, err := root.Find(args)
			if err != nil || c == nil || len(rest) > 0 {
				return badInput(fmt.Errorf("unknown help topic %q (sweep --help lists the commands)", strings.Join(args, " ")))
			}
			c.InitDefaultHelpFlag()
			return c.Help()
		},
	}
}

// stdinName is how a file read from standard input ("-") is named in
// messages and positions.
const stdinName = "<stdin>"

// readInput reads the file named name, or standard input for "-", and
// returns the name to show in messages.
func readInput(cmd *cobra.Command, name string) (string, []byte, error) {
	if name != "-" {
		data, err := registry.ReadDataFile(name) // regular files, size-limited
		return name, data, err
	}
	data, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), registry.MaxDataFileBytes+1))
	if err != nil {
		return stdinName, nil, fmt.Errorf("standard input: %w", err)
	}
	if len(data) > registry.MaxDataFileBytes {
		return stdinName, nil, fmt.Errorf("standard input: larger than %d MiB, the most a data file may hold", registry.MaxDataFileBytes>>20)
	}
	return stdinName, data, nil
}
