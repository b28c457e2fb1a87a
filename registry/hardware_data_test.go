package registry

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/units"
)

// Tests of the embedded hardware data (data/hardware/*.yaml): exact values of
// entries the engine's golden tests depend on, and physical sanity of every
// entry.

// sameFloat reports whether a and b agree to 1e-12 relative: the YAML's
// "3.35 TB/s" is 3.35 × 1e12, which need not be the same float as 3.35e12.
func sameFloat(a, b float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= 1e-12*math.Max(math.Abs(a), math.Abs(b))
}

func mustHardware(t *testing.T, r *Registry, name string) *Hardware {
	t.Helper()
	h, err := r.Hardware(name)
	if err != nil {
		t.Fatalf("Hardware(%q): %v", name, err)
	}
	return h
}

func TestHardwareDataLoads(t *testing.T) {
	r, err := New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	// mlsysim's 45 devices, each by its exact mlsysim key and tier.
	mlsysim := map[string][]string{
		"Cloud": {"A100", "B200", "Cerebras_CS3", "DMatrix_Corsair", "GB200_NVL72", "Gaudi2", "Gaudi3",
			"Graphcore_GC200", "Groq_LPU", "H100", "H200", "IntelSGX", "MI250X", "MI300X", "ReferenceCPU",
			"T4", "TPUv1", "TPUv2", "TPUv3", "TPUv4", "TPUv5p", "TPUv6", "Trainium2", "Untether_speedAI240",
			"V100", "V100_PCIe"},
		"Workstation": {"DGX_Spark", "MacBookM3Max"},
		"Mobile":      {"AppleM2", "Pixel8", "Snapdragon8Gen3", "iPhone15Pro"},
		"Edge": {"Coral", "DriveThor", "GenericServer", "JetsonAGXOrin", "JetsonOrinNX", "JetsonOrinNano",
			"NUC_Movidius", "RoboTaxi"},
		"Tiny": {"ESP32_S3", "HimaxWE1", "LockstepSafetyMCU_Reference", "OuraRing", "nRF52840"},
	}
	n := 0
	for tier, keys := range mlsysim {
		for _, k := range keys {
			n++
			h := mustHardware(t, r, k)
			if h.Key != k {
				t.Errorf("%s: key %q, want mlsysim's exact key", k, h.Key)
			}
			if h.Tier != tier {
				t.Errorf("%s: tier %q, want %q", k, h.Tier, tier)
			}
		}
	}
	if n != 45 {
		t.Fatalf("listed %d mlsysim devices, want 45", n)
	}
	// Entries mlsysim lacks that users ask for.
	for _, k := range []string{"H100_PCIe", "H100_NVL", "H800", "H20", "GH200", "B300", "GB300_NVL72", "GB200_GPU", "GB300_GPU",
		"A100_40GB", "A100_PCIe", "A30", "A10", "A10G", "L4", "L40S", "MI210", "MI325X", "MI350X", "MI355X",
		"TPUv5e", "Trainium1", "Inferentia2", "RTX4090", "RTX3090", "RTX_A6000", "RTX6000_Ada"} {
		mustHardware(t, r, k)
	}
}

// TestHardwarePinned pins values exactly. "golden" marks values that mlsysim's
// golden tests depend on (reference: mlsysim-engine-and-registries.md §1.5, §2;
// mlsysim-validation-and-tests.md §B.2, §B.4).
func TestHardwarePinned(t *testing.T) {
	r := Default()
	type pin struct {
		field string
		got   func(h *Hardware) float64
		want  float64
	}
	peak := func(h *Hardware) float64 { return h.PeakFLOPS }
	prec := func(p Precision) func(h *Hardware) float64 {
		return func(h *Hardware) float64 { return h.PrecisionFLOPS[p] }
	}
	cap_ := func(h *Hardware) float64 { return h.MemCapacityBytes }
	bw := func(h *Hardware) float64 { return h.MemBandwidthBps }
	tdp := func(h *Hardware) float64 { return h.TDPW }
	tax := func(h *Hardware) float64 { return h.DispatchTaxS }
	cost := func(h *Hardware) float64 { return h.UnitCostUSD }
	cases := []struct {
		key, source string
		pins        []pin
	}{
		{"H100", "golden: mlsysim H100.yaml @034a583b, newest price $25,000 (EconomicsModel golden), fp32 key renamed", []pin{
			{"peak", peak, 989e12}, {"fp32", prec(FP32), 67e12}, {"tf32", prec(TF32), 494e12},
			{"fp8", prec(FP8), 1979e12}, {"int8", prec(INT8), 1979e12},
			{"capacity", cap_, 80 * units.GiB}, {"bandwidth", bw, 3.35e12}, {"tdp", tdp, 700},
			{"dispatch", tax, 0.01e-3}, {"cost", cost, 25000},
			{"nvlink", func(h *Hardware) float64 { return h.NVLink.BandwidthBps }, 900e9},
			{"nvlink per direction", func(h *Hardware) float64 { return h.NVLink.PerDirectionBps() }, 450e9},
			{"pcie per direction", func(h *Hardware) float64 { return h.HostLink.PerDirectionBps() }, 64e9},
			{"storage", func(h *Hardware) float64 { return h.StorageBandwidthBps }, 7e9},
			{"sm", func(h *Hardware) float64 { return float64(h.SMCount) }, 132},
			{"ridge fp16", func(h *Hardware) float64 { return h.RidgePoint(FP16) }, 989e12 / 3.35e12},
		}},
		{"A100", "golden: mlsysim A100.yaml @087dd538", []pin{
			{"peak", peak, 312e12}, {"fp32", prec(FP32), 19.5e12}, {"tf32", prec(TF32), 156e12},
			{"int8", prec(INT8), 624e12}, {"capacity", cap_, 80 * units.GiB}, {"bandwidth", bw, 2039e9},
			{"tdp", tdp, 400}, {"dispatch", tax, 0.015e-3}, {"cost", cost, 15000},
			{"nvlink per direction", func(h *Hardware) float64 { return h.NVLink.PerDirectionBps() }, 300e9},
			{"fp16_sparse", func(h *Hardware) float64 { return h.OtherFLOPS["fp16_sparse"] }, 624e12},
			{"mig profiles", func(h *Hardware) float64 { return float64(len(h.MIG)) }, 4},
		}},
		{"B200", "golden (peak, bandwidth, dispatch): mlsysim B200.yaml @335995f1; capacity: NVIDIA HGX B200 180 GB", []pin{
			{"peak", peak, 2250e12}, {"bandwidth", bw, 8e12}, {"dispatch", tax, 0.008e-3},
			{"fp8", prec(FP8), 4500e12}, {"int4", prec(INT4), 9000e12}, {"capacity", cap_, 180e9},
			{"nvlink per direction", func(h *Hardware) float64 { return h.NVLink.PerDirectionBps() }, 900e9},
		}},
		{"H200", "NVIDIA H200 datasheet: 141 GB HBM3e at 4.8 TB/s, measured 140.4 GiB by nvidia-smi (mlsysim had 131 GiB)", []pin{
			{"capacity", cap_, 141 * units.GiB}, {"bandwidth", bw, 4.8e12}, {"peak", peak, 989e12},
			{"nvlink per direction", func(h *Hardware) float64 { return h.NVLink.PerDirectionBps() }, 450e9},
		}},
		{"ESP32_S3", "golden: mlsysim ESP32_S3.yaml @335995f1", []pin{
			{"peak", peak, 0.5e9}, {"int8", prec(INT8), 2.4e9}, {"capacity", cap_, 4e6}, {"bandwidth", bw, 0.08e9},
			{"sram", func(h *Hardware) float64 { return h.SRAMCapacityBytes }, 520 * units.KiB},
			{"sram bw", func(h *Hardware) float64 { return h.SRAMBandwidthBps }, 0.96e9},
			{"flash", func(h *Hardware) float64 { return h.FlashCapacityBytes }, 4e6},
			{"flash bw", func(h *Hardware) float64 { return h.FlashBandwidthBps }, 0.08e9},
			{"tdp", tdp, 0.4}, {"dispatch", tax, 1e-3},
			{"embodied", func(h *Hardware) float64 { return h.EmbodiedCarbonKg }, 5},
		}},
		{"iPhone15Pro", "golden: mlsysim iPhone15Pro.yaml @2dcd2ff3 (35 TOPS as peak_flops)", []pin{
			{"peak", peak, 35e12}, {"capacity", cap_, 8 * units.GiB}, {"bandwidth", bw, 51.2e9},
			{"tdp", tdp, 5}, {"dispatch", tax, 1e-3},
			{"int8 falls back to peak", func(h *Hardware) float64 { return h.PeakFor(INT8) }, 35e12},
		}},
		{"JetsonOrinNX", "golden: mlsysim JetsonOrinNX.yaml @4dd1909f", []pin{
			{"peak", peak, 25e12}, {"int8", prec(INT8), 100e12}, {"capacity", cap_, 16e9},
			{"bandwidth", bw, 102e9}, {"tdp", tdp, 25}, {"dispatch", tax, 0.2e-3},
		}},
		{"JetsonOrinNano", "golden: mlsysim JetsonOrinNano.yaml @335995f1", []pin{
			{"peak", peak, 10e12}, {"int8", prec(INT8), 40e12}, {"capacity", cap_, 8e9},
			{"bandwidth", bw, 68e9}, {"tdp", tdp, 15}, {"dispatch", tax, 0.2e-3},
		}},
		{"Coral", "golden: mlsysim Coral.yaml @72d48c5f", []pin{
			{"peak", peak, 4e12}, {"capacity", cap_, 1e9}, {"bandwidth", bw, 8e9}, {"tdp", tdp, 2},
			{"dispatch", tax, 1e-3},
		}},
		{"MacBookM3Max", "golden: mlsysim MacBookM3Max.yaml @2dcd2ff3", []pin{
			{"peak", peak, 14.2e12}, {"capacity", cap_, 128 * units.GiB}, {"bandwidth", bw, 400e9},
			{"tdp", tdp, 100}, {"dispatch", tax, 0.05e-3},
		}},
		{"T4", "mlsysim T4.yaml @72d48c5f", []pin{
			{"peak", peak, 65e12}, {"int8", prec(INT8), 130e12}, {"capacity", cap_, 16 * units.GiB},
			{"bandwidth", bw, 320e9}, {"tdp", tdp, 70}, {"dispatch", tax, 0.03e-3},
		}},
		{"TPUv4", "golden: TPU v4 275 TFLOP/s (G39); mlsysim TPUv4.yaml @72d48c5f", []pin{
			{"peak", peak, 275e12}, {"bandwidth", bw, 1200e9},
		}},
		{"Cerebras_CS3", "golden: WeightStreamingModel (44 GiB, 1.2 TB/s injection); mlsysim Cerebras_CS3.yaml @370f0efd", []pin{
			{"capacity", cap_, 44 * units.GiB}, {"bandwidth", bw, 21e15}, {"peak", peak, 125e15},
			{"injection", func(h *Hardware) float64 { return h.HostLink.BandwidthBps }, 1.2e12},
		}},
		{"OuraRing", "golden: DS_CNN compression on OuraRing flash; mlsysim OuraRing.yaml @5260e92d", []pin{
			{"flash", func(h *Hardware) float64 { return h.FlashCapacityBytes }, 2 * units.MiB},
			{"battery", func(h *Hardware) float64 { return h.BatteryJ }, 0.06 * 3600},
		}},
		{"GB200_NVL72", "NVIDIA GB200 NVL72 datasheet; accelerator_count from mlsysim", []pin{
			{"peak", peak, 180e15}, {"capacity", cap_, 13.4e12}, {"bandwidth", bw, 576e12},
			{"count", func(h *Hardware) float64 { return float64(h.AcceleratorCount) }, 72}, {"tdp", tdp, 120e3},
		}},
		{"A100_40GB", "NVIDIA A100 datasheet, 40GB SXM column (Megatron-LM measurements)", []pin{
			{"peak", peak, 312e12}, {"capacity", cap_, 40e9}, {"bandwidth", bw, 1555e9}, {"tdp", tdp, 400},
		}},
		{"H100_PCIe", "NVIDIA H100 datasheet, PCIe column", []pin{
			{"peak", peak, 756e12}, {"capacity", cap_, 80e9}, {"bandwidth", bw, 2e12}, {"tdp", tdp, 350},
		}},
		{"Trainium2", "AWS Neuron Trainium2 architecture page (mlsysim had 380 TFLOP/s)", []pin{
			{"peak", peak, 667e12}, {"fp8", prec(FP8), 1299e12}, {"capacity", cap_, 96 * units.GiB},
		}},
	}
	for _, c := range cases {
		h := mustHardware(t, r, c.key)
		for _, p := range c.pins {
			if got := p.got(h); !sameFloat(got, p.want) {
				t.Errorf("%s %s = %g, want %g (%s)", c.key, p.field, got, p.want, c.source)
			}
		}
	}
}

// TestNVL72PerGPU checks the per-GPU GB200 and GB300 entries against
// their racks: the rack datasheet's dense rates, HBM bandwidth and NVLink
// (130 TB/s, to the datasheet's rounding) are 72 times the GPU's.
func TestNVL72PerGPU(t *testing.T) {
	r := Default()
	for _, c := range []struct{ gpu, rack string }{{"GB200_GPU", "GB200_NVL72"}, {"GB300_GPU", "GB300_NVL72"}} {
		g, k := mustHardware(t, r, c.gpu), mustHardware(t, r, c.rack)
		if k.AcceleratorCount != 72 || g.AcceleratorCount > 1 {
			t.Fatalf("%s x %d, %s x %d", c.rack, k.AcceleratorCount, c.gpu, g.AcceleratorCount)
		}
		for _, p := range []struct {
			name      string
			gpu, rack float64
			rel       float64
		}{
			{"peak", g.PeakFLOPS, k.PeakFLOPS, 1e-12},
			{"fp8", g.PrecisionFLOPS[FP8], k.PrecisionFLOPS[FP8], 1e-12},
			{"fp4", g.PrecisionFLOPS[FP4], k.PrecisionFLOPS[FP4], 1e-12},
			{"tf32", g.PrecisionFLOPS[TF32], k.PrecisionFLOPS[TF32], 1e-12},
			{"fp32", g.PrecisionFLOPS[FP32], k.PrecisionFLOPS[FP32], 1e-12},
			{"int8", g.PrecisionFLOPS[INT8], k.PrecisionFLOPS[INT8], 1e-3},
			{"hbm bandwidth", g.MemBandwidthBps, k.MemBandwidthBps, 1e-12},
			{"nvlink", g.NVLink.BandwidthBps, k.HostLink.BandwidthBps, 0.01},
		} {
			if math.Abs(72*p.gpu-p.rack) > p.rel*p.rack {
				t.Errorf("%s: 72 x %s %g = %g, rack %s %g", c.gpu, p.name, p.gpu, 72*p.gpu, c.rack, p.rack)
			}
		}
	}
	// Blackwell Ultra: 1.5x Blackwell's dense FP4, the same FP8 and BF16,
	// INT8 cut; 288 GB against 186 GB.
	gb200, gb300 := mustHardware(t, r, "GB200_GPU"), mustHardware(t, r, "GB300_GPU")
	if gb300.PrecisionFLOPS[FP4] != 1.5*gb200.PrecisionFLOPS[FP4] || gb300.PrecisionFLOPS[FP8] != gb200.PrecisionFLOPS[FP8] ||
		!(gb300.PrecisionFLOPS[INT8] < gb200.PrecisionFLOPS[INT8]/10) || gb300.MemCapacityBytes != 288e9 || gb200.MemCapacityBytes != 186e9 {
		t.Errorf("GB300 against GB200: fp4 %g/%g, fp8 %g/%g, int8 %g/%g, %g/%g B", gb300.PrecisionFLOPS[FP4], gb200.PrecisionFLOPS[FP4],
			gb300.PrecisionFLOPS[FP8], gb200.PrecisionFLOPS[FP8], gb300.PrecisionFLOPS[INT8], gb200.PrecisionFLOPS[INT8], gb300.MemCapacityBytes, gb200.MemCapacityBytes)
	}
}

// cloudLowBandwidth are Cloud entries exempt from the > 100 GB/s check: the
// TPU v1 (DDR3, as in mlsysim's test) and the two CPU-class reference
// profiles mlsysim keeps in its Cloud tier.
var cloudLowBandwidth = map[string]bool{"TPUv1": true, "ReferenceCPU": true, "IntelSGX": true}

// TestHardwarePhysics checks every entry against physical bounds (mlsysim's
// registry invariants, validation reference §B.5) and data hygiene.
func TestHardwarePhysics(t *testing.T) {
	r := Default()
	if len(r.HardwareList) < 45 {
		t.Fatalf("%d hardware entries, want at least mlsysim's 45", len(r.HardwareList))
	}
	for _, h := range r.HardwareList {
		k := h.Key
		if h.PeakFLOPS <= 0 {
			t.Errorf("%s: peak %g, want > 0", k, h.PeakFLOPS)
		}
		if h.MemBandwidthBps <= 0 || h.MemCapacityBytes <= 0 {
			t.Errorf("%s: memory %g B at %g B/s, want both > 0", k, h.MemCapacityBytes, h.MemBandwidthBps)
		}
		if rp := h.RidgePoint(FP16); !(rp > 0 && rp < 5000) {
			t.Errorf("%s: ridge point %g flop/B, want in (0, 5000)", k, rp)
		}
		if h.TDPW != 0 && !(h.TDPW > 0 && h.TDPW <= 150e3) {
			t.Errorf("%s: TDP %g W, want in (0, 150 kW]", k, h.TDPW)
		}
		if h.TDPMinW > 0 && h.TDPMinW > h.TDPW || h.TDPMaxW > 0 && h.TDPMaxW < h.TDPW {
			t.Errorf("%s: TDP %g W outside its range [%g, %g]", k, h.TDPW, h.TDPMinW, h.TDPMaxW)
		}
		if h.Tier == "Cloud" && !cloudLowBandwidth[k] && h.MemBandwidthBps <= 100e9 {
			t.Errorf("%s: cloud memory bandwidth %g B/s, want > 100 GB/s", k, h.MemBandwidthBps)
		}
		if h.SRAMCapacityBytes > h.MemCapacityBytes {
			t.Errorf("%s: SRAM %g B exceeds capacity %g B", k, h.SRAMCapacityBytes, h.MemCapacityBytes)
		}
		if h.FlashCapacityBytes > 0 && h.FlashBandwidthBps <= 0 {
			t.Errorf("%s: flash capacity without bandwidth", k)
		}
		if h.DispatchTaxS <= 0 {
			t.Errorf("%s: dispatch tax %g s, want > 0", k, h.DispatchTaxS)
		}
		if h.Year < 2010 || h.Year > 2027 {
			t.Errorf("%s: year %d, want in [2010, 2027]", k, h.Year)
		}
		if strings.TrimSpace(h.Source) == "" || h.Name == "" {
			t.Errorf("%s: name or source missing", k)
		}
		if h.AcceleratorCount < 0 || h.UnitCostMaxUSD > 0 && h.UnitCostMaxUSD < h.UnitCostUSD {
			t.Errorf("%s: accelerator count %d or cost range [%g, %g] invalid", k, h.AcceleratorCount, h.UnitCostUSD, h.UnitCostMaxUSD)
		}
		// Listed precisions in the order fp32 ≤ tf32 ≤ fp16 ≤ fp8; a rate
		// that is not listed is skipped (fp16 is always the peak).
		order := []Precision{FP32, TF32, FP16, FP8}
		prev, prevP := 0.0, Precision(0)
		for _, p := range order {
			v := h.PrecisionFLOPS[p]
			if p == FP16 {
				v = h.PeakFor(FP16)
			}
			if v == 0 {
				continue
			}
			if prev > 0 && v < prev {
				t.Errorf("%s: %s %g flop/s below %s %g flop/s", k, p, v, prevP, prev)
			}
			prev, prevP = v, p
		}
		if bf, fp := h.PrecisionFLOPS[BF16], h.PeakFor(FP16); bf > 0 && !sameFloat(bf, fp) {
			t.Errorf("%s: bf16 %g differs from the fp16 rate %g", k, bf, fp)
		}
		for name, v := range h.OtherFLOPS {
			if v <= 0 {
				t.Errorf("%s: %s rate %g, want > 0", k, name, v)
			}
		}
		// Links: a link needs a bandwidth.
		for _, l := range []Link{h.HostLink, h.NVLink} {
			if l.Name != "" && l.BandwidthBps <= 0 {
				t.Errorf("%s: link %q without bandwidth", k, l.Name)
			}
		}
		for _, m := range h.MIG {
			if m.MemoryBytes <= 0 || m.MemoryBytes > h.MemCapacityBytes || m.SMCount <= 0 || h.SMCount > 0 && m.SMCount > h.SMCount {
				t.Errorf("%s: MIG profile %s (%g B, %d SMs) does not fit the GPU", k, m.Name, m.MemoryBytes, m.SMCount)
			}
		}
	}
}

// TestHardwareNames checks lookups: every key and alias resolves to its own
// entry, with or without a namespace, in any case.
func TestHardwareNames(t *testing.T) {
	r := Default()
	for _, h := range r.HardwareList {
		names := append([]string{h.Key}, h.Aliases...)
		for _, n := range names {
			for _, q := range []string{n, strings.ToLower(n), strings.ToUpper(n), h.Tier + "." + n, "Hardware." + h.Tier + "." + n} {
				got, err := r.Hardware(q)
				if err != nil {
					t.Errorf("Hardware(%q): %v", q, err)
					continue
				}
				if got != h {
					t.Errorf("Hardware(%q) = %s, want %s", q, got.Key, h.Key)
				}
			}
		}
	}
	h100 := mustHardware(t, r, "H100")
	for _, q := range []string{"H100", "Cloud.H100", "hardware.cloud.h100", "h100", "Hardware.Cloud.H100", "H100_SXM"} {
		if got := mustHardware(t, r, q); got != h100 {
			t.Errorf("Hardware(%q) = %s, want H100", q, got.Key)
		}
	}
	_, err := r.Hardware("H9000")
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("Hardware(H9000): error %v, want *NotFoundError", err)
	}
	if nf.Kind != KindHardware || nf.Name != "H9000" || len(nf.Suggestions) == 0 {
		t.Errorf("Hardware(H9000): %+v, want kind hardware with suggestions", nf)
	}
	for _, s := range nf.Suggestions {
		if _, err := r.Hardware(s); err != nil {
			t.Errorf("suggestion %q does not resolve: %v", s, err)
		}
	}
}

// TestAchievableMatmul pins the published maximum achievable matmul rates
// (Bekman's MAMF table, as the entries' sources quote it) and checks that
// no other entry carries one: a measurement belongs to the part measured.
func TestAchievableMatmul(t *testing.T) {
	r := Default()
	want := map[string][2]float64{ // TFLOP/s: bf16, fp8 (0 = none published)
		"H100": {794.5, 1402.6}, "H200": {794.5, 1453.4}, "GH200": {828.6, 1535.0},
		"A100": {271.2, 0}, "A100_40GB": {271.2, 0}, "A100_PCIe": {252.9, 0},
		"B200": {1745.0, 3432.5}, "B300": {1769.0, 3353.3}, "GB200_GPU": {1822.0, 3615.6},
		"Gaudi2": {418.7, 826.5}, "Gaudi3": {1243.0, 1289.5},
		"MI300X": {668.4, 0}, "MI325X": {784.9, 0}, "MI355X": {1565.0, 0},
	}
	for _, h := range r.HardwareList {
		w, listed := want[h.Key]
		for p, v := range h.AchievableMatmulFLOPS {
			prec := Precision(p)
			var exp float64
			switch prec {
			case BF16:
				exp = w[0] * 1e12
			case FP8:
				exp = w[1] * 1e12
			}
			if !sameFloat(v, exp) {
				t.Errorf("%s: achievable %s %g flop/s, want %g", h.Key, prec, v, exp)
			}
			if v > h.PeakFor(prec) {
				t.Errorf("%s: achievable %s %g flop/s above the datasheet %g", h.Key, prec, v, h.PeakFor(prec))
			}
		}
		if listed && !strings.Contains(h.Sources["achievable_matmul_flops"], "Maximum Achievable Matmul FLOPS") {
			t.Errorf("%s: achievable_matmul_flops does not cite its table", h.Key)
		}
		// calibration.Derive scales across vendors only: every measured
		// entry states its maker, the first word of its name.
		if listed && (h.Vendor == "" || !strings.HasPrefix(h.Name, h.Vendor+" ")) {
			t.Errorf("%s: vendor %q, name %q", h.Key, h.Vendor, h.Name)
		}
		delete(want, h.Key)
	}
	if len(want) > 0 {
		t.Errorf("entries missing: %v", want)
	}
}
