package registry

// All quantities are float64 in SI base units (bytes, seconds, flop, flop/s,
// B/s, W, J, USD, kg); a zero value means "not given" unless a field says
// otherwise. Entries are read-only once loaded: engines hold pointers to them.

// Link is a point-to-point or host link (PCIe, NVLink, ICI ...).
type Link struct {
	Name          string
	BandwidthBps  float64 // B/s, as the datasheet states it (see Bidirectional)
	LatencyS      float64 // s, one hop
	Bidirectional bool    // BandwidthBps is the sum of both directions
}

// PerDirectionBps returns the bandwidth one direction can use:
// BandwidthBps/2 for a bidirectional total, BandwidthBps otherwise
// (mlsysim IOInterconnect.bandwidth_per_direction).
func (l Link) PerDirectionBps() float64 {
	if l.Bidirectional {
		return l.BandwidthBps / 2
	}
	return l.BandwidthBps
}

// MIGProfile is one Multi-Instance GPU partition.
type MIGProfile struct {
	Name            string
	MemoryBytes     float64
	SMCount         int
	TypicalWorkload string
}

// Hardware is one accelerator or device (mlsysim HardwareNode).
type Hardware struct {
	Key     string   // canonical registry name, e.g. "H100"
	Tier    string   // namespace: Cloud, Workstation, Mobile, Edge, Tiny
	Name    string   // display name, e.g. "NVIDIA H100 SXM5"
	Aliases []string // other accepted names
	Year    int      // release year
	// Vendor is the maker whose libraries run the device's kernels
	// ("NVIDIA", "AMD", "Intel"); "" = not stated. calibration.Derive
	// carries the reference profile's fractions of peak unchanged within a
	// vendor and scales them by the achievable matmul efficiency across
	// vendors.
	Vendor string

	// PeakFLOPS is the dense FP16/BF16 rate, flop/s; the fallback for any
	// precision missing from PrecisionFLOPS (mlsysim compute.peak_flops).
	PeakFLOPS float64
	// PrecisionFLOPS holds the dense rate per precision, flop/s; 0 = not listed.
	PrecisionFLOPS [NumPrecisions]float64
	// OtherFLOPS holds listed rates for formats the engine cannot select
	// (fp4, mxint4, sparse variants), flop/s, by name.
	OtherFLOPS map[string]float64
	// AchievableMatmulFLOPS holds a published measurement of the fastest
	// dense matrix product the device sustains, per precision, flop/s: the
	// maximum achievable matmul FLOPS (MAMF) of a search over shapes, timed
	// as a mean over many iterations, at most the datasheet rate PeakFor(p);
	// 0 = none published. Its source is in Sources["achievable_matmul_flops"].
	// A calibration profile derived for a device of another vendor than the
	// reference scales its matrix fractions by its ratio to the datasheet
	// rate (calibration.Derive).
	AchievableMatmulFLOPS [NumPrecisions]float64

	MemCapacityBytes   float64 // main memory (HBM, DRAM, or flash for MCUs)
	MemBandwidthBps    float64 // main memory bandwidth
	SRAMCapacityBytes  float64
	SRAMBandwidthBps   float64
	FlashCapacityBytes float64
	FlashBandwidthBps  float64
	L2CacheBytes       float64
	RegisterFilePerSM  float64 // bytes
	SharedMemPerSM     float64 // bytes

	StorageCapacityBytes float64
	StorageBandwidthBps  float64
	StorageLatencyS      float64

	HostLink Link // host interconnect (PCIe); zero Name and bandwidth = absent
	NVLink   Link // device-to-device link; zero = absent

	TDPW, TDPMinW, TDPMaxW float64
	BatteryJ               float64
	DieAreaMM2             float64
	UnitCostUSD            float64 // 0 = unknown
	UnitCostMaxUSD         float64
	AcceleratorCount       int  // > 1 when one entry stands for a whole rack (GB200 NVL72)
	Form                   Form // a single accelerator, a rack or a wafer (patterns select by it)
	EmbodiedCarbonKg       float64
	DispatchTaxS           float64 // fixed per-launch overhead (default 0.01 ms)
	SMCount                int
	ClockHz                float64
	MIG                    []MIGProfile

	Source  string            // where the entry's values come from
	Sources map[string]string // per-field sources where they differ
	Notes   string
}

// PeakFor returns the dense peak rate for precision p, flop/s: the listed
// rate when there is one, else PeakFLOPS (mlsysim Engine step 2).
func (h *Hardware) PeakFor(p Precision) float64 {
	if v := h.PrecisionFLOPS[p]; v > 0 {
		return v
	}
	return h.PeakFLOPS
}

// HasPrecision reports whether the datasheet lists a rate for p (fp16 and
// bf16 are always covered by PeakFLOPS).
func (h *Hardware) HasPrecision(p Precision) bool {
	return h.PrecisionFLOPS[p] > 0 || p == FP16 || p == BF16
}

// RidgePoint returns the arithmetic intensity, in flop/byte, where the
// compute and memory roofs meet: PeakFor(p) / MemBandwidthBps.
func (h *Hardware) RidgePoint(p Precision) float64 {
	if h.MemBandwidthBps == 0 {
		return 0
	}
	return h.PeakFor(p) / h.MemBandwidthBps
}

// ModelClass is the workload class, which decides how a model is lowered
// (mlsysim Workload subclasses).
type ModelClass uint8

// The workload classes.
const (
	ClassWorkload    ModelClass = iota // generic: parameters or model_size only
	ClassTransformer                   // dense decoder or encoder transformer
	ClassMoE                           // sparse mixture-of-experts transformer
	ClassCNN                           // convolutional network
	ClassSSM                           // state-space model (Mamba)
	ClassDiffusion                     // diffusion U-Net, FLOPs per denoising step
	ClassEmbodied                      // vision-language-action / policy model
	numClasses
)

var classNames = [numClasses]string{"workload", "transformer", "moe", "cnn", "ssm", "diffusion", "embodied"}

// String returns the class name used in data files ("transformer", "moe" ...).
func (c ModelClass) String() string {
	if c < numClasses {
		return classNames[c]
	}
	return "unknown"
}

// IsTransformer reports whether the class has transformer structure (layers,
// heads, KV cache): transformer and moe.
func (c ModelClass) IsTransformer() bool { return c == ClassTransformer || c == ClassMoE }

// Model is one workload (mlsysim Workload and subclasses).
type Model struct {
	Key          string // canonical name, e.g. "Llama3_8B"
	Family       string // namespace: Language, Vision, Tiny, Recommendation, StateSpace, GenerativeVision, Embodied
	Name         string // display name
	Aliases      []string
	Class        ModelClass
	Architecture string

	Parameters       float64 // total parameter count
	ActiveParameters float64 // MoE: parameters used per token
	ModelSizeBytes   float64 // fixed size for models known only by size (DLRM)
	EmbeddingEntries float64
	// InferenceFLOPs is the forward cost per unit of work: per generated
	// token for decoder LMs, per sequence for encoders, per input for
	// vision; per denoising step for diffusion. 0 = 2 × (active) parameters.
	InferenceFLOPs  float64
	InferenceEnergy float64 // J, published per-inference energy
	DataRateBps     float64 // input data rate the workload consumes

	Layers        int
	HiddenDim     int
	Heads         int
	KVHeads       int // 0 = Heads (no grouped-query attention)
	HeadDim       int // 0 = HiddenDim / Heads
	FFNDim        int // intermediate size of the MLP
	VocabSize     int
	MaxSeqLen     int // context window
	Experts       int
	ActiveExperts int // experts per token (top-k)
	KVLoRARank    int // MLA latent rank (DeepSeek)
	QKRopeHeadDim int
	// Attention layout and MoE structure as the model's config.json states
	// them. The calibrated fidelity prices these; the fields above keep
	// mlsysim's values where mlsysim differs (DeepSeek's 56 heads,
	// Mixtral's missing kv_heads), so that fidelity mlsysim reproduces its
	// published numbers.
	Attention     AttentionKind // MHA, GQA or MLA; 0 = not given (GQA when KVHeads < Heads)
	AttnHeads     int           // query heads where they differ from Heads (DeepSeek-V3: 128); 0 = Heads
	AttnKVHeads   int           // KV heads where mlsysim leaves kv_heads unset (Mixtral: 8); 0 = KVHeads
	QLoRARank     int           // MLA: query latent rank (q_lora_rank); 0 = queries projected directly
	QKNopeHeadDim int           // MLA: query/key width without rotary embedding per head
	VHeadDim      int           // MLA: value width per head
	SharedExperts int           // MoE: experts every token passes through besides the routed ones
	ExpertFFNDim  int           // MoE: MLP width of one expert (moe_intermediate_size); 0 = FFNDim
	DenseLayers   int           // MoE: leading layers with a dense MLP (first_k_dense_replace)
	DenseFFNDim   int           // MoE: MLP width of the dense layers; 0 = FFNDim
	MoELayerStep  int           // MoE: every n-th layer after DenseLayers is MoE, the rest dense (Llama 4 Maverick: 2); 0 = 1
	SlidingWindow int           // keys a windowed layer's tokens attend (gpt-oss 128; Llama 4's attention chunk 8192); 0 = none
	WindowLayers  int           // layers with the window; the others attend the whole context
	StateSize     int           // SSM state (Mamba-2 of a hybrid: ssm_state_size)

	// Hybrid Mamba-Transformer (Nemotron-H; hybrid.go). LayerPattern is the
	// config's hybrid_override_pattern, one character per layer; Blocks its
	// counts, parsed once at load (zero: not a hybrid).
	LayerPattern  string
	Blocks        LayerBlocks
	MambaHeads    int // Mamba-2 heads (mamba_num_heads)
	MambaHeadDim  int // Mamba-2 head dimension (mamba_head_dim); inner width MambaHeads × MambaHeadDim
	MambaGroups   int // B and C groups (n_groups), shared by MambaHeads / MambaGroups heads each
	ConvKernel    int // depthwise causal convolution width (conv_kernel); MambaConvDefault when unset
	ChunkSize     int // SSD chunk length (chunk_size); MambaChunkDefault when unset
	DenoiseSteps  int
	Resolution    int
	ActionHorizon int
	ActionDim     int
	ObsHorizon    int

	TrainingOps          float64 // flop, published total training compute
	TrainingTokens       float64
	TrainingDatasetBytes float64
	TrainingAccelerators int
	TrainingDays         float64
	TrainingEnergyJ      float64
	TrainingGPUDays      float64
	TrainingHardware     string
	ParamRangeMin        float64
	ParamRangeMax        float64

	Source  string
	Sources map[string]string
	Notes   string
}

// EffectiveHeads returns Heads, or mlsysim's default of 32 when unset.
func (m *Model) EffectiveHeads() int {
	if m.Heads > 0 {
		return m.Heads
	}
	return 32
}

// EffectiveHidden returns HiddenDim, or mlsysim's default of 4096 when unset.
func (m *Model) EffectiveHidden() int {
	if m.HiddenDim > 0 {
		return m.HiddenDim
	}
	return 4096
}

// EffectiveKVHeads returns KVHeads, or the head count when unset.
func (m *Model) EffectiveKVHeads() int {
	if m.KVHeads > 0 {
		return m.KVHeads
	}
	return m.EffectiveHeads()
}

// EffectiveHeadDim returns HeadDim, or HiddenDim / Heads (integer division,
// as mlsysim) when unset.
func (m *Model) EffectiveHeadDim() int {
	if m.HeadDim > 0 {
		return m.HeadDim
	}
	return m.EffectiveHidden() / m.EffectiveHeads()
}

// AttentionKind is the attention layout of a transformer.
type AttentionKind uint8

// The attention layouts.
const (
	AttnUnset AttentionKind = iota // not given: GQA when KVHeads < Heads, else MHA
	AttnMHA                        // multi-head: one KV head per query head
	AttnGQA                        // grouped-query: KV heads shared by groups of query heads
	AttnMLA                        // multi-head latent (DeepSeek): the KV cache is a KVLoRARank latent plus QKRopeHeadDim rotary keys
	numAttentionKinds
)

var attentionNames = [numAttentionKinds]string{"", "mha", "gqa", "mla"}

// String returns the name used in data files ("mha", "gqa", "mla"; "" unset).
func (a AttentionKind) String() string {
	if a < numAttentionKinds {
		return attentionNames[a]
	}
	return "unknown"
}

// IsMLA reports whether m's KV cache is a multi-head latent (MLA): the
// attention kind says so, or kv_lora_rank and qk_rope_head_dim are set
// (mlsysim's rule).
func (m *Model) IsMLA() bool {
	return m.Attention == AttnMLA || (m.KVLoRARank > 0 && m.QKRopeHeadDim > 0)
}

// TrueHeads returns the query heads of the model's own configuration:
// AttnHeads when given, else EffectiveHeads.
func (m *Model) TrueHeads() int {
	if m.AttnHeads > 0 {
		return m.AttnHeads
	}
	return m.EffectiveHeads()
}

// TrueKVHeads returns the KV heads of the model's own configuration:
// AttnKVHeads when given, else EffectiveKVHeads (TrueHeads when that is
// the head count mlsysim's fields fall back to).
func (m *Model) TrueKVHeads() int {
	if m.AttnKVHeads > 0 {
		return m.AttnKVHeads
	}
	if m.KVHeads > 0 {
		return m.KVHeads
	}
	return m.TrueHeads()
}

// ExpertFFN returns one routed expert's MLP width: ExpertFFNDim, else FFNDim.
func (m *Model) ExpertFFN() int {
	if m.ExpertFFNDim > 0 {
		return m.ExpertFFNDim
	}
	return m.FFNDim
}

// MoELayers returns the layers with a routed-expert MLP: 0 for a dense
// model, a hybrid's E blocks (Blocks.MoE), else ⌈(Layers − DenseLayers) / MoELayerStep⌉ (at least 1 of a
// model with experts and layers).
func (m *Model) MoELayers() int {
	if m.Class != ClassMoE || m.Experts < 2 || m.Layers < 1 {
		return 0
	}
	if m.IsHybrid() {
		return m.Blocks.MoE // the pattern's E layers
	}
	rest := max(m.Layers-m.DenseLayers, 1)
	step := max(m.MoELayerStep, 1)
	return (rest + step - 1) / step
}

// Fabric is a cluster network (mlsysim NetworkFabric).
type Fabric struct {
	Key, Name        string
	Aliases          []string
	Topology         string  // fat-tree, dragonfly, ring, torus
	BandwidthBps     float64 // per-NIC link rate, B/s
	LatencyS         float64
	Oversubscription float64 // ≥ 1; 1 = full bisection
	Source           string
}

// Node is a server of identical accelerators (mlsysim Node): the
// accelerators of one NVLink (scale-up) domain. A rack-scale domain such as
// an NVL72 rack spans several hosts (compute trays, each running its own
// operating system); AcceleratorsPerHost is then the accelerators of one,
// the unit a job is placed in.
type Node struct {
	Key, Name           string
	Aliases             []string
	Accelerator         *Hardware
	AcceleratorsPerNode int // accelerators of the NVLink domain
	// AcceleratorsPerHost is the accelerators of one host when the NVLink
	// domain spans several (NVL72: 4 per compute tray); 0 = the node is
	// one host. When set it divides AcceleratorsPerNode.
	AcceleratorsPerHost int
	IntraNodeBps        float64 // per-direction accelerator-to-accelerator bandwidth
	IntraNodeLatencyS   float64
	NICsPerNode         int
	PSUsPerNode         int
	Source              string
}

// Grid is an electricity grid region (mlsysim GridProfile).
type Grid struct {
	Key, Name          string
	Aliases            []string
	CarbonGPerKWh      float64 // gCO2e per kWh
	PUE                float64 // facility power usage effectiveness
	WUELPerKWh         float64 // water usage effectiveness, L per kWh
	PrimarySource      string
	Lat, Lon           float64
	RenewablePct       float64
	ElectricityUSDPerK float64 // USD per kWh
	Source             string
}

// Datacenter is a site on a grid, optionally with its own PUE.
type Datacenter struct {
	Key, Name   string
	Aliases     []string
	Grid        *Grid
	PUEOverride float64 // 0 = the grid's PUE
	Source      string
}

// PUE returns the site's PUE: its override, else its grid's.
func (d *Datacenter) PUE() float64 {
	if d.PUEOverride > 0 {
		return d.PUEOverride
	}
	return d.Grid.PUE
}

// Cluster is a fleet of identical nodes on one fabric (mlsysim Fleet).
type Cluster struct {
	Key, Name  string
	Aliases    []string
	Node       *Node
	Count      int // nodes
	Fabric     *Fabric
	Grid       *Grid       // nil = not set
	Datacenter *Datacenter // nil = not set
	MTBFHours  float64     // 0 = derive from components
	Source     string
}

// Accelerators returns Count × AcceleratorsPerNode.
func (c *Cluster) Accelerators() int { return c.Count * c.Node.AcceleratorsPerNode }

// Scenario is a named deployment question: a workload on a system with
// targets (mlsysim engine/scenarios.py).
type Scenario struct {
	Key, Name      string
	Aliases        []string
	Description    string
	Application    string
	Model          *Model
	Hardware       *Hardware // set when the system is one device
	Cluster        *Cluster  // set when the system is a cluster
	Precision      Precision
	BatchSize      int
	SLALatencyS    float64 // 0 = none
	TargetAccuracy float64 // 0 = none
	PowerBudgetW   float64 // 0 = none
	DataRateBps    float64 // overrides the model's data rate when > 0
	Fix            string  // what this registry changed from mlsysim, and why
	Source         string
}

// Constant is a named reference value (pricing, cooling, reliability ...).
type Constant struct {
	Key, Name string
	Value     float64 // SI base units (USD for prices)
	Unit      string  // unit of Value, as in output metadata
	Source    string
}
