package plots

import (
	"cmp"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// synthRow is one synthetic serving configuration: a device, a precision,
// a batch size and tensor/pipeline parallelism, with outputs of roughly the
// right shape (latency falls with parallelism and rises with batch; the
// intensity grows with the batch).
type synthRow struct {
	hardware, precision, bottleneck string
	batch, tp, pp                   float64
	ai, perf, latency, tokens       float64
}

var synthRoofs = map[string]Roof{
	"H100 fp16":   {Name: "H100 fp16", Peak: 989e12, MemBW: 3.35e12},
	"B200 fp16":   {Name: "B200 fp16", Peak: 2250e12, MemBW: 8e12},
	"MI300X fp16": {Name: "MI300X fp16", Peak: 1307e12, MemBW: 5.3e12},
}

func synth(i int, r *rand.Rand) synthRow {
	hw := []string{"H100", "B200", "MI300X"}[i%3]
	rf := synthRoofs[hw+" fp16"]
	batch := math.Pow(2, float64((i/3)%9))
	tp := math.Pow(2, float64((i/27)%4))
	pp := math.Pow(2, float64((i/108)%3))
	ai := batch * (0.9 + 0.2*r.Float64()) * 1.8
	perf := rf.Attainable(ai) * (0.45 + 0.1*r.Float64())
	flops := 2 * 8e9 * batch
	lat := flops/(perf*tp*math.Pow(pp, 0.8)) + 2e-4*pp + 1e-4*tp*r.Float64()
	bn := "Memory"
	if ai > rf.Ridge() {
		bn = "Compute"
	}
	return synthRow{hardware: hw, precision: "fp16", bottleneck: bn, batch: batch, tp: tp, pp: pp,
		ai: ai, perf: perf, latency: lat, tokens: batch / lat}
}

// outDir is where test figures go: $PLOTS_OUT if set (to look at them),
// else a temporary directory.
func outDir(t testing.TB) string {
	if d := os.Getenv("PLOTS_OUT"); d != "" {
		os.MkdirAll(d, 0o755)
		return d
	}
	return t.TempDir()
}

// checkFigure saves fig in every format and checks the files: non-trivial
// sizes, and an SVG that holds each of the texts.
func checkFigure(t *testing.T, fig *Figure, dir, base string, texts ...string) {
	t.Helper()
	paths, err := fig.SaveAll(dir, base, Formats)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 3 {
		t.Fatalf("wrote %v", paths)
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() < 5000 {
			t.Errorf("%s: only %d bytes", p, fi.Size())
		}
	}
	svg, err := os.ReadFile(filepath.Join(dir, base+".svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range texts {
		if !strings.Contains(string(svg), s) {
			t.Errorf("%s.svg lacks %q", base, s)
		}
	}
}

func TestParetoFigure(t *testing.T) {
	for _, n := range []int{300, 200000} { // markers, then the density layer
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 1))
			rows := make([]synthRow, n)
			var xe, ye Extent
			for i := range rows {
				rows[i] = synth(i, r)
				xe.Observe(rows[i].latency)
				ye.Observe(rows[i].tokens)
			}
			p := NewPareto(Axis{Name: "latency_s", Unit: "s", Log: true}, Axis{Name: "tokens_per_s", Unit: "1/s", Log: true}, xe, ye)
			p.YMax = true
			p.ColorBy = "hardware"
			for _, row := range rows {
				p.Add(row.latency, row.tokens, row.hardware)
			}
			// The front by brute force (minimise latency, maximise tokens).
			if n > 1000 {
				p.MaxMarkers = 100 // draw the density layer
			}
			// The front (minimise latency, maximise tokens): by latency,
			// then keep each row that beats the best throughput so far.
			order := make([]int, n)
			for i := range order {
				order[i] = i
			}
			slices.SortFunc(order, func(a, b int) int {
				if c := cmp.Compare(rows[a].latency, rows[b].latency); c != 0 {
					return c
				}
				return cmp.Compare(rows[b].tokens, rows[a].tokens)
			})
			var fx, fy []float64
			var fc []string
			best := math.Inf(-1)
			for _, i := range order {
				if rows[i].tokens > best {
					best = rows[i].tokens
					fx, fy, fc = append(fx, rows[i].latency), append(fy, rows[i].tokens), append(fc, rows[i].hardware)
				}
			}
			p.SetFront(fx, fy, fc, true)
			fig := p.Figure(ColumnStyle)
			checkFigure(t, fig, outDir(t), "pareto-"+strconv.Itoa(n), "Latency (", "Throughput (tokens/s)", "Pareto front", "hardware:", "H100")
			if p.Points() != int64(n) {
				t.Errorf("Points() = %d, want %d", p.Points(), n)
			}
		})
	}
}

func TestRooflineFigure(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	var ae, pe Extent
	rows := make([]synthRow, 5000)
	for i := range rows {
		rows[i] = synth(i, r)
		ae.Observe(rows[i].ai)
		pe.Observe(rows[i].perf)
	}
	roofs := []Roof{synthRoofs["B200 fp16"], synthRoofs["H100 fp16"], synthRoofs["MI300X fp16"]}
	rl := NewRoofline(roofs, ae, pe)
	rl.ColorBy = "bottleneck"
	for _, row := range rows {
		rl.Add(row.ai, row.perf, row.bottleneck)
	}
	fig := rl.Figure(ColumnStyle)
	checkFigure(t, fig, outDir(t), "roofline", "Arithmetic intensity (FLOP/B)", "Performance (PFLOP/s)", "H100", "Memory", "Compute")
	// The ridge of the H100 at fp16: 989e12 / 3.35e12 ≈ 295 FLOP/B.
	if got := synthRoofs["H100 fp16"].Ridge(); math.Abs(got-295.22) > 0.01 {
		t.Errorf("ridge %v", got)
	}
}

func TestLinesFigure(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	l := NewLines(Axis{Name: "batch_size"}, Axis{Name: "latency_s", Unit: "s"}, "hardware", AggMin)
	for i := range 3000 {
		row := synth(i, r)
		l.Add(row.batch, row.latency, row.hardware)
	}
	fig := l.Figure(ColumnStyle)
	checkFigure(t, fig, outDir(t), "lines", "Batch size", "Latency (", "H100", "B200", "MI300X")
}

func TestHeatmapFigure(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	h := NewHeatmap(Axis{Name: "tp"}, Axis{Name: "pp"}, Axis{Name: "latency_s", Unit: "s"}, AggMin)
	for i := range 3000 {
		row := synth(i, r)
		h.Add(row.tp, row.pp, row.latency)
	}
	fig := h.Figure(ColumnStyle)
	checkFigure(t, fig, outDir(t), "heatmap", "Tensor parallel (TP)", "Pipeline parallel (PP)", "Latency (")
}

func TestDisplayScale(t *testing.T) {
	for _, c := range []struct {
		col, unit string
		max       float64
		want      Scale
	}{
		{"latency_s", "s", 0.02, Scale{1e3, "ms"}},
		{"latency_s", "s", 3, Scale{1, "s"}},
		{"itl_s", "s", 5e-4, Scale{1e6, "µs"}},
		{"memory_bytes", "B", 80e9, Scale{1e-9, "GB"}},
		{"tokens_per_s", "1/s", 1e4, Scale{1, "tokens/s"}},
		{"mfu", "", 0.5, Scale{1, ""}},
	} {
		if got := DisplayScale(c.col, c.unit, c.max); got != c.want {
			t.Errorf("DisplayScale(%s, %s, %v) = %v, want %v", c.col, c.unit, c.max, got, c.want)
		}
	}
	if got := AxisLabel("energy_per_token_j", Scale{1, "J"}); got != "Energy per token (J)" {
		t.Errorf("AxisLabel = %q", got)
	}
}

// Labels come from the vocabulary; a column outside it is named after its
// snake_case name without the unit suffix.
func TestQuantity(t *testing.T) {
	for _, c := range []struct{ col, want string }{
		{"latency_s", "Latency"},           // vocabulary output
		{"tokens_per_s", "Throughput"},     // vocabulary output
		{"gpus_per_node", "GPUs per node"}, // vocabulary parameter
		{"tp", "Tensor parallel (TP)"},     // vocabulary parameter
		{"cost_per_mtok_usd", "Cost per million tokens"},
		{"load_j", "Load"},             // not in the vocabulary
		{"queue_depth", "Queue depth"}, // not in the vocabulary
		{"index", "Index"},             // the row index column
	} {
		if got := Quantity(c.col); got != c.want {
			t.Errorf("Quantity(%q) = %q, want %q", c.col, got, c.want)
		}
	}
}

func TestLogTicksLabels(t *testing.T) {
	for _, c := range []struct {
		min, max float64
		want     string
	}{
		{0.5e-3, 2e2, "0.001 0.01 0.1 1 10 100"},
		{0.5e-3, 2e5, "0.001 0.1 10 1000 10^5"}, // wide: every other decade
		{2e4, 3e6, "20000 50000 10^5 2×10^5 5×10^5 10^6 2×10^6"},
		{0.2, 0.7, "0.2 0.3 0.4 0.5 0.6 0.7"}, // no power of ten inside: every multiple
		{0.4, 30, "0.5 1 2 5 10 20"},          // one decade: 1-2-5
	} {
		var labels []string
		for _, tk := range (LogTicks{}).Ticks(c.min, c.max) {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
		}
		if got := strings.Join(labels, " "); got != c.want {
			t.Errorf("Ticks(%v, %v) labels %q, want %q", c.min, c.max, got, c.want)
		}
	}
}

// TestTickLabelsExact checks that ticks at integers and powers of two print
// every digit: three significant digits printed 1024 as "1020".
func TestTickLabelsExact(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{1024, "1024"}, {2048, "2048"}, {8192, "8192"}, {65536, "65536"},
		{131072, "131072"}, {1 << 20, "2^20"}, {1 << 30, "2^30"},
		{1e6, "10^6"}, {2e6, "2×10^6"}, {1234567, "1.234567×10^6"},
		{-4096, "-4096"}, {1, "1"}, {0, "0"},
		{0.1234, "0.123"}, {1234.5678, "1230"}, {2.5e-5, "2.5×10^\u22125"},
	} {
		if got := shortNumber(c.v); got != c.want {
			t.Errorf("shortNumber(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

// TestLinesTicksAtPowersOfTwo draws sequence lengths 1024 … 8192 (the
// x ticks are the values themselves) and checks their labels.
func TestLinesTicksAtPowersOfTwo(t *testing.T) {
	l := NewLines(Axis{Name: "seq_len"}, Axis{Name: "itl_s", Unit: "s"}, "", AggMin)
	for _, x := range []float64{1024, 2048, 4096, 8192} {
		l.Add(x, x*1e-6, "")
	}
	fig := l.Figure(ColumnStyle)
	var got []string
	for _, tk := range fig.Plot.X.Tick.Marker.Ticks(fig.Plot.X.Min, fig.Plot.X.Max) {
		if tk.Label != "" {
			got = append(got, tk.Label)
		}
	}
	if want := []string{"1024", "2048", "4096", "8192"}; !slices.Equal(got, want) {
		t.Errorf("x tick labels %q, want %q", got, want)
	}
}
