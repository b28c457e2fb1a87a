package calibration

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mlsysim/mlsysim-go/registry"
)

// Class is the kind of a measured point.
type Class uint8

// The classes of points, in report order.
const (
	ClassDecode     Class = iota // one decode step (ITL), CUDA graph
	ClassPrefill                 // a prefill (TTFT)
	ClassTrain                   // forward + backward over all tokens
	ClassGEMM                    // one matrix product [M,K]×[K,N]
	ClassServe                   // static-batch serving throughput (prefill + decode)
	ClassTrainDist               // a published multi-GPU training step (tp, pp, dp)
	ClassCNNForward              // a CNN forward pass over a batch of images (inference)
	ClassCNNTrain                // a CNN training forward + backward
	numClasses
)

var classNames = [numClasses]string{"decode", "prefill", "train", "gemm", "serve", "train-dist", "cnn-forward", "cnn-train"}

// String returns "decode", "prefill", "train", "gemm", "serve",
// "train-dist", "cnn-forward" or "cnn-train".
func (c Class) String() string {
	if c < numClasses {
		return classNames[c]
	}
	return fmt.Sprintf("Class(%d)", c)
}

// Classes returns the classes in report order.
func Classes() []Class {
	return []Class{ClassDecode, ClassPrefill, ClassTrain, ClassGEMM, ClassServe, ClassTrainDist, ClassCNNForward, ClassCNNTrain}
}

// Transformer is the shape of a Llama-style decoder, as the measurement
// files describe it.
type Transformer struct {
	Name          string
	Layers        int
	Hidden        int
	Heads         int
	KVHeads       int
	HeadDim       int
	FFN           int
	Vocab         int
	Experts       int // 0 or 1: dense
	ActiveExperts int // experts per token (top-k)
	GatedMLP      bool

	// Mixture-of-experts structure (moe.go). FFN is one routed expert's
	// MLP width.
	SharedExperts int     // experts every token passes through besides the routed ones
	MoELayers     int     // layers with routed experts; 0 = all Layers (when Experts > 1)
	DenseFFN      int     // MLP width of the other layers; 0 = FFN
	EP            int     // expert-parallel degree: the rank holds ⌈Experts/EP⌉ experts and serves the routed tokens of EP ranks; 0 = 1
	Imbalance     float64 // routed tokens of the busiest rank over the mean, ≥ 1; 0 = 1
	TokenShare    float64 // share of the pass's tokens the rank dispatches to the experts (serving EP with tp: 1/tp); 0 = 1

	// Sliding-window attention (gpt-oss, Llama 4's chunked layers):
	// WindowLayers of the Layers attend at most Window keys.
	Window       int
	WindowLayers int

	// Multi-head latent attention (MLA, DeepSeek): KVLatent > 0 selects it.
	// Heads and KVHeads are then the query heads, HeadDim (QKDim+VDim)/2.
	KVLatent int // kv_lora_rank
	QLatent  int // q_lora_rank; 0 = queries projected from the hidden state
	RopeDim  int // qk_rope_head_dim: rotary key width, shared by the heads
	QKDim    int // query/key width per head (qk_nope_head_dim + qk_rope_head_dim)
	VDim     int // value width per head

	// Hybrid Mamba-Transformer (hybrid.go): Blocks, when set, makes each
	// of Layers one block of the kind the layer pattern says (their counts
	// add up to Layers; MoELayers is then unused, Blocks.MoE counts the
	// MoE blocks); SSM is the Mamba-2 blocks' shape.
	Blocks registry.LayerBlocks
	SSM    Mamba2
}

// Point is one measured time.
type Point struct {
	Source    string // file (base name) and index, e.g. "h100-2026-11-26.json:llm[3]"
	GPU       string // the device as the file names it
	Class     Class
	Precision string // "bf16", "fp16", "fp8", "tf32", "fp32", "int8"

	Model Transformer // decode, prefill, train, serve
	Batch int
	Seq   int // prefill, train: tokens per sequence; serve: input tokens
	Ctx   int // decode: KV-cache tokens
	Out   int // serve: output tokens
	TP    int // prefill, serve: tensor-parallel GPUs of one node (0 or 1: one GPU)

	M, N, K int // gemm

	Net string // cnn-forward, cnn-train: the network (CNNFor), on 224×224 images

	Eager bool // dispatched op by op from the host (PyTorch eager) rather than from a graph or compiled engine
	// Stack is the software stack the source names (published.csv's
	// software column); "" for the default of Software.
	Stack string
	// Mode is how a GEMM point was timed: "" is gpu_groundtruth.py's
	// protocol (at most 200 repeats, about 150 ms, right after the previous
	// shape); "burst" the same from an idle GPU and "sustained" after a
	// second of the same product back to back (gpu_clocks.py). A GPU at its
	// power limit clocks down under sustained load, so the modes differ.
	// A serve point of a mixture of experts has Mode "moe", so that it
	// reports in its own row.
	Mode string
	S    float64 // measured seconds (median); serve: seconds for the whole batch
	MinS float64 // fastest repeat, seconds (ms_min); 0 = not recorded
}

// Software returns the software stack a measured point ran on, which the
// fit and the accuracy report both predict it with: PyTorch for points
// dispatched op by op from the host (Eager: the prefill, training, GEMM and
// CNN points of the measurement scripts) and for decode steps, which those
// scripts capture in a CUDA graph; the stack the source names (Stack,
// e.g. tensorrt-llm) where it names one; Compiled for the rest, which came
// from a compiled serving engine (published.csv's serving rows).
func (pt *Point) Software() Software {
	if sw, ok := ParseSoftware(pt.Stack); ok {
		return sw
	}
	if pt.Eager || pt.Class == ClassDecode || pt.Class == ClassGEMM {
		return PyTorch
	}
	return Compiled
}

// Spread returns the point's own repeat spread, median/fastest − 1 (0 when
// the file does not record the fastest repeat).
func (pt *Point) Spread() float64 {
	if pt.MinS > 0 && pt.S > pt.MinS {
		return pt.S/pt.MinS - 1
	}
	return 0
}

// Ceilings are a file's directly measured rates.
type Ceilings struct {
	CopyBps  float64 // device-to-device copy, bytes read + written per second
	ReadBps  float64 // read-only streaming
	MatmulPS map[string]float64
}

// File is one measurement file: its device, ceilings and points.
type File struct {
	Name     string
	GPU      string
	SMs      int
	L2Bytes  float64
	Ceilings Ceilings
	Points   []Point
}

type jsonCNN struct {
	Model string  `json:"model"`
	Phase string  `json:"phase"`
	Batch int     `json:"batch"`
	Image int     `json:"image"`
	Dtype string  `json:"dtype"`
	MS    float64 `json:"ms"`
	MSMin float64 `json:"ms_min"`
}

type jsonFile struct {
	Meta struct {
		GPU     string  `json:"gpu"`
		SMCount int     `json:"sm_count"`
		L2MB    float64 `json:"l2_MB"`
	} `json:"meta"`
	Ceilings map[string]float64 `json:"ceilings"`
	LLM      []struct {
		Model string `json:"model"`
		Cfg   struct {
			Name   string `json:"name"`
			Hidden int    `json:"hidden"`
			Layers int    `json:"layers"`
			Heads  int    `json:"heads"`
			KV     int    `json:"kv"`
			HD     int    `json:"hd"`
			Inter  int    `json:"inter"`
			Vocab  int    `json:"vocab"`
		} `json:"cfg"`
		Dtype string  `json:"dtype"`
		Phase string  `json:"phase"`
		Batch int     `json:"batch"`
		Seq   int     `json:"seq"`
		Ctx   int     `json:"ctx"`
		MS    float64 `json:"ms"`
		MSMin float64 `json:"ms_min"`
	} `json:"llm"`
}

// The gemm entries spell M, N and K as separate keys; encoding/json matches
// keys case-insensitively, so a small custom decoder keeps them apart.
type jsonGEMM struct {
	Dtype string  `json:"dtype"`
	M     int     `json:"M"`
	N     int     `json:"N"`
	K     int     `json:"K"`
	MS    float64 `json:"ms"`
	MSMin float64 `json:"ms_min"`
	Mode  string  `json:"mode"`
}

// GEMM timing modes (Point.Mode).
const (
	ModeBurst     = "burst"
	ModeSustained = "sustained"
)

// ParseJSON reads a measurement file in the format of gpu_groundtruth.py and
// gpu_gemm_dtypes.py (keys meta, ceilings, gemm, llm). name labels the
// points' Source. Points with a non-positive or non-finite time, or a shape
// that makes no sense, are errors.
func ParseJSON(name string, r io.Reader) (*File, error) {
	var raw struct {
		jsonFile
		GEMM []jsonGEMM `json:"gemm"`
		CNN  []jsonCNN  `json:"cnn"`
	}
	dec := json.NewDecoder(r)
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	f := &File{Name: name, GPU: raw.Meta.GPU, SMs: raw.Meta.SMCount, L2Bytes: raw.Meta.L2MB * 1e6}
	if f.GPU == "" {
		return nil, fmt.Errorf("%s: meta.gpu is missing", name)
	}
	f.Ceilings.MatmulPS = map[string]float64{}
	for k, v := range raw.Ceilings {
		if !(v > 0) || math.IsInf(v, 0) {
			continue
		}
		switch {
		case k == "copy_rw_TBps":
			f.Ceilings.CopyBps = v * 1e12
		case k == "read_TBps":
			f.Ceilings.ReadBps = v * 1e12
		case strings.HasPrefix(k, "gemm_"):
			p := strings.TrimPrefix(k, "gemm_")
			p = strings.TrimSuffix(strings.TrimSuffix(p, "_TFLOPs"), "_TOPs")
			f.Ceilings.MatmulPS[p] = v * 1e12
		}
	}
	for i, g := range raw.GEMM {
		src := fmt.Sprintf("%s:gemm[%d]", name, i)
		if g.M < 1 || g.N < 1 || g.K < 1 || !validTime(g.MS) {
			return nil, fmt.Errorf("%s: bad gemm point (M=%d N=%d K=%d ms=%v)", src, g.M, g.N, g.K, g.MS)
		}
		if g.Mode != "" && g.Mode != ModeBurst && g.Mode != ModeSustained {
			return nil, fmt.Errorf("%s: unknown mode %q (want %q or %q)", src, g.Mode, ModeBurst, ModeSustained)
		}
		p := Point{Source: src, GPU: f.GPU, Class: ClassGEMM, Precision: normDtype(g.Dtype),
			M: g.M, N: g.N, K: g.K, Eager: true, S: g.MS * 1e-3, Mode: g.Mode}
		if validTime(g.MSMin) {
			p.MinS = g.MSMin * 1e-3
		}
		f.Points = append(f.Points, p)
	}
	for i, l := range raw.LLM {
		src := fmt.Sprintf("%s:llm[%d]", name, i)
		c := l.Cfg
		t := Transformer{Name: l.Model, Layers: c.Layers, Hidden: c.Hidden, Heads: c.Heads, KVHeads: c.KV,
			HeadDim: c.HD, FFN: c.Inter, Vocab: c.Vocab, GatedMLP: true}
		if t.KVHeads == 0 {
			t.KVHeads = t.Heads
		}
		if t.HeadDim == 0 && t.Heads > 0 {
			t.HeadDim = t.Hidden / t.Heads
		}
		if t.Layers < 1 || t.Hidden < 1 || t.Heads < 1 || t.HeadDim < 1 || t.FFN < 1 || t.Vocab < 1 || l.Batch < 1 || !validTime(l.MS) {
			return nil, fmt.Errorf("%s: bad llm point", src)
		}
		p := Point{Source: src, GPU: f.GPU, Precision: normDtype(l.Dtype), Model: t, Batch: l.Batch, S: l.MS * 1e-3}
		if validTime(l.MSMin) {
			p.MinS = l.MSMin * 1e-3
		}
		switch l.Phase {
		case "decode":
			p.Class, p.Ctx = ClassDecode, l.Ctx
			if p.Ctx < 1 {
				return nil, fmt.Errorf("%s: decode without ctx", src)
			}
		case "prefill":
			p.Class, p.Seq, p.Eager = ClassPrefill, l.Seq, true
		case "train_fwd_bwd":
			p.Class, p.Seq, p.Eager = ClassTrain, l.Seq, true
		default:
			return nil, fmt.Errorf("%s: unknown phase %q", src, l.Phase)
		}
		if p.Class != ClassDecode && p.Seq < 1 {
			return nil, fmt.Errorf("%s: %s without seq", src, l.Phase)
		}
		f.Points = append(f.Points, p)
	}
	for i, c := range raw.CNN {
		src := fmt.Sprintf("%s:cnn[%d]", name, i)
		if _, ok := CNNFor(c.Model); !ok {
			return nil, fmt.Errorf("%s: unknown network %q (known: %s)", src, c.Model, strings.Join(slices.Sorted(maps.Keys(cnnNames)), ", "))
		}
		if c.Batch < 1 || !validTime(c.MS) || (c.Image != 0 && c.Image != 224) {
			return nil, fmt.Errorf("%s: bad cnn point (batch %d, image %d, ms %v; images are 224×224)", src, c.Batch, c.Image, c.MS)
		}
		p := Point{Source: src, GPU: f.GPU, Precision: normDtype(c.Dtype), Net: c.Model, Batch: c.Batch, Eager: true, S: c.MS * 1e-3}
		if validTime(c.MSMin) {
			p.MinS = c.MSMin * 1e-3
		}
		switch c.Phase {
		case "forward":
			p.Class = ClassCNNForward
		case "train_fwd_bwd":
			p.Class = ClassCNNTrain
		default:
			return nil, fmt.Errorf("%s: unknown phase %q (want forward or train_fwd_bwd)", src, c.Phase)
		}
		f.Points = append(f.Points, p)
	}
	return f, nil
}

func validTime(ms float64) bool { return ms > 0 && !math.IsInf(ms, 0) && !math.IsNaN(ms) }

func normDtype(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "", "bfloat16":
		return "bf16"
	case "float16", "half":
		return "fp16"
	case "e4m3", "fp8_e4m3", "float8_e4m3fn":
		return "fp8"
	}
	return s
}

// Published is one row of published.csv: a throughput or latency a paper or
// vendor reported.
type Published struct {
	ID, Phase, Model        string
	Shape                   Transformer
	Hardware                string // as the source names it, e.g. "A100-SXM4-80GB"
	GPUs, TP, PP, DP        int
	GlobalBatch, MicroBatch int
	SeqLen                  int
	Batch, In, Out          int
	Precision, Recompute    string
	Metric                  string
	Value                   float64
	Unit                    string
	Source                  string
	Software                string // the software stack the row ran on (a name ParseSoftware knows); "" = not stated
}

// ParseCSV reads published.csv (header row, columns by name).
func ParseCSV(name string, r io.Reader) ([]Published, error) {
	rows, col, err := readTable(name, r, true, "id", "phase", "hidden", "layers", "heads", "hardware", "metric", "value")
	if err != nil {
		return nil, err
	}
	get := func(row []string, k string) string {
		if i, ok := col[k]; ok && i < len(row) {
			return strings.TrimSpace(row[i])
		}
		return ""
	}
	num := func(row []string, k string) int {
		v, _ := strconv.Atoi(get(row, k))
		return v
	}
	var out []Published
	for li, row := range rows[1:] {
		v, err := strconv.ParseFloat(get(row, "value"), 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s:%d: bad value %q", name, li+2, get(row, "value"))
		}
		p := Published{ID: get(row, "id"), Phase: get(row, "phase"), Model: get(row, "model"), Hardware: get(row, "hardware"),
			GPUs: num(row, "gpus"), TP: num(row, "tp"), PP: num(row, "pp"), DP: num(row, "dp"),
			GlobalBatch: num(row, "global_batch"), MicroBatch: num(row, "micro_batch"), SeqLen: num(row, "seq_len"),
			Batch: num(row, "batch_size"), In: num(row, "input_tokens"), Out: num(row, "output_tokens"),
			Precision: normDtype(get(row, "precision")), Recompute: get(row, "recompute"),
			Metric: get(row, "metric"), Value: v, Unit: get(row, "unit"), Source: get(row, "source"), Software: get(row, "software")}
		if _, ok := ParseSoftware(p.Software); p.Software != "" && !ok {
			return nil, fmt.Errorf("%s:%d: software %q: want one of %v", name, li+2, p.Software, SoftwareNames())
		}
		p.Shape = Transformer{Name: p.Model, Layers: num(row, "layers"), Hidden: num(row, "hidden"), Heads: num(row, "heads"),
			KVHeads: num(row, "kv_heads"), FFN: num(row, "ffn"), Vocab: num(row, "vocab"),
			Experts: num(row, "experts"), ActiveExperts: num(row, "active_experts")}
		if p.Shape.Layers < 1 || p.Shape.Hidden < 1 || p.Shape.Heads < 1 {
			return nil, fmt.Errorf("%s:%d: bad model shape", name, li+2)
		}
		if p.Shape.KVHeads == 0 {
			p.Shape.KVHeads = p.Shape.Heads
		}
		p.Shape.HeadDim = p.Shape.Hidden / p.Shape.Heads
		out = append(out, p)
	}
	return out, nil
}

// Point turns a row that is a serving measurement of one replica, on one
// GPU or on tp GPUs of one node holding the model tensor-parallel (gpus =
// tp ≤ 8), into a point: serving_ttft (a prefill of batch × input tokens,
// TTFT) and serving_static_batch (output tokens per second of a static
// batch, turned into the seconds the batch takes, a rate per GPU times the
// GPUs; or the batch's end-to-end latency). A mixture of experts (experts
// > 1) is a gated MLP with Mode "moe". Other rows (multi-GPU training)
// give false.
func (p Published) Point() (Point, bool) {
	if p.Batch < 1 || p.In < 1 || (p.GPUs > 1 && (p.TP != p.GPUs || p.GPUs > 8)) {
		return Point{}, false
	}
	pt := Point{Source: "published.csv:" + p.ID, GPU: p.Hardware, Precision: p.Precision, Model: p.Shape,
		Batch: p.Batch, Seq: p.In, Out: p.Out, Stack: p.Software, TP: max(p.TP, 1)}
	pt.Model.GatedMLP = p.Shape.FFN != 4*p.Shape.Hidden
	if p.Shape.Experts > 1 && p.Shape.ActiveExperts > 0 {
		pt.Model.GatedMLP, pt.Mode = true, "moe"
	}
	switch {
	case p.Phase == "serving_ttft" && p.Metric == "ttft":
		pt.Class = ClassPrefill
		pt.S = p.Value * unitSeconds(p.Unit)
	case p.Phase == "serving_static_batch" && p.Metric == "output_tokens_per_s" && p.Out > 0:
		pt.Class = ClassServe
		pt.S = float64(p.Batch*p.Out) / p.Value
	case p.Phase == "serving_static_batch" && p.Metric == "latency" && p.Out > 0:
		pt.Class = ClassServe
		pt.S = p.Value * unitSeconds(p.Unit)
	case p.Phase == "serving_static_batch" && p.Metric == "output_tokens_per_s_per_gpu" && p.Out > 0:
		pt.Class = ClassServe
		pt.S = float64(p.Batch*p.Out) / (p.Value * float64(max(p.GPUs, 1)))
	default:
		return Point{}, false
	}
	return pt, pt.S > 0
}

// StepSeconds returns the measured seconds of one training iteration of a
// multi-GPU training row: iteration_time as given, or model_tflops_per_gpu
// turned into seconds by the FLOP count of Narayanan et al. (2021, eq. 3),
// which the rows' source uses:
//
//	F = 96·B·s·l·h²·(1 + s/(6h) + V/(16·l·h))  (full recomputation)
//	  = 72·B·s·l·h²·(…)                         (none or selective)
//	T = F / (TFLOP/s per GPU · GPUs)
//
// ok is false for other rows.
func (p Published) StepSeconds() (float64, bool) {
	if p.Phase != "training" || p.GPUs < 2 || p.GlobalBatch < 1 || p.SeqLen < 1 {
		return 0, false
	}
	switch p.Metric {
	case "iteration_time":
		return p.Value * unitSeconds(p.Unit), true
	case "model_tflops_per_gpu":
		B, s := float64(p.GlobalBatch), float64(p.SeqLen)
		l, h, V := float64(p.Shape.Layers), float64(p.Shape.Hidden), float64(p.Shape.Vocab)
		k := 72.0
		if p.Recompute == "full" {
			k = 96
		}
		F := k * B * s * l * h * h * (1 + s/(6*h) + V/(16*l*h))
		return F / (p.Value * 1e12 * float64(p.GPUs)), true
	}
	return 0, false
}

func unitSeconds(u string) float64 {
	switch strings.ToLower(u) {
	case "ms":
		return 1e-3
	case "us", "µs":
		return 1e-6
	}
	return 1
}

// SortPoints orders points by class, then source, for stable reports.
func SortPoints(ps []Point) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Class != ps[j].Class {
			return ps[i].Class < ps[j].Class
		}
		return ps[i].Source < ps[j].Source
	})
}
