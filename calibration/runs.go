package calibration

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Run is one row of nemo-training.csv: a multi-GPU pre-training
// configuration with the throughput a framework's performance page
// published for it, transcribed as published. Zero in a parallel degree or
// in GA means the page gave no value (or "n/a").
type Run struct {
	File      string // the file (base name) it was read from, e.g. "nemo-training.csv"
	ID        string
	Framework string // "NeMo" (Megatron-Core), "Megatron-Bridge" or "NeMo AutoModel" (PyTorch-native)
	Container string // the framework container the page reports, e.g. "25.11"; "" = none
	System    string // as the page names it, e.g. "DGX-H100"
	Model     string // as the page names it, e.g. "LLAMA3.1_405B"
	MoE       bool
	GPUs      int
	Precision string // as published ("FP8-CS", "MXFP8", "BF16", ...); "" = the page states none
	GBS, MBS  int
	SeqLen    int
	FSDP      int // 0 = DDP (or not given); > 0 = fully sharded
	TP, PP    int
	CP, VP    int
	EP, GA    int
	DP        int    // as published (0 = the page gives none)
	Kernels   string // kernel options the page names, e.g. "TE + DeepEP"
	// Recompute is the activation recomputation of the run's published
	// recipe: "full" (every layer's forward recomputed in the backward),
	// "selective" or "none"; "" where neither the page nor a recipe it
	// names states one (read as none).
	Recompute string
	// A2AOverlap is true where the run's published recipe overlaps the
	// expert-parallel all-to-alls with the adjacent micro-batch's
	// computation (Megatron-Core's combined 1F1B, moe_a2a_overlap=True in
	// Megatron-Bridge's performance configurations; engine's ep_overlap):
	// the optional a2a_overlap column, 1 or 0 (empty: 0).
	A2AOverlap bool
	// Dispatcher is the MoE token dispatcher the run's published recipe
	// resolves to on its system and release: "hybridep" (Megatron-Core's
	// flex dispatcher on its HybridEP backend, with Transformer Engine's
	// CUDA graphs over the router and preprocessing), "alltoall"
	// (MoEAlltoAllTokenDispatcher), or "" where neither the page nor the
	// recipes settle it (priced as the dropless alltoall dispatcher): the
	// optional dispatcher column.
	Dispatcher string
	// MTP is the depth of the multi-token prediction modules the run
	// trained besides the model's layers (DeepSeek-V3 report §2.2: per
	// depth one transformer block, a projection of 2h to h and the shared
	// output head over the tokens), as the page or the run's recipe states
	// it: the optional mtp column; -1 where neither states it (an empty
	// cell). DeepSeek-V3: the 25.11 page names its runs "w/o MTP" (GB200,
	// GB300: 0) and "w/ MTP" (B200: 1); the 26.02 page names none, and
	// Megatron-Bridge's recipe (src/megatron/bridge/recipes/deepseek/
	// deepseek_v3.py) sets mtp_num_layers = 1, its pipeline layouts end
	// in "mtp" before the loss, as the GB300 configuration's pp_layout
	// "Et*4|(t*4|)*14tmL" does (scripts/performance/configs/deepseek/
	// deepseek_workload_base_configs.py), and the performance scripts do
	// not unset it (1). Priced under the calibrated fidelity (engine's
	// mtp_layers) with the run's PPLayout, where the column gives it.
	MTP int
	// RecipeEP is the expert-parallel degree of the run's published
	// recipe where the page gives none (its EP column "-", EP 0): the
	// optional recipe_ep column (empty: 0). ExpertParallel prefers the
	// page's.
	RecipeEP int
	// PPLayout is the run's pipeline layout in Megatron-Core's
	// pipeline_model_parallel_layout syntax (engine's pipeline_layout)
	// as its recipe sets it: the optional pp_layout column; ""
	// where the recipe files do not pin it (the engine's even split).
	// DeepSeek-V3 with MTP at pp·vp = 16 (the 26.02 rows and the 25.11
	// B200 row): "Et*4|(t*4|)*14tmL", 4 decoder layers a stage, 1 with
	// the MTP block and the loss on the last: the GB300 configuration's
	// pp_layout in Megatron-Bridge's scripts/performance/configs/deepseek/
	// deepseek_workload_base_configs.py (@042641823051), and the recipe's
	// layout for (pp, vp) = (4, 4) and (16, 1) in src/megatron/bridge/
	// recipes/deepseek/deepseek_v3.py (@05d003fb8985, layout_map, with
	// mtp_num_layers = 1), which the performance scripts use where their
	// configuration sets none (layout=None).
	PPLayout string
	// StepS is the published seconds per global step (0 = the page gives
	// none; StepSeconds derives it from the throughput).
	StepS float64
	// TokensPerSPerGPU is the published training throughput, tokens per
	// second per GPU; ModelTFLOPsPerGPU the published model TFLOP/s per
	// GPU (0 = not given).
	TokensPerSPerGPU  float64
	ModelTFLOPsPerGPU float64
	Source            string
}

// StepSeconds returns the seconds of one optimizer step the published
// throughput implies: T = GBS · seq / (tokens/s/GPU · GPUs).
func (r *Run) StepSeconds() float64 {
	return float64(r.GBS) * float64(r.SeqLen) / (r.TokensPerSPerGPU * float64(r.GPUs))
}

// ExpertParallel returns the run's expert-parallel degree: the page's
// (EP) where it gives one, else its recipe's (RecipeEP), else 0.
func (r *Run) ExpertParallel() int {
	if r.EP > 0 {
		return r.EP
	}
	return r.RecipeEP
}

// DataParallel returns the data-parallel degree as Megatron-Core counts
// it, GPUs / (tp · pp · cp): expert parallelism folds into it.
func (r *Run) DataParallel() int {
	return r.GPUs / (max(r.TP, 1) * max(r.PP, 1) * max(r.CP, 1))
}

// runModels maps the model names of the performance pages to registry
// keys. A name not here has no registry entry and its rows are skipped.
var runModels = map[string]string{
	"llama3-8b": "Llama3_8B", "llama3_8b": "Llama3_8B",
	"llama3-70b": "Llama3_70B", "llama3_70b": "Llama3_70B",
	"llama3-405b": "Llama3_405B", "llama3.1-405b": "Llama3_405B", "llama3.1_405b": "Llama3_405B",
	"llama2-7b": "Llama2_7B", "llama2-13b": "Llama2_13B", "llama2-70b": "Llama2_70B",
	"gpt3-175b": "GPT3", "gpt3-5b": "GPT3_5B", "gpt3-20b": "GPT3_20B",
	"nemotron-8b": "Nemotron3_8B", "nemotron-22b": "Nemotron3_22B",
	"nemotron-15b": "Nemotron4_15B", "nemotron-340b": "Nemotron4_340B",
	"mixtral-8x7b": "Mixtral_8x7B",
	"deepseekv3":   "DeepSeek_V3", "deepseekv3 (w/o mtp)": "DeepSeek_V3", "deepseekv3 (w/ mtp)": "DeepSeek_V3",
	"deepseekv3 (tokendrop)": "DeepSeek_V3", "deepseekv3 (dropless)": "DeepSeek_V3",
	"qwen3_30b_a3b": "Qwen3_30B_A3B", "qwen3_30b_a3b (tokendrop)": "Qwen3_30B_A3B",
	"qwen3_235b_a22b": "Qwen3_235B_A22B", "qwen3_235b_a22b (tokendrop)": "Qwen3_235B_A22B",
	"llama4-scout-llm": "Llama4_Scout",
	"mixtral-8x22b":    "Mixtral_8x22B",
	"gpt oss 120b":     "GPT_OSS_120B", "gpt-oss 120b": "GPT_OSS_120B", "gpt-oss 20b": "GPT_OSS_20B",
	// NeMo AutoModel's names
	"deepseek v3 671b": "DeepSeek_V3", "qwen3 moe 30b": "Qwen3_30B_A3B", "llama3 70b": "Llama3_70B",
	"kimi k2": "Kimi_K2",
	// NeMo AutoModel's "Nemotron V3 Nano 30B" is NVIDIA-Nemotron-3-Nano-30B-A3B.
	"nemotron v3 nano 30b (26.02)": "Nemotron_3_Nano_30B_A3B",
}

// RunModelKey returns the registry key of a performance page's model name
// (case-insensitive), false when the registry has no entry for it.
func RunModelKey(name string) (string, bool) {
	k, ok := runModels[strings.ToLower(strings.TrimSpace(name))]
	return k, ok
}

// runNodes maps the pages' system names to registry nodes: DGX H100, B200
// and B300 servers of eight GPUs, and the DGX GB200 and GB300 NVL72 racks,
// NVLink domains of 72 GPUs in compute trays of 4 (registry nodes
// DGX_GB200 and DGX_GB300 of the per-GPU entries GB200_GPU and GB300_GPU).
var runNodes = map[string]string{"DGX-H100": "DGX_H100", "DGX-B200": "DGX_B200", "DGX-B300": "DGX_B300",
	"DGX-GB200": "DGX_GB200", "DGX-GB300": "DGX_GB300"}

// runFabrics maps the systems whose cluster NICs are not ConnectX-7's
// 400 Gb/s NDR InfiniBand to their registry fabric: ConnectX-8 at 800 Gb/s
// (XDR) in the DGX B300 (DGX B300 datasheet: 8 single-port ConnectX-8 VPI)
// and in the GB300 NVL72 compute trays (NVIDIA Enterprise RA for GB300
// NVL72: 4 ConnectX-8 HCAs per tray of 4 GPUs).
var runFabrics = map[string]string{"DGX-B300": "InfiniBand_XDR", "DGX-GB300": "InfiniBand_XDR"}

// RunNodeKey returns the registry node a performance page's system ran
// on, false when the registry has none.
func RunNodeKey(system string) (string, bool) {
	k, ok := runNodes[strings.TrimSpace(system)]
	return k, ok
}

// RunFabricKey returns the registry fabric between the nodes of a
// performance page's system: InfiniBand_XDR for the ConnectX-8 systems
// (DGX B300, DGX GB300), InfiniBand_NDR otherwise (the eight ConnectX-7
// 400 Gb/s NICs of DGX H100 and DGX B200, the four per compute tray of
// DGX GB200).
func RunFabricKey(system string) string {
	if k, ok := runFabrics[strings.TrimSpace(system)]; ok {
		return k
	}
	return "InfiniBand_NDR"
}

// RunPrecision returns the engine precision of a published training
// precision: "fp8" for FP8 with per-tensor current scaling (FP8, FP8-CS)
// and with block scaling (FP8-MX, MXFP8), "bf16" for BF16; false for
// NVFP4 (no 4-bit float training in the engine) and where the page states
// no precision.
func RunPrecision(p string) (string, bool) {
	switch strings.ToUpper(strings.TrimSpace(p)) {
	case "FP8", "FP8-CS", "FP8-MX", "MXFP8":
		return "fp8", true
	case "BF16":
		return "bf16", true
	}
	return "", false
}

// ParseRuns reads nemo-training.csv (header row, columns by name; "n/a"
// and empty cells read as 0). A row may end before the header's last
// columns (the optional recompute, a2a_overlap, dispatcher, mtp, recipe_ep and pp_layout columns: cells past its
// end read as empty), never after it. name labels errors and the runs' File.
func ParseRuns(name string, r io.Reader) ([]Run, error) {
	rows, col, err := readTable(name, r, true, "id", "system", "model", "gpus", "gbs", "seq_len", "tp", "pp", "tokens_per_s_per_gpu", "source")
	if err != nil {
		return nil, err
	}
	var out []Run
	seen := map[string]bool{}
	for li, row := range rows[1:] {
		line := li + 2
		if len(row) > len(rows[0]) {
			return nil, fmt.Errorf("%s:%d: %d cells, the header names %d", name, line, len(row), len(rows[0]))
		}
		get := func(k string) string {
			if i, ok := col[k]; ok && i < len(row) {
				return strings.TrimSpace(row[i])
			}
			return ""
		}
		var bad string
		num := func(k string) int {
			s := get(k)
			if s == "" || strings.EqualFold(s, "n/a") {
				return 0
			}
			v, err := strconv.Atoi(s)
			if err != nil || v < 0 {
				bad = k
			}
			return v
		}
		flt := func(k string) float64 {
			s := get(k)
			if s == "" {
				return 0
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || !(v > 0) || math.IsInf(v, 0) {
				bad = k
			}
			return v
		}
		run := Run{File: name, ID: get("id"), Framework: get("framework"), Container: get("container"), DP: num("dp"), Kernels: get("kernels"), Recompute: get("recompute"), A2AOverlap: get("a2a_overlap") == "1", Dispatcher: get("dispatcher"), MTP: -1, RecipeEP: num("recipe_ep"), StepS: flt("step_s"), System: get("system"), Model: get("model"),
			MoE: get("moe") == "1", GPUs: num("gpus"), Precision: get("precision"),
			GBS: num("gbs"), MBS: num("mbs"), SeqLen: num("seq_len"), FSDP: num("fsdp"),
			TP: num("tp"), PP: num("pp"), CP: num("cp"), VP: num("vp"), EP: num("ep"), GA: num("ga"),
			TokensPerSPerGPU: flt("tokens_per_s_per_gpu"), ModelTFLOPsPerGPU: flt("model_tflops_per_gpu"), Source: get("source")}
		run.PPLayout = get("pp_layout")
		if strings.Trim(run.PPLayout, "ELtm|()*,0123456789") != "" || len(run.PPLayout) > 4096 {
			bad = "pp_layout"
		}
		if v := get("mtp"); v != "" {
			d, err := strconv.Atoi(v)
			if err != nil || d < 0 || d > 8 {
				bad = "mtp"
			}
			run.MTP = d
		}
		switch {
		case bad != "":
			return nil, fmt.Errorf("%s:%d: bad %s", name, line, bad)
		case run.ID == "" || seen[run.ID]:
			return nil, fmt.Errorf("%s:%d: missing or repeated id %q", name, line, run.ID)
		case run.GPUs < 1 || run.GBS < 1 || run.SeqLen < 1 || !(run.TokensPerSPerGPU > 0):
			return nil, fmt.Errorf("%s:%d: %s needs gpus, gbs, seq_len and tokens_per_s_per_gpu", name, line, run.ID)
		case run.Recompute != "" && run.Recompute != "none" && run.Recompute != "selective" && run.Recompute != "full":
			return nil, fmt.Errorf("%s:%d: %s: recompute %q: want none, selective or full", name, line, run.ID, run.Recompute)
		case get("a2a_overlap") != "" && get("a2a_overlap") != "0" && get("a2a_overlap") != "1":
			return nil, fmt.Errorf("%s:%d: %s: a2a_overlap %q: want 0 or 1", name, line, run.ID, get("a2a_overlap"))
		case run.Dispatcher != "" && run.Dispatcher != "alltoall" && run.Dispatcher != "hybridep":
			return nil, fmt.Errorf("%s:%d: %s: dispatcher %q: want alltoall, hybridep or empty", name, line, run.ID, run.Dispatcher)
		case run.Dispatcher != "" && !run.MoE:
			return nil, fmt.Errorf("%s:%d: %s: dispatcher %q on a dense model", name, line, run.ID, run.Dispatcher)
		case run.Source == "":
			return nil, fmt.Errorf("%s:%d: %s has no source", name, line, run.ID)
		}
		seen[run.ID] = true
		out = append(out, run)
	}
	return out, nil
}

// isRunsCSV reports whether a CSV file's header is nemo-training.csv's
// (it has a tokens_per_s_per_gpu column) rather than published.csv's.
func isRunsCSV(b []byte) bool {
	first, _, _ := strings.Cut(string(b), "\n")
	for _, h := range strings.Split(first, ",") {
		if strings.TrimSpace(h) == "tokens_per_s_per_gpu" {
			return true
		}
	}
	return false
}
