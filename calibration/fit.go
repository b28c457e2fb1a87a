package calibration

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/mlsysim/mlsysim-go/registry"
)

// HardwareKey maps the device name a measurement file gives (nvidia-smi's
// "NVIDIA H100 80GB HBM3", published.csv's "A100-SXM4-40GB") to a registry
// key, or "" when none is known. Registry names and aliases are tried last.
func HardwareKey(reg *registry.Registry, gpu string) string {
	n := strings.ToUpper(gpu)
	switch {
	case strings.Contains(n, "H100") && strings.Contains(n, "PCIE"):
		return "H100_PCIe"
	case strings.Contains(n, "H100") && strings.Contains(n, "NVL"):
		return "H100_NVL"
	case strings.Contains(n, "H100"):
		return "H100"
	case strings.Contains(n, "H200"):
		return "H200"
	case strings.Contains(n, "A100") && strings.Contains(n, "PCIE"):
		return "A100_PCIe"
	case strings.Contains(n, "A100") && strings.Contains(n, "40GB"):
		return "A100_40GB"
	case strings.Contains(n, "A100"):
		return "A100"
	}
	if reg != nil {
		if hw, err := reg.Hardware(gpu); err == nil {
			return hw.Key
		}
	}
	return ""
}

// Predict returns the modelled seconds of pt on d with profile p, on the
// point's software stack (Point.Software); NaN for a point on more than
// one GPU (Point.TP > 1), whose collectives the engine prices.
func (p *Profile) Predict(d *Device, pt *Point) float64 {
	if pt.TP > 1 {
		return math.NaN()
	}
	sw := pt.Software()
	switch pt.Class {
	case ClassGEMM:
		return p.StandaloneGEMMTime(d, float64(pt.M), float64(pt.N), float64(pt.K))
	case ClassDecode:
		b := p.DecodeStep(d, &pt.Model, pt.Batch, pt.Ctx, sw)
		return b.Total
	case ClassPrefill:
		b := p.Prefill(d, &pt.Model, pt.Batch, pt.Seq, sw)
		return b.Total
	case ClassTrain:
		st := Step{Batch: pt.Batch, Seq: pt.Seq, Software: sw}
		b := p.TrainStep(d, &pt.Model, &st)
		return b.Total
	case ClassServe:
		return p.Serve(d, &pt.Model, pt.Batch, pt.Seq, pt.Out, sw)
	case ClassCNNForward, ClassCNNTrain:
		n, ok := CNNFor(pt.Net)
		if !ok {
			return math.NaN()
		}
		if pt.Class == ClassCNNTrain {
			return p.CNNTrainStep(d, n, pt.Batch, PyTorch).Total
		}
		return p.CNNForward(d, n, pt.Batch, PyTorch).Total
	}
	return math.NaN()
}

// Target is one point with the device it ran on.
type Target struct {
	Point  Point
	Device Device
}

// Targets pairs each point with its device's datasheet numbers from reg.
// Points on a device reg does not know, or at a precision it does not list,
// are an error.
func Targets(reg *registry.Registry, pts []Point) ([]Target, error) {
	out := make([]Target, 0, len(pts))
	for _, pt := range pts {
		key := HardwareKey(reg, pt.GPU)
		if key == "" {
			return nil, fmt.Errorf("%s: no registry hardware for %q", pt.Source, pt.GPU)
		}
		hw, err := reg.Hardware(key)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pt.Source, err)
		}
		prec, err := registry.ParsePrecision(pt.Precision)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pt.Source, err)
		}
		out = append(out, Target{Point: pt, Device: DeviceFor(hw, prec)})
	}
	return out, nil
}

// The fitted parameters: a pointer into the profile, bounds, and whether
// a class of points informs it (a parameter no fitted point informs keeps
// its starting value).
type param struct {
	name   string
	get    func(*Profile) *float64
	lo, hi float64
	needs  []Class // fitted only when one of these classes is present
}

var fitParams = []param{
	{"matmul_frac.bf16", func(p *Profile) *float64 { return &p.MatmulFrac.BF16 }, 0.2, 1, nil},
	{"mem_bw_frac", func(p *Profile) *float64 { return &p.MemBWFrac }, 0.3, 1, nil},
	{"kernel_s", func(p *Profile) *float64 { return &p.KernelS }, 0.2e-6, 20e-6, nil},
	{"op_floor_s", func(p *Profile) *float64 { return &p.OpFloorS }, 1e-6, 100e-6, []Class{ClassGEMM}},
	{"elementwise_bw_frac", func(p *Profile) *float64 { return &p.ElementwiseBWFrac }, 0.2, 1, []Class{ClassDecode, ClassPrefill, ClassTrain}},
	{"host_layer_s", func(p *Profile) *float64 { return &p.HostLayerS }, 1e-6, 2e-3, []Class{ClassPrefill}},
	{"attn_frac", func(p *Profile) *float64 { return &p.AttnFrac }, 0.1, 1, []Class{ClassPrefill, ClassTrain}},
	{"attn_bwd_factor", func(p *Profile) *float64 { return &p.AttnBwdFactor }, 1, 6, []Class{ClassTrain}},
	{"bwd_matmul_frac", func(p *Profile) *float64 { return &p.BwdMatmulFrac }, 0.5, 1.2, []Class{ClassTrain}},
	{"decode_attn_sat_frac", func(p *Profile) *float64 { return &p.DecodeAttnSatFrac }, 0.05, 4, []Class{ClassDecode}},
}

// SharpnessChoices are the GEMM sharpnesses a fit chooses among. Powers of
// two blend by square roots (exact, and a third of the general p-norm's
// cost in an evaluation); a free fit on the H100 sustained curve gave 3.96,
// on the burst-timed curve 11.7.
var SharpnessChoices = [...]float64{2, 4, 8, 16}

// Start returns the profile a fit starts from: fractions from the
// ceilings when given (matrix rate at 8192³, read bandwidth), otherwise
// typical values, the row tile (64: see Profile.TileM), and the priors for
// what no point may inform: one thread
// block per SM saturates decode attention, the attention backward costs
// 2.5 forwards (five products against two), backward products run at the
// forward rate.
func Start(hw *registry.Hardware, c *Ceilings) Profile {
	p := Profile{Hardware: hw.Key, Kind: KindMeasured,
		MatmulFrac: PrecFrac{BF16: 0.7}, MemBWFrac: 0.9, ElementwiseBWFrac: 0.8, GEMMSharpness: 4, TileM: 64,
		KernelS: 3e-6, OpFloorS: 20e-6, HostLayerS: 100e-6, AttnFrac: 0.5, AttnBwdFactor: 2.5, BwdMatmulFrac: 1,
		DecodeAttnSatFrac: 1,
		Collective:        Collective{NVLink: 0.80, InfiniBand: 0.85, Ethernet: 0.70, PCIe: 0.80}}
	if c != nil {
		if v := c.MatmulPS["bf16"]; v > 0 && hw.PeakFor(registry.BF16) > 0 {
			p.MatmulFrac.BF16 = v / hw.PeakFor(registry.BF16)
		}
		if c.ReadBps > 0 && hw.MemBandwidthBps > 0 {
			p.MemBWFrac = c.ReadBps / hw.MemBandwidthBps
		}
	}
	return p
}

// Loss is the fit objective: the mean over classes of the mean squared
// log error of the class's points, so that 104 GEMMs do not outweigh 3
// training steps.
func Loss(p *Profile, ts []Target) float64 {
	var sum [numClasses]float64
	var n [numClasses]int
	for i := range ts {
		t := &ts[i]
		pred := p.Predict(&t.Device, &t.Point)
		e := math.Log(pred / t.Point.S)
		if math.IsNaN(e) || math.IsInf(e, 0) {
			return math.Inf(1)
		}
		sum[t.Point.Class] += e * e
		n[t.Point.Class]++
	}
	var tot float64
	var k int
	for c := range sum {
		if n[c] > 0 {
			tot += sum[c] / float64(n[c])
			k++
		}
	}
	if k == 0 {
		return 0
	}
	return tot / float64(k)
}

// Fit fits the profile's parameters to the bf16/fp16 points of ts that
// belong to the classes in use (all when use is nil), by Nelder-Mead on
// the logarithms of the parameters from start, then fits the matrix
// fraction of every other precision with GEMM points to those points alone,
// with the precision's GEMM kernel time where the points support one
// (fitGEMMKernel).
// The GEMM sharpness is not a continuous parameter: the fit is run for
// each of SharpnessChoices and keeps the best.
// CNN points inform only CNNHostOpS, fitted to them alone after the rest.
// Where a precision has GEMMs timed under sustained load (Point.Mode), its
// GEMMs timed otherwise are left out: a short burst runs at a clock that no
// training step or serving engine keeps.
// It is deterministic: the same points give the same profile.
func Fit(start Profile, ts []Target, use []Class) Profile {
	in := func(c Class) bool {
		if use == nil {
			return true
		}
		for _, u := range use {
			if u == c {
				return true
			}
		}
		return false
	}
	var main, cnn []Target
	present := map[Class]bool{}
	byPrec := map[string][]Target{}
	sustained := map[string]bool{} // precisions with GEMMs timed under sustained load
	for _, t := range ts {
		if t.Point.Class == ClassGEMM && t.Point.Mode == ModeSustained {
			sustained[t.Point.Precision] = true
		}
	}
	for _, t := range ts {
		if !in(t.Point.Class) {
			continue
		}
		if t.Point.Class == ClassGEMM && sustained[t.Point.Precision] && t.Point.Mode != ModeSustained {
			continue // timed in bursts, at a clock no sustained workload keeps (docs/accuracy.md)
		}
		if t.Point.Class == ClassCNNForward || t.Point.Class == ClassCNNTrain {
			cnn = append(cnn, t)
			continue
		}
		if t.Point.Precision == "int8" {
			continue // the int8 path measured is a library path, not the chip (README)
		}
		if t.Point.TP > 1 {
			continue // tensor parallelism is the engine's (Predict does not price it)
		}
		if t.Point.Precision != "bf16" {
			if t.Point.Class == ClassGEMM {
				byPrec[t.Point.Precision] = append(byPrec[t.Point.Precision], t)
			}
			continue
		}
		main = append(main, t)
		present[t.Point.Class] = true
	}
	var free []param
	for _, fp := range fitParams {
		ok := fp.needs == nil
		for _, c := range fp.needs {
			ok = ok || present[c]
		}
		if ok {
			free = append(free, fp)
		}
	}
	p := start
	if len(main) > 0 {
		p = minimise(start, free, main)
		if present[ClassGEMM] {
			// The GEMM sharpness is chosen among SharpnessChoices, each
			// with the other parameters fitted; the first of equal losses
			// wins.
			best := math.Inf(1)
			for _, k := range SharpnessChoices {
				q := start
				q.GEMMSharpness = k
				q = minimise(q, free, main)
				if l := Loss(&q, main); l < best {
					best, p = l, q
				}
			}
		}
	}
	precs := make([]string, 0, len(byPrec))
	for k := range byPrec {
		precs = append(precs, k)
	}
	sort.Strings(precs)
	for _, name := range precs {
		var cur PrecFrac
		cur.set(name, 1)
		prec, _ := registry.ParsePrecision(name)
		fp := param{name: "matmul_frac." + name, lo: 0.05, hi: 1, get: func(q *Profile) *float64 {
			switch prec {
			case registry.FP32:
				return &q.MatmulFrac.FP32
			case registry.TF32:
				return &q.MatmulFrac.TF32
			case registry.FP16:
				return &q.MatmulFrac.FP16
			case registry.FP8:
				return &q.MatmulFrac.FP8
			case registry.INT8:
				return &q.MatmulFrac.INT8
			}
			return &q.MatmulFrac.INT4
		}}
		*fp.get(&p) = p.MatmulFrac.BF16
		p = fitGEMMKernel(minimise(p, []param{fp}, byPrec[name]), fp, prec, byPrec[name])
	}
	if len(cnn) > 0 {
		// The host time of a CNN operator, fitted to the CNN points alone
		// once the rest is fixed: they inform nothing else.
		p.CNNHostOpS = p.cnnHostOp()
		p = minimise(p, []param{{name: "cnn_host_op_s", lo: 1e-6, hi: 200e-6, get: func(q *Profile) *float64 { return &q.CNNHostOpS }}}, cnn)
		for _, c := range []Class{ClassCNNForward, ClassCNNTrain} {
			for _, t := range cnn {
				if t.Point.Class == c {
					present[c] = true
				}
			}
		}
	}
	p.prepare()
	p.Provenance.Points = len(main) + len(cnn)
	for _, c := range Classes() {
		if present[c] {
			p.Provenance.Classes = append(p.Provenance.Classes, c.String())
		}
	}
	for _, name := range precs {
		p.Provenance.Points += len(byPrec[name])
	}
	return p
}

// fitGEMMKernel returns p, whose matrix fraction fp is fitted to ts (the
// precision's GEMM points), with the GEMM kernel time of precision prec
// (Profile.GEMMKernelS) fitted to ts after it, the fraction held, where the
// measurements support a time of its own: for each family of products of
// one (N, K) in ts, the fraction alone, and the fraction then the kernel
// time (from KernelS), are fitted to the other families and the family's
// squared log errors summed; the kernel time is kept when its sum is the
// lower. The fraction is held because it is the large products' rate: fitted
// together, the two trade against each other on the mid-sized products
// (M = 256-1024), which lifted fp8's fraction above the rate of every
// M = 16384 product measured. With fewer than two families, no gain, or a
// precision without a field, p is returned as given (its products take
// KernelS, as bf16's).
func fitGEMMKernel(p Profile, fp param, prec registry.Precision, ts []Target) Profile {
	kp := param{name: "gemm_kernel_s." + prec.String(), lo: 0.2e-6, hi: 40e-6,
		get: func(q *Profile) *float64 { return q.GEMMKernelS.at(prec) }}
	if kp.get(&p) == nil {
		return p
	}
	var fams [][2]int // in order of first appearance
	for _, t := range ts {
		f := [2]int{t.Point.N, t.Point.K}
		if !slices.Contains(fams, f) {
			fams = append(fams, f)
		}
	}
	if len(fams) < 2 {
		return p
	}
	start := p
	*fp.get(&start) = p.MatmulFrac.BF16
	var alone, both float64
	for _, f := range fams {
		var train, test []Target
		for _, t := range ts {
			if [2]int{t.Point.N, t.Point.K} == f {
				test = append(test, t)
			} else {
				train = append(train, t)
			}
		}
		a := minimise(start, []param{fp}, train)
		b := a
		*kp.get(&b) = p.KernelS
		b = minimise(b, []param{kp}, train)
		for i := range test {
			t := &test[i]
			ea := math.Log(a.Predict(&t.Device, &t.Point) / t.Point.S)
			eb := math.Log(b.Predict(&t.Device, &t.Point) / t.Point.S)
			alone += ea * ea
			both += eb * eb
		}
	}
	if !(both < alone) {
		return p
	}
	q := p
	*kp.get(&q) = p.KernelS
	return minimise(q, []param{kp}, ts)
}

// minimise runs Nelder-Mead over the free parameters in log space, with
// restarts, a fixed iteration budget and a fixed initial simplex, so that
// its result depends only on its inputs.
func minimise(start Profile, free []param, ts []Target) Profile {
	n := len(free)
	enc := func(p *Profile) []float64 {
		x := make([]float64, n)
		for i, fp := range free {
			x[i] = math.Log(*fp.get(p))
		}
		return x
	}
	dec := func(x []float64) Profile {
		p := start
		for i, fp := range free {
			v := math.Exp(x[i])
			*fp.get(&p) = math.Min(math.Max(v, fp.lo), fp.hi)
		}
		return p
	}
	f := func(x []float64) float64 {
		p := dec(x)
		return Loss(&p, ts)
	}
	x := enc(&start)
	for restart := 0; restart < 4; restart++ {
		x = nelderMead(f, x, 0.3/float64(restart+1), 600*n)
	}
	return dec(x)
}

func nelderMead(f func([]float64) float64, x0 []float64, step float64, iters int) []float64 {
	n := len(x0)
	pts := make([][]float64, n+1)
	val := make([]float64, n+1)
	for i := range pts {
		pts[i] = append([]float64(nil), x0...)
		if i > 0 {
			pts[i][i-1] += step
		}
		val[i] = f(pts[i])
	}
	cen := make([]float64, n)
	try := func(a float64, worst []float64) []float64 {
		out := make([]float64, n)
		for j := range out {
			out[j] = cen[j] + a*(worst[j]-cen[j])
		}
		return out
	}
	for it := 0; it < iters; it++ {
		// Order: best first; ties by index for determinism.
		idx := make([]int, n+1)
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return val[idx[a]] < val[idx[b]] })
		np, nv := make([][]float64, n+1), make([]float64, n+1)
		for i, k := range idx {
			np[i], nv[i] = pts[k], val[k]
		}
		pts, val = np, nv
		if val[n]-val[0] < 1e-12 {
			break
		}
		for j := range cen {
			cen[j] = 0
			for i := 0; i < n; i++ {
				cen[j] += pts[i][j] / float64(n)
			}
		}
		r := try(-1, pts[n])
		fr := f(r)
		switch {
		case fr < val[0]:
			e := try(-2, pts[n])
			if fe := f(e); fe < fr {
				pts[n], val[n] = e, fe
			} else {
				pts[n], val[n] = r, fr
			}
		case fr < val[n-1]:
			pts[n], val[n] = r, fr
		default:
			c := try(0.5, pts[n])
			if fc := f(c); fc < val[n] {
				pts[n], val[n] = c, fc
			} else {
				for i := 1; i <= n; i++ {
					for j := range pts[i] {
						pts[i][j] = pts[0][j] + 0.5*(pts[i][j]-pts[0][j])
					}
					val[i] = f(pts[i])
				}
			}
		}
	}
	best := 0
	for i := range val {
		if val[i] < val[best] {
			best = i
		}
	}
	return pts[best]
}

// FitMethod describes how FitDataset fits, for provenance.
const FitMethod = "Nelder-Mead on log parameters (4 restarts, fixed simplex), minimising the mean over classes (decode, prefill, train, gemm) of the mean squared log error, for each GEMM sharpness of 2, 4, 8, 16, keeping the best; other precisions' matrix fractions fitted to their GEMM points alone, then a GEMM kernel time of the precision's own, the fraction held, where that predicts each product shape (N, K) held out better; where a precision has GEMMs timed under sustained load, its GEMMs timed in bursts are left out; int8 excluded (library path, not the chip); collectives not fitted (NCCL bus-bandwidth fractions)"

// FitDataset fits a profile for the registry hardware key from the
// dataset's points on that hardware, in the classes use (all when nil).
// The fit starts from the ceilings of the hardware's first file.
func FitDataset(reg *registry.Registry, ds *Dataset, key string, use []Class) (Profile, error) {
	hw, err := reg.Hardware(key)
	if err != nil {
		return Profile{}, err
	}
	var ceil *Ceilings
	var files []string
	var gpu, date string
	for _, f := range ds.Files {
		if HardwareKey(reg, f.GPU) != hw.Key {
			continue
		}
		if ceil == nil && (f.Ceilings.ReadBps > 0 || len(f.Ceilings.MatmulPS) > 0) {
			ceil = &f.Ceilings
		}
		files = append(files, f.Name)
		gpu = f.GPU
		if d := dateIn(f.Name); d > date {
			date = d
		}
	}
	var pts []Point
	for _, pt := range ds.Points {
		if HardwareKey(reg, pt.GPU) == hw.Key {
			pts = append(pts, pt)
		}
	}
	if len(pts) == 0 {
		return Profile{}, fmt.Errorf("no points measured on %s", hw.Key)
	}
	ts, err := Targets(reg, pts)
	if err != nil {
		return Profile{}, err
	}
	p := Fit(Start(hw, ceil), ts, use)
	p.Provenance.Measurements = files
	p.Provenance.GPU = gpu
	p.Provenance.Date = date
	p.Provenance.Method = FitMethod
	return p, nil
}

// dateIn returns the first YYYY-MM-DD in a file name, or "".
func dateIn(name string) string {
	for i := 0; i+10 <= len(name); i++ {
		s := name[i : i+10]
		if s[4] == '-' && s[7] == '-' && isDigits(s[:4]) && isDigits(s[5:7]) && isDigits(s[8:]) {
			return s
		}
	}
	return ""
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// MeasuredKeys returns the registry keys of the hardware the dataset's
// JSON measurement files were taken on, sorted.
func (ds *Dataset) MeasuredKeys(reg *registry.Registry) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range ds.Files {
		k := HardwareKey(reg, f.GPU)
		if k != "" && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
