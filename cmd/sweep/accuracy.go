package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mlsysim/mlsysim-go/accuracy"
	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/plots"
)

func newAccuracyCmd() *cobra.Command {
	var figure string
	var noRef, asJSON bool
	cmd := &cobra.Command{
		Use:   "accuracy [DATA...]",
		Short: "Hold both fidelities against real-GPU measurements",
		Long: "Evaluate the engine on measured points (the embedded H100 measurements and published.csv, plus any\n" +
			"DATA files in the same formats) and print, per class of point and hardware, the mean, median and max\n" +
			"absolute percentage error of fidelity mlsysim (η = 0.5) and fidelity calibrated side by side, then\n" +
			"leave-one-class-out figures: for each measured GPU, a profile fitted to its GEMMs and one of\n" +
			"decode/prefill predicting the other. A point whose own repeat spread (median over fastest) exceeds\n" +
			"15% is counted and named as noisy; \"steady max\" leaves such points out.\n" +
			"Published multi-GPU training rows (Megatron-LM, MT-NLG on Selene) form the train-dist class: both\n" +
			"fidelities price the iteration on the registry cluster (calibrated: the megatron stack); nothing is\n" +
			"fitted to them. The framework performance pages' large-scale pre-training runs (nemo-training.csv:\n" +
			"NeMo, Megatron-Bridge, NeMo AutoModel) follow as train-dist/nemo, train-dist/moe and\n" +
			"train-dist/automodel, held out the same way, with the rows that cannot be priced and why. The report\n" +
			"ends with the goal every class of the published data is held to (median ≤ 10%, max ≤ 25%, calibrated\n" +
			"and held out): how many classes meet it and each one that misses.\n\n" +
			"Exit status: 0 on success, 2 for unreadable or malformed measurements.",
		Example: "  sweep accuracy\n  sweep accuracy my-gpu.json --figure accuracy.png",
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := loadRegistry(cmd)
			if err != nil {
				return err
			}
			ds, err := accuracy.Load(!noRef, args...)
			if err != nil {
				return badInput(err)
			}
			rep, err := accuracy.Evaluate(reg, profilesOf(cmd), ds)
			if err != nil {
				return badInput(err)
			}
			if asJSON {
				if err := writeAccuracyJSON(cmd.OutOrStdout(), rep); err != nil {
					return err
				}
			} else {
				writeAccuracy(cmd.OutOrStdout(), rep)
			}
			if figure != "" {
				meas, ml, ca := rep.Figure()
				series := []plots.AccuracySeries{
					{Name: "mlsysim (η = 0.5)", Measured: meas, Predicted: ml},
					{Name: "calibrated", Measured: meas, Predicted: ca},
				}
				if err := plots.AccuracyFigure(figure, "Predicted vs measured", series); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&figure, "figure", "", "also write a predicted-vs-measured figure to `FILE` (.png, .svg, .pdf)")
	cmd.Flags().BoolVar(&noRef, "no-reference", false, "leave out the embedded reference measurements")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as one JSON object: rows, moe_pooled (the mixture-of-experts points of every hardware pooled), runs_by_gpu (the published training runs of each GPU pooled), matrix_factors (the derived profiles' matrix factors fitted to them), train_dist, leave_one_class_out, bands, goal (the classes of the published data missing median ≤ 10 % / max ≤ 25 %, calibrated or held out) and every point")
	return cmd
}

func writeAccuracy(w io.Writer, rep *accuracy.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "class\thardware\tprecision\tprofile\tn\tmlsysim mean\tmedian\tmax\tcalibrated mean\tmedian\tmax\tsteady max\theld-out median\tmax\tworst point\t")
	for i := range rep.Rows {
		r := &rep.Rows[i]
		c := &r.Calibrated
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%.1f%%\t%.1f%%\t%.1f%%\t%.1f%%\t%.1f%%\t%.1f%%\t%s\t%.1f%%\t%.1f%%\t%s\t\n", r.Name(), r.Hardware, r.Precision, r.Profile,
			r.MLSysim.N, r.MLSysim.Mean, r.MLSysim.Median, r.MLSysim.Max, c.Mean, c.Median, c.Max, steady(c), r.HeldOut.Median, r.HeldOut.Max, worst(c))
	}
	tw.Flush()
	fmt.Fprintln(w, "held-out: each point predicted by a profile fitted without its source (leave-one-source-out; the calibrated figure where no fit used the source)")
	writeStacks(w, rep)
	writeBands(w, rep)
	if len(rep.Dist) > 0 {
		fmt.Fprintln(w, "\ntrain-dist: published multi-GPU training iterations (held out: nothing is fitted to them)")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "row\tshape\tmicrobatches\tmeasured s\tmlsysim s\terror\tcalibrated s\terror\t")
		for _, p := range rep.Dist {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.2f\t%.2f\t%+.1f%%\t%.2f\t%+.1f%%\t\n", strings.TrimPrefix(p.Source, "published.csv:"), p.Label, p.Microbatches,
				p.Measured, p.MLSysim, (p.MLSysim/p.Measured-1)*100, p.Calibrated, (p.Calibrated/p.Measured-1)*100)
		}
		tw.Flush()
	}
	if len(rep.LOO) > 0 {
		fmt.Fprintln(w, "\nleave-one-class-out: profile fitted without the held-out class")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "hardware\theld out\tfitted on\tn\tmean\tmedian\tmax\tsteady max\tworst point\t")
		for _, r := range rep.LOO {
			on := make([]string, len(r.FitOn))
			for i, c := range r.FitOn {
				on[i] = c.String()
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.1f%%\t%.1f%%\t%.1f%%\t%s\t%s\t\n", r.Hardware, r.HeldOut, strings.Join(on, "+"), r.Stats.N,
				r.Stats.Mean, r.Stats.Median, r.Stats.Max, steady(&r.Stats), worst(&r.Stats))
		}
		tw.Flush()
	}
	writeRuns(w, rep)
	writeMoEPooled(w, rep)
	writeMoEForms(w, rep)
	writeRunsByGPU(w, rep)
	writeGoal(w, rep)
}

// writeGoal prints how many classes of the published data meet the
// accuracy goal (accuracy.Report.Goal: median ≤ 10 %, max ≤ 25 %,
// calibrated and held out), then each class that misses it.
func writeGoal(w io.Writer, rep *accuracy.Report) {
	goal := rep.Goal()
	if len(goal) == 0 {
		return
	}
	met := 0
	for i := range goal {
		if goal[i].Met() {
			met++
		}
	}
	fmt.Fprintf(w, "\naccuracy goal on the published data (median ≤ %.0f%%, max ≤ %.0f%%, calibrated and held out): %d of %d classes meet it\n",
		accuracy.GoalMedianPct, accuracy.GoalMaxPct, met, len(goal))
	if met == len(goal) {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "misses\thardware\tprecision\tn\tcalibrated median\tmax\theld-out median\tmax\tworst point\t")
	for i := range goal {
		g := &goal[i]
		if g.Met() {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.1f%%\t%.1f%%\t%.1f%%\t%.1f%%\t%s\t\n", g.Name(), g.Hardware, g.Precision, g.Calibrated.N,
			g.Calibrated.Median, g.Calibrated.Max, g.HeldOut.Median, g.HeldOut.Max, g.HeldOut.WorstSource)
	}
	tw.Flush()
}

// writeMoEForms prints the forms of the megatron-core stack's MoE cost
// fitted to the published MoE runs (accuracy.CompareMoEForms): each
// form's value (alltoall, and HybridEP where the form fits its own), the
// MoE runs' median / max absolute error in sample and held out by release,
// and each class's held-out median / max.
func writeMoEForms(w io.Writer, rep *accuracy.Report) {
	if rep.MoEMicrobatch.N == 0 {
		return
	}
	forms := accuracy.CompareMoEForms(rep)
	fmt.Fprintf(w, "\nforms of megatron-core's MoE cost (accuracy.CompareMoEForms; scaled forms at %s rates × its rate over the run GPU's; median / max abs error, held out by release)\n", accuracy.MoEReferenceGPU)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "class\t")
	for _, f := range forms {
		fmt.Fprintf(tw, "%s\t", f.Name)
	}
	fmt.Fprint(tw, "\nvalue\t")
	for _, f := range forms {
		switch {
		case f.Joint:
			fmt.Fprintf(tw, "%.3f ms + %.1f ns, hybridep %.3f ms + %.1f ns\t", f.Fit.S*1e3, f.Copy.S*1e9, f.HybridEP.S*1e3, f.HybridEPCopy.S*1e9)
		case !f.Scaled && f.Name == "routed copy":
			fmt.Fprintf(tw, "%.1f ns\t", f.Fit.S*1e9)
		case !f.Scaled:
			fmt.Fprintf(tw, "%.3f ms\t", f.Fit.S*1e3)
		default:
			fmt.Fprintf(tw, "%.2f ms (share %.2f), hybridep %.2f ms (%.2f)\t", f.Fit.S*1e3, f.Share, f.HybridEP.S*1e3, f.HybridEPShare)
		}
	}
	fmt.Fprint(tw, "\nall, in sample\t")
	for _, f := range forms {
		fmt.Fprintf(tw, "%.1f / %.1f%%\t", f.All.Calibrated.Median, f.All.Calibrated.Max)
	}
	fmt.Fprint(tw, "\nall, held out\t")
	for _, f := range forms {
		fmt.Fprintf(tw, "%.1f / %.1f%%\t", f.All.HeldOut.Median, f.All.HeldOut.Max)
	}
	fmt.Fprintln(tw)
	for j, c := range forms[0].Classes {
		fmt.Fprintf(tw, "%s %s (%d)\t", c.Hardware, c.Precision, c.HeldOut.N)
		for _, f := range forms {
			fmt.Fprintf(tw, "%.1f / %.1f%%\t", f.Classes[j].HeldOut.Median, f.Classes[j].HeldOut.Max)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// writeRunsByGPU prints the published training runs of each GPU pooled
// across class and precision (accuracy.Report.RunsByGPU): what a derived
// profile's matrix factor is adopted on.
func writeRunsByGPU(w io.Writer, rep *accuracy.Report) {
	rows := rep.RunsByGPU()
	if len(rows) == 0 {
		return
	}
	fmt.Fprintln(w, "\npublished training runs per GPU, every class and precision pooled (median and max over the runs)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "hardware\tprofile\tn\tcalibrated median\tmax\theld-out median\tmax\tworst point\t")
	for i := range rows {
		r := &rows[i]
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f%%\t%.1f%%\t%.1f%%\t%.1f%%\t%s\t\n", r.Hardware, r.Profile, r.Calibrated.N,
			r.Calibrated.Median, r.Calibrated.Max, r.HeldOut.Median, r.HeldOut.Max, r.HeldOut.WorstSource)
	}
	tw.Flush()
}

// writeMoEPooled prints the mixture-of-experts points of every hardware
// and precision pooled (accuracy.Report.MoEPooled): the published MoE
// training runs and the MoE serving points, each with its median over the
// points, held out beside the calibrated figure and mlsysim's before it.
func writeMoEPooled(w io.Writer, rep *accuracy.Report) {
	rows := rep.MoEPooled()
	if len(rows) == 0 {
		return
	}
	fmt.Fprintln(w, "\nmixtures of experts, every hardware and precision pooled (median and max over the points)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "class	n	mlsysim median	max	calibrated median	max	held-out median	max	worst point	")
	for i := range rows {
		r := &rows[i]
		mlN := ""
		if r.MLSysim.N != r.Calibrated.N {
			mlN = fmt.Sprintf(" (%d)", r.MLSysim.N)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f%%%s\t%.1f%%\t%.1f%%\t%.1f%%\t%.1f%%\t%.1f%%\t%s\t\n", r.Name(), r.Calibrated.N, r.MLSysim.Median, mlN, r.MLSysim.Max,
			r.Calibrated.Median, r.Calibrated.Max, r.HeldOut.Median, r.HeldOut.Max, r.Calibrated.WorstSource)
	}
	tw.Flush()
}

// writeStacks prints the software stacks' step overheads fitted to the
// published points that name them, and the value fitted without each
// source (the held-out figures of those points).
func writeStacks(w io.Writer, rep *accuracy.Report) {
	writeMoEMicrobatch(w, rep)
	writeMatrixFactors(w, rep)
	if len(rep.Stacks) == 0 {
		return
	}
	fmt.Fprintln(w, "\nsoftware stacks fitted to their published points (calibration/data/stacks.json: step_overhead_s)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "stack\tpoints\tstep overhead\tcommitted\tfitted without each source\t")
	for _, f := range rep.Stacks {
		if f.HostTerms {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2f ms\t%.2f ms\t%s\t\n", f.Software, f.N, f.StepOverheadS*1e3, f.Committed*1e3, msBySource(f.WithoutS))
	}
	tw.Flush()
	writeHostTerms(w, rep)
}

// writeHostTerms prints the stacks whose host time per decode step is
// fitted as three terms (calibration.Stack.StepHostTerms): per step, per
// sequence, per tensor-parallel worker beyond the first, fitted to all
// their points and without each source.
func writeHostTerms(w io.Writer, rep *accuracy.Report) {
	terms := func(a, b, c float64) string {
		return fmt.Sprintf("%.2f ms + %.3f ms·batch + %.2f ms·(tp−1)", a*1e3, b*1e3, c*1e3)
	}
	for _, f := range rep.Stacks {
		if !f.HostTerms {
			continue
		}
		fmt.Fprintf(w, "\n%s: host time per decode step fitted to its %d points on any number of GPUs (step_overhead_s, step_seq_s, step_worker_s)\n", f.Software, f.N)
		fmt.Fprintf(w, "  fitted     %s\n  committed  %s\n", terms(f.StepOverheadS, f.SeqS, f.WorkerS), terms(f.Committed, f.CommittedSeqS, f.CommittedWorker))
		srcs := make([]string, 0, len(f.WithoutTerms))
		for s := range f.WithoutTerms {
			srcs = append(srcs, s)
		}
		sort.Strings(srcs)
		for _, s := range srcs {
			t := f.WithoutTerms[s]
			fmt.Fprintf(w, "  without %s: %s\n", s, terms(t[0], t[1], t[2]))
		}
	}
}

// msBySource lists a value fitted without each source, "source: x.xx ms",
// sorted by source and joined by commas.
func msBySource(without map[string]float64) string {
	srcs := make([]string, 0, len(without))
	for s := range without {
		srcs = append(srcs, s)
	}
	sort.Strings(srcs)
	for i, s := range srcs {
		srcs[i] = fmt.Sprintf("%s: %.2f ms", s, without[s]*1e3)
	}
	return strings.Join(srcs, ", ")
}

// writeMoEMicrobatch prints the megatron-core stack's time per MoE layer
// per micro-batch fitted to the published MoE runs of each dispatcher
// (alltoall: moe_layer_microbatch_s; HybridEP: moe_layer_microbatch_hybridep_s),
// and the value fitted without each release (the held-out figures of its
// runs).
func writeMoEMicrobatch(w io.Writer, rep *accuracy.Report) {
	if rep.MoEMicrobatch.N == 0 && rep.MoEMicrobatchHybridEP.N == 0 {
		return
	}
	fmt.Fprintln(w, "\nmegatron-core fitted to its published MoE runs (calibration/data/stacks.json: per MoE layer per micro-batch, by the recipe's token dispatcher)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "dispatcher\tvalue\truns\tper layer·micro-batch\tcommitted\tfitted without each release\t")
	for _, d := range []struct {
		name, key string
		f         *accuracy.MoEMicrobatchFit
	}{
		{"alltoall", "moe_layer_microbatch_s", &rep.MoEMicrobatch},
		{"hybridep", "moe_layer_microbatch_hybridep_s", &rep.MoEMicrobatchHybridEP},
	} {
		if f := d.f; f.N > 0 {
			fmt.Fprintf(tw, "%s\t%s\t%d (%d fitted, the others out of memory)\t%.2f ms\t%.2f ms\t%s\t\n", d.name, d.key, f.N, f.Fitted, f.S*1e3, f.Committed*1e3, msBySource(f.WithoutS))
		}
	}
	tw.Flush()
}

// writeMatrixFactors prints the derived profiles' matrix factors fitted
// to each GPU's published dense Megatron-Core runs (accuracy.
// MatrixFactorFit): fitted, committed (none: the GPU's profile stays
// derived) and fitted without each release, the value that release's runs
// are predicted with in the held-out column where the factor is committed.
func writeMatrixFactors(w io.Writer, rep *accuracy.Report) {
	if len(rep.MatrixFactors) == 0 {
		return
	}
	fmt.Fprintln(w, "\nderived profiles' matrix factors fitted to the GPU's published dense Megatron-Core runs (calibration/data/matrix_fits.json; profile \"fitted\" where committed)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "hardware\truns\tfactor\tcommitted\tfitted without each release\t")
	for _, f := range rep.MatrixFactors {
		c := "none (derived)"
		if f.Committed > 0 {
			c = fmt.Sprintf("%.4f", f.Committed)
		}
		rels := make([]string, 0, len(f.WithoutS))
		for _, r := range f.Releases {
			rels = append(rels, fmt.Sprintf("%s: %.4f", r, f.WithoutS[r]))
		}
		fmt.Fprintf(tw, "%s\t%d\t%.4f\t%s\t%s\t\n", f.Hardware, f.N, f.Factor, c, strings.Join(rels, ", "))
	}
	tw.Flush()
}

// bandTolerance is how far a class's coverage on held-out sources may
// fall from the stated one and still count as holding.
const bandTolerance = 0.05

// bandMinPoints is the fewest points whose coverage says anything: with
// fewer, one point moves it by more than the tolerance twice over.
const bandMinPoints = 10

// writeBands prints the error bands recomputed from the report's held-out
// residuals (accuracy.Report.Bands) at the stated coverage, with the
// coverage of each class's points and of each source's points by the band
// of the other sources, and whether the committed bands the engine uses
// are these.
func writeBands(w io.Writer, rep *accuracy.Report) {
	b, checks := rep.Bands(calibration.BandCoverage)
	if len(checks) == 0 {
		return
	}
	same := bytes.Equal(b.Marshal(), calibration.EmbeddedBands().Marshal())
	fmt.Fprintf(w, "\nerror bands at %.0f%% coverage from the held-out residuals (latency_s_lo/_hi ...; the committed calibration/data/bands.json: %s)\n",
		calibration.BandCoverage*100, map[bool]string{true: "the same", false: "differs: these data or profiles are not the reference"}[same])
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "band class\tn\tsources\tlow\thigh\tcoverage\theld-out coverage\tcheck\t")
	for _, ck := range checks {
		cross, verdict := "-", "one source: not checkable"
		if !math.IsNaN(ck.CrossCoverage) {
			cross = fmt.Sprintf("%.0f%%", ck.CrossCoverage*100)
			switch d := ck.CrossCoverage - calibration.BandCoverage; {
			case ck.Band.N < bandMinPoints:
				verdict = fmt.Sprintf("n < %d: not checkable", bandMinPoints)
			case math.Abs(d) <= bandTolerance:
				verdict = "holds"
			case d > 0:
				verdict = "holds (conservative)"
			default:
				verdict = "misses"
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t×%.3f\t×%.3f\t%.0f%%\t%s\t%s\t\n", ck.Class, ck.Band.N, ck.Band.Sources, ck.Band.Lo, ck.Band.Hi, ck.Coverage*100, cross, verdict)
	}
	tw.Flush()
}

// writeRuns prints the published large-scale training runs: per subclass,
// hardware and precision the signed median and the median and max absolute
// error of both fidelities, then every run, then the runs left out and why.
func writeRuns(w io.Writer, rep *accuracy.Report) {
	if len(rep.Runs) == 0 && len(rep.Skipped) == 0 {
		return
	}
	fmt.Fprintln(w, "\npublished large-scale training (NeMo, Megatron-Bridge and NeMo AutoModel performance pages; nothing is fitted to them but megatron-core's time per MoE layer per micro-batch and the committed matrix factors of profiles \"fitted\", held out: each run with the values fitted without its release)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "class\thardware\tprecision\tprofile\tn\tmlsysim median\tmax\tcalibrated median\tmax\theld-out median\tmax\tworst point\t")
	for i := range rep.RunRows {
		r := &rep.RunRows[i]
		mlN := ""
		if r.MLSysim.N != r.Calibrated.N {
			mlN = fmt.Sprintf(" (%d)", r.MLSysim.N) // the runs mlsysim's layout prices
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%.1f%%%s\t%.1f%%\t%.1f%%\t%.1f%%\t%.1f%%\t%.1f%%\t%s\t\n", r.Name(), r.Hardware, r.Precision, r.Profile,
			r.Calibrated.N, r.MLSysim.Median, mlN, r.MLSysim.Max, r.Calibrated.Median, r.Calibrated.Max, r.HeldOut.Median, r.HeldOut.Max, r.Calibrated.WorstSource)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "run\tcontainer\tprecision\tlayout\tmicrobatches\tmeasured s\tmlsysim s\terror\tcalibrated s\terror\t")
	var na []accuracy.RunPoint
	for _, p := range rep.Runs {
		fits := ""
		if !p.Feasible {
			fits = " (out of memory)"
		}
		ml, mlErr := fmt.Sprintf("%.2f", p.MLSysim), fmt.Sprintf("%+.1f%%", (p.MLSysim/p.Measured-1)*100)
		if p.MLSysimNA != "" {
			ml, mlErr = "n/a", "-"
			na = append(na, p)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s dp=%d\t%d\t%.2f\t%s\t%s\t%.2f\t%+.1f%%%s\t\n", p.Run.ID, p.Run.Container, p.Run.Precision, p.Label, p.DP,
			max(p.Run.GBS/(max(p.Run.DataParallel(), 1)*max(p.Run.MBS, 1)), 1),
			p.Measured, ml, mlErr, p.Calibrated, (p.Calibrated/p.Measured-1)*100, fits)
	}
	tw.Flush()
	if len(na) > 0 {
		fmt.Fprintf(w, "\nmlsysim not applicable: %d runs priced under calibrated only (mlsysim median and max over the others; n in brackets)\n", len(na))
		for _, p := range na {
			fmt.Fprintf(w, "  %s: %s\n", p.Run.ID, p.MLSysimNA)
		}
	}
	if len(rep.Skipped) == 0 {
		return
	}
	byWhy := map[string][]string{}
	var whys []string
	for _, s := range rep.Skipped {
		if byWhy[s.Reason] == nil {
			whys = append(whys, s.Reason)
		}
		byWhy[s.Reason] = append(byWhy[s.Reason], s.ID)
	}
	fmt.Fprintf(w, "\nnot priced: %d of %d published runs\n", len(rep.Skipped), len(rep.Skipped)+len(rep.Runs))
	for _, why := range whys {
		fmt.Fprintf(w, "  %s (%d): %s\n", why, len(byWhy[why]), strings.Join(byWhy[why], ", "))
	}
}

// steady returns the max over points whose own spread is within
// accuracy.NoisySpread, and how many were left out.
func steady(s *accuracy.ErrorStats) string {
	if s.Noisy == 0 {
		return fmt.Sprintf("%.1f%%", s.MaxSteady)
	}
	return fmt.Sprintf("%.1f%% (%d noisy)", s.MaxSteady, s.Noisy)
}

// worst names the worst point, and its own repeat spread when it is noisy.
func worst(s *accuracy.ErrorStats) string {
	src := s.WorstSource
	if s.WorstSpread > accuracy.NoisySpread {
		src += fmt.Sprintf(" (noisy: own spread %.0f%%)", s.WorstSpread*100)
	}
	return src
}

// accuracyStatsJSON is ErrorStats in JSON: absolute percentage errors.
type accuracyStatsJSON struct {
	N           int             `json:"n"`
	MeanPct     json.RawMessage `json:"mean_pct"`
	MedianPct   json.RawMessage `json:"median_pct"`
	MaxPct      json.RawMessage `json:"max_pct"`
	MaxSteady   json.RawMessage `json:"max_steady_pct"`
	Noisy       int             `json:"noisy"`
	Worst       string          `json:"worst_point"`
	WorstSpread json.RawMessage `json:"worst_point_spread"`
}

func statsJSON(s *accuracy.ErrorStats) accuracyStatsJSON {
	return accuracyStatsJSON{N: s.N, MeanPct: jsonNumber(s.Mean), MedianPct: jsonNumber(s.Median), MaxPct: jsonNumber(s.Max),
		MaxSteady: jsonNumber(s.MaxSteady), Noisy: s.Noisy, Worst: s.WorstSource, WorstSpread: jsonNumber(s.WorstSpread)}
}

// writeAccuracyJSON prints the report as one object: the rows of the
// table (per class, hardware, precision), the published distributed
// training rows, the leave-one-class-out fits and every point, times in
// seconds and errors in percent.
func writeAccuracyJSON(w io.Writer, rep *accuracy.Report) error {
	type row struct {
		Class      string            `json:"class"`
		Hardware   string            `json:"hardware"`
		Precision  string            `json:"precision"`
		Profile    string            `json:"profile"`
		MLSysim    accuracyStatsJSON `json:"mlsysim"`
		Calibrated accuracyStatsJSON `json:"calibrated"`
		HeldOut    accuracyStatsJSON `json:"held_out"`
	}
	rowOf := func(r *accuracy.Row) row {
		return row{Class: r.Name(), Hardware: r.Hardware, Precision: r.Precision, Profile: r.Profile.String(),
			MLSysim: statsJSON(&r.MLSysim), Calibrated: statsJSON(&r.Calibrated), HeldOut: statsJSON(&r.HeldOut)}
	}
	type point struct {
		Source      string          `json:"source"`
		Class       string          `json:"class"`
		Hardware    string          `json:"hardware"`
		Profile     string          `json:"profile"`
		Label       string          `json:"label"`
		MeasuredS   json.RawMessage `json:"measured_s"`
		MLSysimS    json.RawMessage `json:"mlsysim_s"`
		CalibratedS json.RawMessage `json:"calibrated_s"`
		HeldOutS    json.RawMessage `json:"held_out_s"`
		Spread      json.RawMessage `json:"spread"`
	}
	type dist struct {
		point
		GPUs         int `json:"gpus"`
		TP           int `json:"tp"`
		PP           int `json:"pp"`
		DP           int `json:"dp"`
		Microbatches int `json:"microbatches"`
	}
	type loo struct {
		Hardware string            `json:"hardware"`
		HeldOut  string            `json:"held_out"`
		FitOn    []string          `json:"fitted_on"`
		Stats    accuracyStatsJSON `json:"calibrated"`
	}
	pointOf := func(p *accuracy.Point) point {
		return point{Source: p.Source, Class: p.Class.String(), Hardware: p.Hardware, Profile: p.Profile.String(), Label: p.Label,
			MeasuredS: jsonNumber(p.Measured), MLSysimS: jsonNumber(p.MLSysim), CalibratedS: jsonNumber(p.Calibrated), HeldOutS: jsonNumber(p.HeldOut), Spread: jsonNumber(p.Spread)}
	}
	type band struct {
		Class           string          `json:"class"`
		N               int             `json:"n"`
		Sources         int             `json:"sources"`
		Lo              json.RawMessage `json:"lo"`
		Hi              json.RawMessage `json:"hi"`
		Coverage        json.RawMessage `json:"coverage"`
		HeldOutCoverage json.RawMessage `json:"held_out_coverage"` // null with one source
		StatedCoverage  float64         `json:"stated_coverage"`
	}
	type goal struct { // accuracy.Report.Goal: the classes of the published data held to it
		MedianPct float64 `json:"median_pct"`
		MaxPct    float64 `json:"max_pct"`
		Classes   int     `json:"classes"`
		Met       int     `json:"met"`
		Misses    []row   `json:"misses"`
	}
	type mfit struct { // accuracy.MatrixFactorFit
		Hardware  string             `json:"hardware"`
		Runs      int                `json:"runs"`
		Releases  []string           `json:"releases"`
		Factor    float64            `json:"factor"`
		Committed float64            `json:"committed"` // 0: none committed
		Without   map[string]float64 `json:"without_release"`
	}
	type formClass struct { // accuracy.MoEFormClass
		Hardware   string            `json:"hardware"`
		Precision  string            `json:"precision"`
		Calibrated accuracyStatsJSON `json:"calibrated"`
		HeldOut    accuracyStatsJSON `json:"held_out"`
	}
	type moeForm struct { // accuracy.MoEForm: one form of megatron-core's MoE cost, held out by release
		Name       string            `json:"name"`
		Unit       string            `json:"unit"`
		ValueS     json.RawMessage   `json:"value_s"`              // alltoall (the first term of a joint form)
		CopyS      json.RawMessage   `json:"copy_s,omitempty"`     // a joint form's time per routed token copy
		HybridEPS  json.RawMessage   `json:"hybridep_s,omitempty"` // where the form fits the HybridEP runs its own value
		Share      json.RawMessage   `json:"share,omitempty"`      // a GPU-scaled form's scaled share of the value
		Calibrated accuracyStatsJSON `json:"calibrated"`
		HeldOut    accuracyStatsJSON `json:"held_out"`
		Classes    []formClass       `json:"classes"`
	}
	out := struct {
		Version string    `json:"mlsysim_version"`
		Rows    []row     `json:"rows"`
		MoE     []row     `json:"moe_pooled"`  // accuracy.Report.MoEPooled
		RunsGPU []row     `json:"runs_by_gpu"` // accuracy.Report.RunsByGPU
		Matrix  []mfit    `json:"matrix_factors"`
		Forms   []moeForm `json:"moe_forms"` // accuracy.CompareMoEForms
		Dist    []dist    `json:"train_dist"`
		LOO     []loo     `json:"leave_one_class_out"`
		Bands   []band    `json:"bands"`
		Goal    goal      `json:"goal"` // accuracy.Report.Goal
		Points  []point   `json:"points"`
	}{Version: version, Rows: []row{}, MoE: []row{}, RunsGPU: []row{}, Matrix: []mfit{}, Forms: []moeForm{}, Dist: []dist{}, LOO: []loo{}, Bands: []band{}, Points: []point{}}
	out.Goal = goal{MedianPct: accuracy.GoalMedianPct, MaxPct: accuracy.GoalMaxPct, Misses: []row{}}
	for _, g := range rep.Goal() {
		out.Goal.Classes++
		if g.Met() {
			out.Goal.Met++
			continue
		}
		out.Goal.Misses = append(out.Goal.Misses, rowOf(&g.Row))
	}
	for _, r := range rep.RunsByGPU() {
		out.RunsGPU = append(out.RunsGPU, rowOf(&r))
	}
	for _, f := range rep.MatrixFactors {
		out.Matrix = append(out.Matrix, mfit{Hardware: f.Hardware, Runs: f.N, Releases: f.Releases, Factor: f.Factor, Committed: f.Committed, Without: f.WithoutS})
	}
	if rep.MoEMicrobatch.N > 0 {
		for _, f := range accuracy.CompareMoEForms(rep) {
			m := moeForm{Name: f.Name, Unit: f.Unit, ValueS: jsonNumber(f.Fit.S), Calibrated: statsJSON(&f.All.Calibrated), HeldOut: statsJSON(&f.All.HeldOut), Classes: []formClass{}}
			if f.Joint {
				m.CopyS = jsonNumber(f.Copy.S)
			}
			if f.HybridEP.N > 0 {
				m.HybridEPS = jsonNumber(f.HybridEP.S)
			}
			if f.Scaled {
				m.Share = jsonNumber(f.Share)
			}
			for j := range f.Classes {
				c := &f.Classes[j]
				m.Classes = append(m.Classes, formClass{Hardware: c.Hardware, Precision: c.Precision, Calibrated: statsJSON(&c.Calibrated), HeldOut: statsJSON(&c.HeldOut)})
			}
			out.Forms = append(out.Forms, m)
		}
	}
	_, checks := rep.Bands(calibration.BandCoverage)
	for _, ck := range checks {
		cross := json.RawMessage("null")
		if !math.IsNaN(ck.CrossCoverage) {
			cross = jsonNumber(ck.CrossCoverage)
		}
		out.Bands = append(out.Bands, band{Class: ck.Class.String(), N: ck.Band.N, Sources: ck.Band.Sources, Lo: jsonNumber(ck.Band.Lo), Hi: jsonNumber(ck.Band.Hi),
			Coverage: jsonNumber(ck.Coverage), HeldOutCoverage: cross, StatedCoverage: calibration.BandCoverage})
	}
	for i := range rep.Rows {
		r := &rep.Rows[i]
		out.Rows = append(out.Rows, rowOf(r))
	}
	for _, r := range rep.MoEPooled() {
		out.MoE = append(out.MoE, rowOf(&r))
	}
	for i := range rep.Dist {
		d := &rep.Dist[i]
		out.Dist = append(out.Dist, dist{point: pointOf(&d.Point), GPUs: d.GPUs, TP: d.TP, PP: d.PP, DP: d.DP, Microbatches: d.Microbatches})
	}
	for i := range rep.LOO {
		r := &rep.LOO[i]
		on := make([]string, len(r.FitOn))
		for k, c := range r.FitOn {
			on[k] = c.String()
		}
		out.LOO = append(out.LOO, loo{Hardware: r.Hardware, HeldOut: r.HeldOut.String(), FitOn: on, Stats: statsJSON(&r.Stats)})
	}
	for i := range rep.Points {
		out.Points = append(out.Points, pointOf(&rep.Points[i]))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
