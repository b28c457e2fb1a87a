package registry

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/mlsysim/mlsysim-go/units"
)

// qty is a quantity in a data file: a number, or a string with a unit
// ("3.35 TB/s", "80 GiB", "$25,000"). Its dimension is checked where it is used.
type qty struct {
	v   float64
	dim units.Dimension
	raw string
	set bool
}

func (q *qty) UnmarshalYAML(unmarshal func(any) error) error {
	var x any
	if err := unmarshal(&x); err != nil {
		return err
	}
	switch t := x.(type) {
	case nil:
		return nil
	case string:
		v, d, err := units.Parse(t)
		if err != nil {
			return err
		}
		*q = qty{v: v, dim: d, raw: t, set: true}
	case int:
		*q = qty{v: float64(t), raw: fmt.Sprint(t), set: true}
	case int64:
		*q = qty{v: float64(t), raw: fmt.Sprint(t), set: true}
	case uint64:
		*q = qty{v: float64(t), raw: fmt.Sprint(t), set: true}
	case float64:
		*q = qty{v: t, raw: fmt.Sprint(t), set: true}
	default:
		return fmt.Errorf("want a number or a quantity string such as \"80 GiB\", got %T", x)
	}
	return nil
}

// File is the shape of every registry data file, embedded or the user's:
// any of its sections may be present.
type file struct {
	Hardware    []rawHardware   `yaml:"hardware"`
	Models      []rawModel      `yaml:"models"`
	Fabrics     []rawFabric     `yaml:"fabrics"`
	Nodes       []rawNode       `yaml:"nodes"`
	Clusters    []rawCluster    `yaml:"clusters"`
	Grids       []rawGrid       `yaml:"grids"`
	Datacenters []rawDatacenter `yaml:"datacenters"`
	Scenarios   []rawScenario   `yaml:"scenarios"`
	Constants   []rawConstant   `yaml:"constants"`

	data []byte // the file's text, to place errors
}

type rawLink struct {
	Name      string `yaml:"name"`
	Bandwidth qty    `yaml:"bandwidth"`
	Latency   qty    `yaml:"latency"`
	Direction string `yaml:"direction"` // per_direction (default) or bidirectional_total
}

type rawMemory struct {
	Capacity          qty `yaml:"capacity"`
	Bandwidth         qty `yaml:"bandwidth"`
	SRAMCapacity      qty `yaml:"sram_capacity"`
	SRAMBandwidth     qty `yaml:"sram_bandwidth"`
	FlashCapacity     qty `yaml:"flash_capacity"`
	FlashBandwidth    qty `yaml:"flash_bandwidth"`
	L2Cache           qty `yaml:"l2_cache"`
	RegisterFilePerSM qty `yaml:"register_file_per_sm"`
	SharedMemPerSM    qty `yaml:"shared_memory_per_sm"`
}

type rawStorage struct {
	Capacity  qty `yaml:"capacity"`
	Bandwidth qty `yaml:"bandwidth"`
	Latency   qty `yaml:"latency"`
}

type rawMIG struct {
	Name            string `yaml:"name"`
	Memory          qty    `yaml:"memory"`
	SMCount         int    `yaml:"sm_count"`
	TypicalWorkload string `yaml:"typical_workload"`
}

type rawHardware struct {
	Key              string            `yaml:"key"`
	Override         bool              `yaml:"override"` // replaces the entry of the same key
	Tier             string            `yaml:"tier"`
	Form             string            `yaml:"form"` // accelerator, rack or wafer; "" = from accelerator_count
	Name             string            `yaml:"name"`
	Aliases          []string          `yaml:"aliases"`
	Year             int               `yaml:"year"`
	Vendor           string            `yaml:"vendor"`
	PeakFLOPS        qty               `yaml:"peak_flops"`
	PrecisionFLOPS   map[string]qty    `yaml:"precision_flops"`
	AchievableMatmul map[string]qty    `yaml:"achievable_matmul_flops"`
	Memory           rawMemory         `yaml:"memory"`
	Storage          *rawStorage       `yaml:"storage"`
	Interconnect     *rawLink          `yaml:"interconnect"`
	NVLink           *rawLink          `yaml:"nvlink"`
	TDP              qty               `yaml:"tdp"`
	TDPMin           qty               `yaml:"tdp_min"`
	TDPMax           qty               `yaml:"tdp_max"`
	Battery          qty               `yaml:"battery_capacity"`
	DieAreaMM2       float64           `yaml:"die_area_mm2"`
	UnitCost         qty               `yaml:"unit_cost"`
	UnitCostMax      qty               `yaml:"unit_cost_max"`
	AcceleratorCount int               `yaml:"accelerator_count"`
	EmbodiedCarbonKg float64           `yaml:"embodied_carbon_kg"`
	DispatchTax      qty               `yaml:"dispatch_tax"`
	SMCount          int               `yaml:"sm_count"`
	ClockRate        qty               `yaml:"clock_rate"`
	MIG              []rawMIG          `yaml:"mig_profiles"`
	Source           string            `yaml:"source"`
	Sources          map[string]string `yaml:"sources"`
	Notes            string            `yaml:"notes"`
}

type rawModel struct {
	Key                  string            `yaml:"key"`
	Override             bool              `yaml:"override"` // replaces the entry of the same key
	Family               string            `yaml:"family"`
	Name                 string            `yaml:"name"`
	Aliases              []string          `yaml:"aliases"`
	Type                 string            `yaml:"type"`
	Architecture         string            `yaml:"architecture"`
	Parameters           qty               `yaml:"parameters"`
	ActiveParameters     qty               `yaml:"active_parameters"`
	ModelSize            qty               `yaml:"model_size"`
	EmbeddingEntries     qty               `yaml:"embedding_entries"`
	InferenceFLOPs       qty               `yaml:"inference_flops"`
	InferenceEnergy      qty               `yaml:"inference_energy"`
	DataRate             qty               `yaml:"data_rate"`
	Layers               int               `yaml:"layers"`
	HiddenDim            int               `yaml:"hidden_dim"`
	Heads                int               `yaml:"heads"`
	KVHeads              int               `yaml:"kv_heads"`
	HeadDim              int               `yaml:"head_dim"`
	FFNDim               int               `yaml:"ffn_dim"`
	VocabSize            int               `yaml:"vocab_size"`
	MaxSeqLen            int               `yaml:"max_seq_len"`
	Experts              int               `yaml:"experts"`
	ActiveExperts        int               `yaml:"active_experts"`
	KVLoRARank           int               `yaml:"kv_lora_rank"`
	QKRopeHeadDim        int               `yaml:"qk_rope_head_dim"`
	Attention            string            `yaml:"attention"`
	AttnHeads            int               `yaml:"attention_heads"`
	AttnKVHeads          int               `yaml:"attention_kv_heads"`
	QLoRARank            int               `yaml:"q_lora_rank"`
	QKNopeHeadDim        int               `yaml:"qk_nope_head_dim"`
	VHeadDim             int               `yaml:"v_head_dim"`
	SharedExperts        int               `yaml:"shared_experts"`
	ExpertFFNDim         int               `yaml:"expert_ffn_dim"`
	DenseLayers          int               `yaml:"dense_layers"`
	DenseFFNDim          int               `yaml:"dense_ffn_dim"`
	MoELayerStep         int               `yaml:"moe_layer_step"`
	SlidingWindow        int               `yaml:"sliding_window"`
	WindowLayers         int               `yaml:"window_layers"`
	StateSize            int               `yaml:"state_size"`
	LayerPattern         string            `yaml:"hybrid_override_pattern"`
	MambaHeads           int               `yaml:"mamba_num_heads"`
	MambaHeadDim         int               `yaml:"mamba_head_dim"`
	MambaGroups          int               `yaml:"n_groups"`
	ConvKernel           int               `yaml:"conv_kernel"`
	ChunkSize            int               `yaml:"chunk_size"`
	DenoisingSteps       int               `yaml:"denoising_steps"`
	Resolution           int               `yaml:"resolution"`
	ActionChunkHorizon   int               `yaml:"action_chunk_horizon"`
	ActionDim            int               `yaml:"action_dim"`
	ObservationHorizon   int               `yaml:"observation_horizon"`
	TrainingOps          qty               `yaml:"training_ops"`
	TrainingTokens       qty               `yaml:"training_tokens"`
	TrainingDatasetSize  qty               `yaml:"training_dataset_size"`
	TrainingAccelerators int               `yaml:"training_accelerators_ref"`
	TrainingDays         qty               `yaml:"training_days_ref"`
	TrainingEnergy       qty               `yaml:"training_energy"`
	TrainingGPUDays      qty               `yaml:"training_gpu_days"`
	TrainingHardware     string            `yaml:"training_hardware_label"`
	ParamRangeMin        qty               `yaml:"parameter_range_min"`
	ParamRangeMax        qty               `yaml:"parameter_range_max"`
	Source               string            `yaml:"source"`
	Sources              map[string]string `yaml:"sources"`
	Notes                string            `yaml:"notes"`
}

type rawFabric struct {
	Key              string   `yaml:"key"`
	Name             string   `yaml:"name"`
	Aliases          []string `yaml:"aliases"`
	Topology         string   `yaml:"topology"`
	Bandwidth        qty      `yaml:"bandwidth"`
	Latency          qty      `yaml:"latency"`
	Oversubscription float64  `yaml:"oversubscription"`
	Source           string   `yaml:"source"`
}

type rawNode struct {
	Key                 string   `yaml:"key"`
	Name                string   `yaml:"name"`
	Aliases             []string `yaml:"aliases"`
	Accelerator         string   `yaml:"accelerator"`
	AcceleratorsPerNode int      `yaml:"accelerators_per_node"`
	AcceleratorsPerHost int      `yaml:"accelerators_per_host"`
	IntraNodeBandwidth  qty      `yaml:"intra_node_bandwidth"`
	IntraNodeLatency    qty      `yaml:"intra_node_latency"`
	NICsPerNode         int      `yaml:"nics_per_node"`
	PSUsPerNode         int      `yaml:"psus_per_node"`
	Source              string   `yaml:"source"`
}

type rawCluster struct {
	Key        string   `yaml:"key"`
	Name       string   `yaml:"name"`
	Aliases    []string `yaml:"aliases"`
	Node       string   `yaml:"node"`
	Count      int      `yaml:"count"`
	Fabric     string   `yaml:"fabric"`
	Region     string   `yaml:"region"`
	Datacenter string   `yaml:"datacenter"`
	MTBFHours  float64  `yaml:"mtbf_hours"`
	Source     string   `yaml:"source"`
}

type rawGrid struct {
	Key              string   `yaml:"key"`
	Name             string   `yaml:"name"`
	Aliases          []string `yaml:"aliases"`
	CarbonIntensity  float64  `yaml:"carbon_intensity_g_kwh"`
	PUE              float64  `yaml:"pue"`
	WUE              *float64 `yaml:"wue_l_kwh"`
	PrimarySource    string   `yaml:"primary_source"`
	Lat              float64  `yaml:"lat"`
	Lon              float64  `yaml:"lon"`
	RenewablePct     float64  `yaml:"renewable_pct"`
	ElectricityPrice float64  `yaml:"electricity_usd_per_kwh"`
	Source           string   `yaml:"source"`
}

type rawDatacenter struct {
	Key         string   `yaml:"key"`
	Name        string   `yaml:"name"`
	Aliases     []string `yaml:"aliases"`
	Grid        string   `yaml:"grid"`
	PUEOverride float64  `yaml:"pue_override"`
	Source      string   `yaml:"source"`
}

type rawScenario struct {
	Key            string   `yaml:"key"`
	Name           string   `yaml:"name"`
	Aliases        []string `yaml:"aliases"`
	Description    string   `yaml:"description"`
	Application    string   `yaml:"application"`
	Workload       string   `yaml:"workload"`
	System         string   `yaml:"system"`
	Precision      string   `yaml:"precision"`
	BatchSize      int      `yaml:"batch_size"`
	SLALatency     qty      `yaml:"sla_latency"`
	TargetAccuracy float64  `yaml:"target_accuracy"`
	PowerBudget    qty      `yaml:"power_budget"`
	DataRate       qty      `yaml:"data_rate"`
	Fix            string   `yaml:"fix"`
	Source         string   `yaml:"source"`
}

type rawConstant struct {
	Key    string `yaml:"key"`
	Name   string `yaml:"name"`
	Value  qty    `yaml:"value"`
	Source string `yaml:"source"`
}

// Limits on what a data file may say, so that no entry can make the engine's
// arithmetic overflow or divide by almost nothing.
const (
	// MaxQuantity bounds every quantity of a data file (FLOP/s, bytes, J,
	// USD ...): 1e30 is beyond any machine or model (the largest training
	// runs are ~1e26 FLOPs).
	MaxQuantity = 1e30
	// MaxCount bounds every whole number of a data file (layers, SMs,
	// accelerators per node ...).
	MaxCount = 1 << 40
	// maxErrors is how many problems of one load are reported; the rest
	// are counted.
	maxErrors = 20
	// maxEcho is how much of a value from the file a message repeats.
	maxEcho = 64
)

// decodeFile parses one data file strictly: unknown keys are errors with
// their line and column, and so is anything after the first document.
// Messages repeat at most a short excerpt of the file.
func decodeFile(name string, data []byte) (*file, error) {
	var f file
	if len(bytes.TrimSpace(data)) == 0 {
		return &f, nil // an empty file adds nothing
	}
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.DisallowUnknownField())
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %s", name, short(quietQuotes(yaml.FormatError(err, false, false)), 4*maxEcho))
	}
	var rest any
	if err := dec.Decode(&rest); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: trailing data after the first YAML document (a data file holds one)", name)
	}
	f.data = data
	return &f, nil
}

var (
	quoted   = regexp.MustCompile(`"[^"\n]*"?`)
	keyLike  = regexp.MustCompile(`^"[A-Za-z0-9_.\-]{1,64}"$`)
	cutQuote = "\"…\""
)

// quietQuotes replaces each quoted excerpt of a parser message that is not
// a key-like word by "…", so that a file that is not a data file (a
// password file, say) is never repeated in a message.
func quietQuotes(msg string) string {
	return quoted.ReplaceAllStringFunc(msg, func(q string) string {
		if keyLike.MatchString(q) {
			return q
		}
		return cutQuote
	})
}

// short returns s cut to at most n bytes (at a rune boundary), marked "…".
func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// checker accumulates the errors of one file so all are reported at once,
// each with its line: path is the YAML path of the entry being checked
// ("$.hardware[2]"), data the file, parsed again only to place an error.
type checker struct {
	file string
	data []byte
	path string
	ast  *ast.File
	errs []error
}

// line returns the line of the node at the YAML path p, or 0.
func (c *checker) line(p string) int {
	if c.data == nil || p == "" {
		return 0
	}
	if c.ast == nil {
		f, err := parser.ParseBytes(c.data, 0)
		if err != nil {
			c.data = nil
			return 0
		}
		c.ast = f
	}
	yp, err := yaml.PathString(p)
	if err != nil {
		return 0
	}
	n, err := yp.FilterFile(c.ast)
	if err != nil || n == nil || n.GetToken() == nil {
		return 0
	}
	return n.GetToken().Position.Line
}

func (c *checker) where(field string) string {
	l := 0
	if field != "" {
		l = c.line(c.path + "." + field)
	}
	if l == 0 {
		l = c.line(c.path)
	}
	if l == 0 {
		return c.file
	}
	return fmt.Sprintf("%s:%d", c.file, l)
}

func (c *checker) errorf(entry, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%s: %s: %s", c.where(""), short(entry, maxEcho), short(fmt.Sprintf(format, args...), 4*maxEcho)))
}

// fieldf is errorf for one field of the entry, placed at the field's line.
func (c *checker) fieldf(entry, field, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%s: %s: %s: %s", c.where(field), short(entry, maxEcho), field, short(fmt.Sprintf(format, args...), 4*maxEcho)))
}

// get returns q's value checked against want, or 0 if q is unset. Errors
// name the key and give the parsed number, never the file's text. A value
// must be finite, in [0, MaxQuantity], and, for the quantities engines
// divide by (bandwidths, FLOP rates, capacities, clocks), at least 1 when
// given: 0 B/s is a missing field, not a bandwidth.
func (c *checker) get(entry, field string, q qty, want units.Dimension) float64 {
	if !q.set {
		return 0
	}
	if q.dim != want && q.dim != units.Dimensionless {
		c.fieldf(entry, field, "a %s, want a %s", q.dim, want)
		return 0
	}
	if math.IsNaN(q.v) || math.IsInf(q.v, 0) || q.v < 0 || q.v > MaxQuantity {
		c.fieldf(entry, field, "%g is not a finite number in [0, %g]", q.v, MaxQuantity)
		return 0
	}
	switch want {
	case units.DimByteRate, units.DimFLOPRate, units.DimBytes, units.DimFrequency:
		if q.v < 1 {
			c.fieldf(entry, field, "%g %s: must be at least 1 %[2]s (leave the field out when unknown)", q.v, want.Unit())
			return 0
		}
	}
	return q.v
}

// count checks a whole number of the file: in [0, MaxCount].
func (c *checker) count(entry, field string, n int) int {
	if n < 0 || n > MaxCount {
		c.fieldf(entry, field, "%d must be in [0, %d]", n, MaxCount)
		return 0
	}
	return n
}

// number checks a plain number of the file: finite, in [lo, hi].
func (c *checker) number(entry, field string, x, lo, hi float64) float64 {
	if math.IsNaN(x) || x < lo || x > hi {
		c.fieldf(entry, field, "%g must be in [%g, %g]", x, lo, hi)
		return 0
	}
	return x
}

func (c *checker) link(entry, field string, l *rawLink) Link {
	if l == nil {
		return Link{}
	}
	out := Link{
		Name:         l.Name,
		BandwidthBps: c.get(entry, field+".bandwidth", l.Bandwidth, units.DimByteRate),
		LatencyS:     c.get(entry, field+".latency", l.Latency, units.DimTime),
	}
	switch l.Direction {
	case "", "per_direction":
	case "bidirectional_total":
		out.Bidirectional = true
	default:
		c.errorf(entry, "%s.direction: %q, want per_direction or bidirectional_total", field, l.Direction)
	}
	return out
}

var tiers = []string{"Cloud", "Workstation", "Mobile", "Edge", "Tiny"}

func (c *checker) hardware(r rawHardware) *Hardware {
	e := "hardware " + r.Key
	if r.Key == "" {
		c.errorf("hardware", "an entry has no key")
	}
	h := &Hardware{
		Key: r.Key, Tier: r.Tier, Name: r.Name, Aliases: r.Aliases, Year: c.count(e, "year", r.Year), Vendor: r.Vendor,
		PeakFLOPS:            c.get(e, "peak_flops", r.PeakFLOPS, units.DimFLOPRate),
		MemCapacityBytes:     c.get(e, "memory.capacity", r.Memory.Capacity, units.DimBytes),
		MemBandwidthBps:      c.get(e, "memory.bandwidth", r.Memory.Bandwidth, units.DimByteRate),
		SRAMCapacityBytes:    c.get(e, "memory.sram_capacity", r.Memory.SRAMCapacity, units.DimBytes),
		SRAMBandwidthBps:     c.get(e, "memory.sram_bandwidth", r.Memory.SRAMBandwidth, units.DimByteRate),
		FlashCapacityBytes:   c.get(e, "memory.flash_capacity", r.Memory.FlashCapacity, units.DimBytes),
		FlashBandwidthBps:    c.get(e, "memory.flash_bandwidth", r.Memory.FlashBandwidth, units.DimByteRate),
		L2CacheBytes:         c.get(e, "memory.l2_cache", r.Memory.L2Cache, units.DimBytes),
		RegisterFilePerSM:    c.get(e, "memory.register_file_per_sm", r.Memory.RegisterFilePerSM, units.DimBytes),
		SharedMemPerSM:       c.get(e, "memory.shared_memory_per_sm", r.Memory.SharedMemPerSM, units.DimBytes),
		HostLink:             c.link(e, "interconnect", r.Interconnect),
		NVLink:               c.link(e, "nvlink", r.NVLink),
		TDPW:                 c.get(e, "tdp", r.TDP, units.DimPower),
		TDPMinW:              c.get(e, "tdp_min", r.TDPMin, units.DimPower),
		TDPMaxW:              c.get(e, "tdp_max", r.TDPMax, units.DimPower),
		DieAreaMM2:           c.number(e, "die_area_mm2", r.DieAreaMM2, 0, 1e6),
		UnitCostUSD:          c.get(e, "unit_cost", r.UnitCost, units.DimCurrency),
		UnitCostMaxUSD:       c.get(e, "unit_cost_max", r.UnitCostMax, units.DimCurrency),
		AcceleratorCount:     c.count(e, "accelerator_count", r.AcceleratorCount),
		EmbodiedCarbonKg:     c.number(e, "embodied_carbon_kg", r.EmbodiedCarbonKg, 0, MaxQuantity),
		DispatchTaxS:         c.get(e, "dispatch_tax", r.DispatchTax, units.DimTime),
		SMCount:              c.count(e, "sm_count", r.SMCount),
		ClockHz:              c.get(e, "clock_rate", r.ClockRate, units.DimFrequency),
		Source:               r.Source,
		Sources:              r.Sources,
		Notes:                r.Notes,
		StorageCapacityBytes: 0,
	}
	if f, err := parseForm(r.Form, h.AcceleratorCount); err != nil {
		c.errorf(e, "%v", err)
	} else {
		h.Form = f
	}
	if r.Battery.set {
		// Battery capacities are given in Wh or J.
		h.BatteryJ = c.get(e, "battery_capacity", r.Battery, units.DimEnergy)
	}
	if !r.DispatchTax.set {
		h.DispatchTaxS = 0.01e-3 // mlsysim HardwareNode.dispatch_tax default
	}
	if r.Storage != nil {
		h.StorageCapacityBytes = c.get(e, "storage.capacity", r.Storage.Capacity, units.DimBytes)
		h.StorageBandwidthBps = c.get(e, "storage.bandwidth", r.Storage.Bandwidth, units.DimByteRate)
		h.StorageLatencyS = c.get(e, "storage.latency", r.Storage.Latency, units.DimTime)
	}
	for k, q := range r.PrecisionFLOPS {
		v := c.get(e, "precision_flops."+k, q, units.DimFLOPRate)
		if p, err := ParsePrecision(k); err == nil {
			h.PrecisionFLOPS[p] = v
			continue
		}
		if h.OtherFLOPS == nil {
			h.OtherFLOPS = map[string]float64{}
		}
		h.OtherFLOPS[k] = v
	}
	for _, k := range slices.Sorted(maps.Keys(r.AchievableMatmul)) {
		f := "achievable_matmul_flops." + k
		p, err := ParsePrecision(k)
		if err != nil {
			c.fieldf(e, f, "%v", err)
			continue
		}
		v := c.get(e, f, r.AchievableMatmul[k], units.DimFLOPRate)
		if peak := h.PeakFor(p); v > peak {
			c.fieldf(e, f, "%g flop/s exceeds the datasheet rate %g flop/s", v, peak)
			continue
		}
		h.AchievableMatmulFLOPS[p] = v
	}
	if len(r.AchievableMatmul) > 0 && strings.TrimSpace(r.Sources["achievable_matmul_flops"]) == "" {
		c.fieldf(e, "achievable_matmul_flops", "a measurement needs its source in sources.achievable_matmul_flops")
	}
	for _, m := range r.MIG {
		h.MIG = append(h.MIG, MIGProfile{Name: m.Name, MemoryBytes: c.get(e, "mig_profiles.memory", m.Memory, units.DimBytes), SMCount: c.count(e, "mig_profiles.sm_count", m.SMCount), TypicalWorkload: m.TypicalWorkload})
	}
	if !contains(tiers, r.Tier) {
		c.errorf(e, "tier %q, want one of %s", r.Tier, strings.Join(tiers, ", "))
	}
	if h.PeakFLOPS <= 0 {
		c.errorf(e, "peak_flops must be positive")
	}
	if h.MemCapacityBytes <= 0 || h.MemBandwidthBps <= 0 {
		c.errorf(e, "memory.capacity and memory.bandwidth must be positive")
	}
	if r.Source == "" {
		c.errorf(e, "source is missing: every value needs one")
	}
	return h
}

var families = []string{"Language", "Vision", "Tiny", "Recommendation", "StateSpace", "GenerativeVision", "Embodied"}

func (c *checker) model(r rawModel) *Model {
	e := "model " + r.Key
	if r.Key == "" {
		c.errorf("models", "an entry has no key")
	}
	m := &Model{
		Key: r.Key, Family: r.Family, Name: r.Name, Aliases: r.Aliases, Architecture: r.Architecture,
		Parameters:           c.get(e, "parameters", r.Parameters, units.Dimensionless),
		ActiveParameters:     c.get(e, "active_parameters", r.ActiveParameters, units.Dimensionless),
		ModelSizeBytes:       c.get(e, "model_size", r.ModelSize, units.DimBytes),
		EmbeddingEntries:     c.get(e, "embedding_entries", r.EmbeddingEntries, units.Dimensionless),
		InferenceFLOPs:       c.get(e, "inference_flops", r.InferenceFLOPs, units.DimFLOP),
		InferenceEnergy:      c.get(e, "inference_energy", r.InferenceEnergy, units.DimEnergy),
		DataRateBps:          c.get(e, "data_rate", r.DataRate, units.DimByteRate),
		Layers:               c.count(e, "layers", r.Layers),
		HiddenDim:            c.count(e, "hidden_dim", r.HiddenDim),
		Heads:                c.count(e, "heads", r.Heads),
		KVHeads:              c.count(e, "kv_heads", r.KVHeads),
		HeadDim:              c.count(e, "head_dim", r.HeadDim),
		FFNDim:               c.count(e, "ffn_dim", r.FFNDim),
		VocabSize:            c.count(e, "vocab_size", r.VocabSize),
		MaxSeqLen:            c.count(e, "max_seq_len", r.MaxSeqLen),
		Experts:              c.count(e, "experts", r.Experts),
		ActiveExperts:        c.count(e, "active_experts", r.ActiveExperts),
		KVLoRARank:           c.count(e, "kv_lora_rank", r.KVLoRARank),
		QKRopeHeadDim:        c.count(e, "qk_rope_head_dim", r.QKRopeHeadDim),
		AttnHeads:            c.count(e, "attention_heads", r.AttnHeads),
		AttnKVHeads:          c.count(e, "attention_kv_heads", r.AttnKVHeads),
		QLoRARank:            c.count(e, "q_lora_rank", r.QLoRARank),
		QKNopeHeadDim:        c.count(e, "qk_nope_head_dim", r.QKNopeHeadDim),
		VHeadDim:             c.count(e, "v_head_dim", r.VHeadDim),
		SharedExperts:        c.count(e, "shared_experts", r.SharedExperts),
		ExpertFFNDim:         c.count(e, "expert_ffn_dim", r.ExpertFFNDim),
		DenseLayers:          c.count(e, "dense_layers", r.DenseLayers),
		DenseFFNDim:          c.count(e, "dense_ffn_dim", r.DenseFFNDim),
		MoELayerStep:         c.count(e, "moe_layer_step", r.MoELayerStep),
		SlidingWindow:        c.count(e, "sliding_window", r.SlidingWindow),
		WindowLayers:         c.count(e, "window_layers", r.WindowLayers),
		StateSize:            c.count(e, "state_size", r.StateSize),
		LayerPattern:         r.LayerPattern,
		MambaHeads:           c.count(e, "mamba_num_heads", r.MambaHeads),
		MambaHeadDim:         c.count(e, "mamba_head_dim", r.MambaHeadDim),
		MambaGroups:          c.count(e, "n_groups", r.MambaGroups),
		ConvKernel:           c.count(e, "conv_kernel", r.ConvKernel),
		ChunkSize:            c.count(e, "chunk_size", r.ChunkSize),
		DenoiseSteps:         c.count(e, "denoising_steps", r.DenoisingSteps),
		Resolution:           c.count(e, "resolution", r.Resolution),
		ActionHorizon:        c.count(e, "action_chunk_horizon", r.ActionChunkHorizon),
		ActionDim:            c.count(e, "action_dim", r.ActionDim),
		ObsHorizon:           c.count(e, "observation_horizon", r.ObservationHorizon),
		TrainingOps:          c.get(e, "training_ops", r.TrainingOps, units.DimFLOP),
		TrainingTokens:       c.get(e, "training_tokens", r.TrainingTokens, units.Dimensionless),
		TrainingDatasetBytes: c.get(e, "training_dataset_size", r.TrainingDatasetSize, units.DimBytes),
		TrainingAccelerators: c.count(e, "training_accelerators_ref", r.TrainingAccelerators),
		TrainingDays:         c.get(e, "training_days_ref", r.TrainingDays, units.DimTime) / 86400,
		TrainingEnergyJ:      c.get(e, "training_energy", r.TrainingEnergy, units.DimEnergy),
		TrainingGPUDays:      c.get(e, "training_gpu_days", r.TrainingGPUDays, units.Dimensionless),
		TrainingHardware:     r.TrainingHardware,
		ParamRangeMin:        c.get(e, "parameter_range_min", r.ParamRangeMin, units.Dimensionless),
		ParamRangeMax:        c.get(e, "parameter_range_max", r.ParamRangeMax, units.Dimensionless),
		Source:               r.Source,
		Sources:              r.Sources,
		Notes:                r.Notes,
	}
	if r.TrainingDays.set && r.TrainingDays.dim == units.Dimensionless {
		m.TrainingDays = r.TrainingDays.v // a bare number is days
	}
	if m.ObsHorizon == 0 && r.Type == "embodied" {
		m.ObsHorizon = 1
	}
	found := false
	for i, n := range classNames {
		if n == r.Type {
			m.Class, found = ModelClass(i), true
		}
	}
	if !found {
		c.errorf(e, "type %q, want one of %s", r.Type, strings.Join(classNames[:], ", "))
	}
	if !contains(families, r.Family) {
		c.errorf(e, "family %q, want one of %s", r.Family, strings.Join(families, ", "))
	}
	if m.Parameters <= 0 && m.ModelSizeBytes <= 0 {
		c.errorf(e, "needs parameters or model_size")
	}
	switch m.Class {
	case ClassTransformer, ClassMoE, ClassSSM:
		if m.Layers <= 0 {
			c.errorf(e, "a %s needs layers", m.Class)
		}
	}
	if m.Class == ClassMoE && (m.ActiveParameters <= 0 || m.Experts <= 0) {
		c.errorf(e, "a moe model needs active_parameters and experts")
	}
	if m.Class == ClassMoE && m.ActiveExperts == 0 {
		m.ActiveExperts = 1 // mlsysim SparseTransformerWorkload default
	}
	if r.Attention != "" {
		found := false
		for i, n := range attentionNames {
			if i > 0 && n == r.Attention {
				m.Attention, found = AttentionKind(i), true
			}
		}
		if !found {
			c.errorf(e, "attention %q, want one of mha, gqa, mla", r.Attention)
		}
	}
	if m.Attention == AttnMLA && (m.KVLoRARank <= 0 || m.QKRopeHeadDim <= 0) {
		c.errorf(e, "mla attention needs kv_lora_rank and qk_rope_head_dim")
	}
	if m.WindowLayers > m.Layers || (m.WindowLayers > 0) != (m.SlidingWindow > 0) {
		c.errorf(e, "sliding_window and window_layers go together, window_layers at most layers %d", m.Layers)
	}
	if m.DenseLayers > 0 && m.DenseLayers >= m.Layers {
		c.errorf(e, "dense_layers %d must be fewer than layers %d", m.DenseLayers, m.Layers)
	}
	if m.SharedExperts+m.DenseLayers+m.ExpertFFNDim+m.DenseFFNDim+m.MoELayerStep > 0 && m.Class != ClassMoE {
		c.errorf(e, "shared_experts, expert_ffn_dim, dense_layers, dense_ffn_dim and moe_layer_step are for type moe")
	}
	c.checkHybrid(e, m)
	if m.Class == ClassDiffusion && m.DenoiseSteps <= 0 {
		c.errorf(e, "a diffusion model needs denoising_steps")
	}
	if m.Class == ClassCNN && m.InferenceFLOPs <= 0 {
		c.errorf(e, "a cnn needs inference_flops")
	}
	if r.Source == "" {
		c.errorf(e, "source is missing: every value needs one")
	}
	return m
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
