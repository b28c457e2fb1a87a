package calibration

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"

	"github.com/mlsysim/mlsysim-go/registry"
)

// Kind says where a profile comes from.
type Kind uint8

// The kinds of profile.
const (
	KindNone     Kind = iota // no profile (mlsysim fidelity)
	KindMeasured             // fitted to measurements of this hardware
	KindDerived              // derived from a measured profile by rule
	// KindFitted is a derived profile whose matrix fractions carry a
	// factor fitted to the GPU's published training rows
	// (data/matrix_fits.json, ScaleMatrix).
	KindFitted
)

var kindNames = [...]string{"", "measured", "derived", "fitted"}

// String returns "measured", "derived", "fitted" or "".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// PrecFrac is a fraction per precision; 0 = not measured (use the bf16
// value).
type PrecFrac struct {
	FP32 float64 `json:"fp32,omitempty"`
	TF32 float64 `json:"tf32,omitempty"`
	BF16 float64 `json:"bf16"`
	FP16 float64 `json:"fp16,omitempty"`
	FP8  float64 `json:"fp8,omitempty"`
	INT8 float64 `json:"int8,omitempty"`
	INT4 float64 `json:"int4,omitempty"`
}

// Get returns the fraction for p, falling back to bf16.
func (f *PrecFrac) Get(p registry.Precision) float64 {
	var v float64
	switch p {
	case registry.FP32:
		v = f.FP32
	case registry.TF32:
		v = f.TF32
	case registry.FP16:
		v = f.FP16
	case registry.FP8:
		v = f.FP8
	case registry.INT8:
		v = f.INT8
	case registry.INT4:
		v = f.INT4
	}
	if v > 0 {
		return v
	}
	return f.BF16
}

func (f *PrecFrac) set(name string, v float64) {
	switch name {
	case "fp32":
		f.FP32 = v
	case "tf32":
		f.TF32 = v
	case "bf16":
		f.BF16 = v
	case "fp16":
		f.FP16 = v
	case "fp8":
		f.FP8 = v
	case "int8":
		f.INT8 = v
	case "int4":
		f.INT4 = v
	}
}

// PrecTime is a time per precision other than bf16, in seconds; 0 = not
// fitted (the caller's default).
type PrecTime struct {
	FP32 float64 `json:"fp32,omitempty"`
	TF32 float64 `json:"tf32,omitempty"`
	FP16 float64 `json:"fp16,omitempty"`
	FP8  float64 `json:"fp8,omitempty"`
	INT8 float64 `json:"int8,omitempty"`
	INT4 float64 `json:"int4,omitempty"`
}

// at returns the field of precision p, or nil for one without a field
// (bf16, fp4).
func (t *PrecTime) at(p registry.Precision) *float64 {
	switch p {
	case registry.FP32:
		return &t.FP32
	case registry.TF32:
		return &t.TF32
	case registry.FP16:
		return &t.FP16
	case registry.FP8:
		return &t.FP8
	case registry.INT8:
		return &t.INT8
	case registry.INT4:
		return &t.INT4
	}
	return nil
}

// Collective is the fraction of a fabric's datasheet bandwidth that
// collectives (NCCL ring/tree all-reduce bus bandwidth) achieve.
type Collective struct {
	NVLink     float64 `json:"nvlink"`
	InfiniBand float64 `json:"infiniband"`
	Ethernet   float64 `json:"ethernet"`
	PCIe       float64 `json:"pcie"`
}

// Provenance says where a profile's numbers come from.
type Provenance struct {
	Measurements []string `json:"measurements,omitempty"` // files fitted to
	GPU          string   `json:"gpu,omitempty"`          // the device as measured
	Date         string   `json:"date,omitempty"`         // of the measurements
	Method       string   `json:"method"`                 // fit method or derivation rule
	Points       int      `json:"points,omitempty"`       // points fitted
	Classes      []string `json:"classes,omitempty"`      // classes of points fitted
}

// Profile is what the calibrated fidelity knows about one hardware entry.
// Fractions are of the registry entry's datasheet numbers, so that a
// profile moves to a sibling entry (another memory size, another TDP) by
// rule. All times are seconds.
type Profile struct {
	Hardware   string     `json:"hardware"` // registry key
	Kind       Kind       `json:"-"`
	Provenance Provenance `json:"provenance"`

	// MatmulFrac is the achievable fraction of the datasheet dense peak for
	// large matrix products, per precision.
	MatmulFrac PrecFrac `json:"matmul_frac"`
	// MemBWFrac is the achievable fraction of the datasheet memory
	// bandwidth for streaming reads (weights through a GEMM).
	MemBWFrac float64 `json:"mem_bw_frac"`
	// ElementwiseBWFrac is the fraction for element-wise kernels (norms,
	// rotary embedding, activations, residual adds), which read and write.
	ElementwiseBWFrac float64 `json:"elementwise_bw_frac"`
	// GEMMSharpness p blends a product's compute and memory times as
	// (tc^p + tm^p)^(1/p): large p is the plain roofline max, small p the
	// slower transition real kernels show near the ridge point. A fit
	// chooses it among SharpnessChoices (powers of two, blended by square
	// roots); a hand-written profile may give any p ≥ 1.
	GEMMSharpness float64 `json:"gemm_sharpness"`
	// TileM is the row tile of the matrix kernels: a product with M rows
	// computes ceil(M/TileM)·TileM rows. Not fitted: Start sets 64, the row
	// granularity of Hopper's warpgroup matrix instruction (wgmma m64) and
	// a multiple of Ampere's.
	TileM float64 `json:"tile_m"`
	// KernelS is the fixed GPU time of one kernel (launch from a graph,
	// prologue, tail): the floor of any operator.
	KernelS float64 `json:"kernel_s"`
	// GEMMKernelS is the fixed GPU time of one matrix-product kernel at a
	// precision whose GEMM measurements show a time of their own (Fit keeps
	// one only where it predicts held-out product shapes better); 0, and
	// always at bf16, is KernelS. On the H100 the fp8 and tf32 products of
	// reference/h100-gemm-dtypes-2026-11-26.json (torch._scaled_mm and
	// cuBLAS at M = 1-16384) set it (docs/accuracy.md, "fp8 GEMMs at small
	// M").
	GEMMKernelS PrecTime `json:"gemm_kernel_s,omitzero"`
	// OpFloorS is the time of one operator dispatched alone from the host
	// (the measured small-GEMM floor, ~20-30 µs).
	OpFloorS float64 `json:"op_floor_s"`
	// HostLayerS is the host time to dispatch one transformer layer's
	// forward in eager mode; an eager pass takes max(host, GPU).
	HostLayerS float64 `json:"host_layer_s"`
	// CNNHostOpS is the host time to dispatch one CNN operator
	// (convolution, batch norm, activation, add) in eager mode; 0 takes
	// HostLayerS over the 39 operators of a Llama layer.
	CNNHostOpS float64 `json:"cnn_host_op_s,omitempty"`
	// AttnFrac is the fraction of the dense matrix peak that the fused
	// (flash) attention kernel achieves in a prefill.
	AttnFrac float64 `json:"attn_frac"`
	// AttnBwdFactor is the backward attention time over the forward's.
	AttnBwdFactor float64 `json:"attn_bwd_factor"`
	// BwdMatmulFrac scales the matrix rate of backward products (dgrad,
	// wgrad with transposed operands) relative to forward ones.
	BwdMatmulFrac float64 `json:"bwd_matmul_frac"`
	// DecodeAttnSatFrac: a decode attention kernel with one thread block
	// per (sequence, KV head) reaches the full bandwidth only with
	// DecodeAttnSatFrac × SM-count blocks; fewer blocks get a proportional
	// share.
	DecodeAttnSatFrac float64 `json:"decode_attn_sat_frac"`
	// Collective holds collective efficiency per fabric (not fitted to these
	// measurements: see Provenance and docs/accuracy.md).
	Collective Collective `json:"collective"`

	// sharp caches the blend constants of GEMMSharpness (see blend).
	sharp sharpness
}

// prepare caches what depends only on the profile's parameters.
func (p *Profile) prepare() {
	p.sharp = newSharpness(p.GEMMSharpness)
}

// blend returns the p-norm of a kernel's compute and memory times at the
// profile's sharpness.
func (p *Profile) blend(a, b float64) float64 {
	if p.sharp.p != p.GEMMSharpness { // changed since prepare (a fit in progress)
		return PNorm(a, b, p.GEMMSharpness)
	}
	return p.sharp.blend(a, b)
}

//go:embed data/*.json
var dataFS embed.FS

// Reference is the registry key of the measured profile that derived
// profiles scale from.
const Reference = "H100"

// embedded is the profiles of data/ (every file but BandsFile, StacksFile and MatrixFitsFile), by hardware key, read once. The map
// and its profiles are never modified after it returns.
var embedded = sync.OnceValue(func() map[string]*Profile {
	ents, err := dataFS.ReadDir("data")
	if err != nil {
		panic(err)
	}
	out := map[string]*Profile{}
	for _, e := range ents {
		if e.Name() == BandsFile || e.Name() == StacksFile || e.Name() == MatrixFitsFile {
			continue // the error bands, the software stacks and the matrix factors, not profiles
		}
		b, err := dataFS.ReadFile("data/" + e.Name())
		if err != nil {
			panic(err)
		}
		p, err := ReadProfile(bytes.NewReader(b))
		if err != nil {
			panic(fmt.Sprintf("calibration: data/%s: %v", e.Name(), err))
		}
		out[p.Hardware] = p
	}
	if out[Reference] == nil {
		panic("calibration: no reference profile " + Reference)
	}
	return out
})

// DeriveRule is the provenance of a derived profile.
const DeriveRule = "derived from the measured " + Reference + " profile: same fractions of datasheet peak and bandwidth, matrix fractions of a device of another vendor scaled by its published maximum achievable matmul efficiency over the reference's where both are published (achievable_matmul_flops), same fixed kernel and host times, decode-attention saturation as a fraction of SMs (calibration.Derive)"

// Derive returns a profile for hw, which has no measurements, from the
// measured profile ref of hardware refHW (the reference entry; nil when
// the registry has none). The rule:
//
//   - fractions of datasheet peak and bandwidth (matrix, memory,
//     element-wise, attention, backward, collectives) are ref's: a
//     datasheet number is what the vendor's own kernels reach the same
//     share of on the same class of part;
//   - except the matrix fractions of a device of another vendor than the
//     reference's (registry.Hardware.Vendor, both stated and different:
//     other libraries run its kernels) where both hw and refHW publish a
//     maximum achievable matmul rate (registry.Hardware.AchievableMatmulFLOPS,
//     a measured MAMF): with e(x, p) = AchievableMatmulFLOPS[p] / PeakFor(p),
//     the published share of x's own datasheet rate, hw's fraction at p is
//     ref's × e(hw, q) / e(refHW, q), where q is fp8 for fp8 when both
//     publish an fp8 rate and bf16 otherwise: the bf16 ratio stands for
//     every tensor-core format without its own measurement (fp16, tf32,
//     int8, int4, fp4: the same matrix units and library), capped at 1 (the
//     datasheet rate); fp32 (CUDA cores, not the matrix units) keeps ref's
//     fraction. The share is of the registry's rate, not of the table's
//     theory column, so that hw's modelled rate over the reference's is the
//     measured one. Within the reference's vendor the fractions stay
//     ref's: on the published runs of the A100, B200, B300, GB200 and
//     GB300 (sweep accuracy) the same-share rule predicts better than
//     scaling by the published efficiencies did (docs/accuracy.md), whose
//     differences there (−9 to +8 %) are within what one shape search on
//     one software release can tell apart;
//   - a matrix fraction for a precision ref did not measure is ref's bf16
//     fraction (scaled as bf16 is);
//   - fixed times (kernel, a precision's GEMM kernel, host dispatch,
//     single-op floor) are ref's: they belong to the driver, framework and
//     matrix library, not to the chip's size;
//   - the decode-attention saturation is a fraction of the SM count, so it
//     scales with hw's SMs;
//   - a device that lists no SM count keeps ref's absolute saturation.
//
// Derive(ref, refHW, refHW) has ref's fractions exactly. The result says
// KindDerived and names the rule in its provenance. A Set then multiplies
// the matrix fractions of a GPU with a factor fitted to its published
// training runs (data/matrix_fits.json, ScaleMatrix: KindFitted).
func Derive(ref *Profile, refHW, hw *registry.Hardware) Profile {
	p := *ref
	p.Hardware = hw.Key
	p.Kind = KindDerived
	p.Provenance = Provenance{Method: DeriveRule}
	r16, ok16 := matmulEfficiencyRatio(refHW, hw, registry.BF16)
	r8, ok8 := matmulEfficiencyRatio(refHW, hw, registry.FP8)
	if !ok8 {
		r8 = r16
	}
	if !ok16 && !ok8 {
		return p
	}
	in, f := &ref.MatmulFrac, &p.MatmulFrac
	scale := func(v, r float64) float64 { // 0 (unmeasured: bf16's) stays 0
		return min(v*r, 1)
	}
	f.BF16 = scale(in.BF16, r16)
	f.TF32, f.FP16 = scale(in.TF32, r16), scale(in.FP16, r16)
	f.INT8, f.INT4 = scale(in.INT8, r16), scale(in.INT4, r16)
	if in.FP8 > 0 || r8 != r16 {
		f.FP8 = scale(in.Get(registry.FP8), r8)
	}
	if in.FP32 == 0 {
		f.FP32 = in.BF16 // fp32 keeps ref's fraction, which was bf16's
	}
	return p
}

// matmulEfficiencyRatio returns, for hw of another vendor than refHW (both
// stated), hw's published maximum achievable matmul rate at p as a share
// of its datasheet rate, over refHW's:
// (hw.AchievableMatmulFLOPS[p] / hw.PeakFor(p)) /
// (refHW.AchievableMatmulFLOPS[p] / refHW.PeakFor(p)), and true; or 1 and
// false when either entry is nil, the vendors are the same or unstated, or
// either publishes none at p.
func matmulEfficiencyRatio(refHW, hw *registry.Hardware, p registry.Precision) (float64, bool) {
	if refHW == nil || hw == nil || p >= registry.NumPrecisions {
		return 1, false
	}
	if hw.Vendor == "" || refHW.Vendor == "" || hw.Vendor == refHW.Vendor {
		return 1, false // same vendor (or unstated): ref's fractions
	}
	a, b := hw.AchievableMatmulFLOPS[p], refHW.AchievableMatmulFLOPS[p]
	pa, pb := hw.PeakFor(p), refHW.PeakFor(p)
	if !(a > 0 && b > 0 && pa > 0 && pb > 0) {
		return 1, false
	}
	if r := (a / pa) / (b / pb); r > 0 && !math.IsInf(r, 0) {
		return r, true
	}
	return 1, false
}

// ReadProfile decodes one profile (JSON).
func ReadProfile(r interface{ Read([]byte) (int, error) }) (*Profile, error) {
	dec := json.NewDecoder(io.LimitReader(r, registry.MaxDataFileBytes))
	dec.DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("profile: trailing data after the JSON object (at byte %d)", dec.InputOffset())
	}
	p.Kind = KindMeasured
	if err := p.check(); err != nil {
		return nil, err
	}
	p.prepare()
	return &p, nil
}

// check validates every field of a profile against its documented range:
// fractions of a datasheet number in (0, 1] (a precision's matrix fraction
// and the collective fractions may be 0, meaning unset); the backward
// factors in (0, 100]; the GEMM sharpness in [1, 1024]; the row tile in
// [1, 65536]; the times (a precision's GEMM kernel time among them, 0
// meaning unset) in [0, 10] s. A field named in the error is out of
// its range (or missing, for the required ones).
func (p *Profile) check() error {
	var bad []string
	in := func(name string, v, lo, hi float64, open bool) {
		if !(v >= lo && v <= hi) || (open && v == lo) {
			lb := "["
			if open {
				lb = "("
			}
			bad = append(bad, fmt.Sprintf("%s = %g (want %s%g, %g])", name, v, lb, lo, hi))
		}
	}
	in("matmul_frac.bf16", p.MatmulFrac.BF16, 0, 1, true)
	for _, f := range []struct {
		name string
		v    float64
	}{{"fp32", p.MatmulFrac.FP32}, {"tf32", p.MatmulFrac.TF32}, {"fp16", p.MatmulFrac.FP16},
		{"fp8", p.MatmulFrac.FP8}, {"int8", p.MatmulFrac.INT8}, {"int4", p.MatmulFrac.INT4}} {
		in("matmul_frac."+f.name, f.v, 0, 1, false)
	}
	in("mem_bw_frac", p.MemBWFrac, 0, 1, true)
	in("elementwise_bw_frac", p.ElementwiseBWFrac, 0, 1, true)
	in("attn_frac", p.AttnFrac, 0, 1, true)
	in("decode_attn_sat_frac", p.DecodeAttnSatFrac, 0, 1, true)
	in("attn_bwd_factor", p.AttnBwdFactor, 0, 100, true)
	in("bwd_matmul_frac", p.BwdMatmulFrac, 0, 100, true)
	in("gemm_sharpness", p.GEMMSharpness, 1, 1024, false)
	in("tile_m", p.TileM, 1, 65536, false)
	in("kernel_s", p.KernelS, 0, 10, false)
	for _, f := range []struct {
		name string
		v    float64
	}{{"fp32", p.GEMMKernelS.FP32}, {"tf32", p.GEMMKernelS.TF32}, {"fp16", p.GEMMKernelS.FP16},
		{"fp8", p.GEMMKernelS.FP8}, {"int8", p.GEMMKernelS.INT8}, {"int4", p.GEMMKernelS.INT4}} {
		in("gemm_kernel_s."+f.name, f.v, 0, 10, false)
	}
	in("op_floor_s", p.OpFloorS, 0, 10, false)
	in("host_layer_s", p.HostLayerS, 0, 10, false)
	in("cnn_host_op_s", p.CNNHostOpS, 0, 10, false)
	in("collective.nvlink", p.Collective.NVLink, 0, 1, false)
	in("collective.infiniband", p.Collective.InfiniBand, 0, 1, false)
	in("collective.ethernet", p.Collective.Ethernet, 0, 1, false)
	in("collective.pcie", p.Collective.PCIe, 0, 1, false)
	if p.Hardware == "" {
		bad = append(bad, "hardware (missing)")
	}
	if len(bad) > 0 {
		return fmt.Errorf("profile: out of range: %s", strings.Join(bad, ", "))
	}
	return nil
}

// Marshal writes p as indented JSON with a trailing newline; the same
// profile always gives the same bytes.
func (p *Profile) Marshal() []byte {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		panic(err) // only plain fields
	}
	return append(b, '\n')
}
