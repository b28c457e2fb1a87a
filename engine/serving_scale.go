package engine

import (
	"math"

	"github.com/mlsysim/mlsysim-go/registry"
)

// Serving beyond one step: chunked prefill, prefix caching, speculative
// decoding, disaggregated prefill/decode, tensor parallelism, a KV-cache
// precision of its own, continuous batching with a paged KV cache, and the
// replicas a load needs under a P99 target (mlsysim ServingModel options,
// ContinuousBatchingModel, ServingCapacityModel, TailLatencyModel; reference
// solvers §4.14-4.16, §4.18). At their defaults these parameters leave the
// core serving numbers (serving.go, golden G4) unchanged.

// Constants of the serving models (mlsysim engine/calibration.py).
const (
	// SpeculativeGamma is the draft tokens proposed per verification step K
	// (SPECULATIVE_GAMMA).
	SpeculativeGamma = 4
	// DefaultPageSize is the paged KV cache's block, tokens (vLLM's 16).
	DefaultPageSize = 16
	// DefaultNetworkBps is ServingModel's network_bandwidth for moving the
	// KV cache from prefill to decode hardware, 100 GB/s.
	DefaultNetworkBps = 100e9
	// DefaultDraftAcceptance is ServingModel's draft_acceptance_rate.
	DefaultDraftAcceptance = 0.7
	// NoDraftAcceptance is the Acceptance that prices a draft none of
	// whose tokens is accepted (draft_acceptance=0): the smallest positive
	// float64, as ServeConfig.Acceptance 0 means unset (0.7). At it the
	// tokens a verify pass emits, 1 + α·(1 − α^K)/(1 − α), are exactly 1 in
	// float64, α = 0's.
	NoDraftAcceptance = math.SmallestNonzeroFloat64
	// DefaultMaxReplicas is ServingCapacityModel's max_replicas.
	DefaultMaxReplicas = 1024
)

// ServeConfig holds the parameters of serving at scale. Zero values are the
// defaults.
type ServeConfig struct {
	MaxSeqLen   int                // continuous batching context cap M; 0 = seq_len
	MeanTokens  int                // mean request length μ (capped exponential); 0 = every request M tokens
	PageSize    int                // paged KV block, tokens; 0 = 16
	ChunkSize   int                // chunked prefill tokens per chunk; 0 = one prefill
	CachedLen   int                // prompt tokens served from a prefix cache
	Draft       *registry.Model    // speculative decoding draft model; nil = none
	Acceptance  float64            // draft acceptance α; 0 = 0.7 (only with a draft); NoDraftAcceptance for α = 0
	DecodeHW    *registry.Hardware // disaggregated decode hardware; nil = colocated
	DecodeTP    int                // the decode pool's tensor parallelism (with DecodeHW); 0 = tp
	DecodeEP    int                // the decode pool's expert parallelism (with DecodeHW; calibrated); 0 = ep
	NetworkBps  float64            // prefill→decode KV transfer bandwidth; 0 = 100 GB/s
	KVPrecision registry.Precision // KV cache format when KVPrecSet
	KVPrecSet   bool               // false = the weights' precision
	QPS         float64            // offered load, requests/s; 0 = no capacity planning
	P99TargetS  float64            // P99 request latency target; 0 = none
	ServiceCV   float64            // service-time coefficient of variation; 0 = 1 (M/M/c)
	MaxReplicas int                // 0 = 1024

	// SkipBatchingThroughput leaves the continuous-batching tokens/s
	// (paged, static, speedup) at zero under the calibrated fidelity when no
	// qps asks for capacity planning: they cost two more decode evaluations
	// per configuration. Sweeps set it when they do not write those columns.
	SkipBatchingThroughput bool
}

// ServeResult holds the outcomes of serving at scale.
type ServeResult struct {
	Replicas int // replicas serving the load (1 without a qps)
	GPUs     int // replicas × (tp + decode_tp with decode_hardware; under calibrated max(tp, ep)·pp + max(decode_tp, decode_ep)): every GPU of both pools (replicaTDPW, solveFleet)
	// DecodeGPUs is the decode pool's share of GPUs: replicas × decode_tp
	// GPUs of decode_hardware (max(decode_tp, decode_ep) under calibrated,
	// decodePoolGPUs); 0 without decode_hardware (colocated serving decodes
	// on the prefill's GPUs).
	DecodeGPUs int

	PromptCacheHitRatio float64 // cached / S
	PrefillChunks       int
	DecodeStallS        float64 // the slowest prefill chunk: what a decode step may wait
	SpeculativeSpeedup  float64 // ITL without / with the draft; 1 without a draft
	MemoryUtilization   float64 // memory / capacity
	MaxBatchSize        int     // the largest batch whose memory fits

	PagedCapacity       int     // concurrent requests with a paged KV cache
	StaticCapacity      int     // concurrent requests with max_seq_len reserved each
	Fragmentation       float64 // paged internal fragmentation 1 − μ/E_p
	StaticFragmentation float64 // 1 − μ/M
	PagedTokensPerS     float64
	StaticTokensPerS    float64
	BatchingSpeedup     float64 // paged / static decode throughput

	// PrefillS and DecodeS are the GPU time of one batch's request cycle:
	// the prefills of all its prompts, and its (output_tokens − 1) decode
	// steps. Their sum is the cycle that prices throughput and cost.
	PrefillS, DecodeS float64

	PerReplicaQPS float64
	BaseLatencyS  float64 // TTFT + ITL × output_tokens at the paged batch
	P50S, P99S    float64
	QueueRho      float64
	SLAMet        bool
	CapacityBound string // Feasible, Base Latency, Tail Latency, Capacity, Memory; "" without qps
}

var kvPrecisionEnum = append([]string{"auto"}, precisionEnum()...)

var servingScaleParams = []*Param{
	{Name: "max_seq_len", Modes: InServing, Label: "Max sequence length", Type: TypeInt, Min: 0, Default: "0",
		Doc:   "serving: context cap M of continuous batching; 0 = seq_len",
		apply: func(c *Config, v Value) { c.Serve.MaxSeqLen = int(v.F) }},
	{Name: "mean_request_tokens", Modes: InServing, Label: "Mean request tokens", Type: TypeInt, Min: 0, Default: "0",
		Doc:   "serving: mean request length μ ≤ M (capped exponential lengths); 0 = every request M tokens",
		apply: func(c *Config, v Value) { c.Serve.MeanTokens = int(v.F) }},
	{Name: "page_size", Modes: InServing, Label: "Page size", Type: TypeInt, Min: 1, Default: "16",
		Doc:   "serving: paged KV cache block, tokens",
		apply: func(c *Config, v Value) { c.Serve.PageSize = int(v.F) }},
	{Name: "chunk_size", Modes: InServing, Label: "Chunk size", Type: TypeInt, Min: 0, Default: "0",
		Doc:   "serving: chunked prefill, tokens per chunk; 0 = one prefill",
		apply: func(c *Config, v Value) { c.Serve.ChunkSize = int(v.F) }},
	{Name: "cached_prefix_len", Modes: InServing, Label: "Cached prefix length", Type: TypeInt, Min: 0, Default: "0",
		Doc:   "serving: prompt tokens found in a prefix cache (< seq_len)",
		apply: func(c *Config, v Value) { c.Serve.CachedLen = int(v.F) }},
	{Name: "draft_model", Modes: InServing, Label: "Draft model", Type: TypeRef, RefKind: registry.KindModel,
		Doc:   "serving: speculative decoding draft model (K = 4 draft tokens)",
		apply: func(c *Config, v Value) { c.Serve.Draft = v.Ref.(*registry.Model) }},
	{Name: "draft_acceptance", Modes: InServing, Label: "Draft acceptance", Type: TypeFloat, Min: 0, Max: 1, Default: "0.7",
		Doc:   "serving: draft token acceptance rate α",
		apply: func(c *Config, v Value) { c.Serve.Acceptance = acceptanceOf(v.F) }},
	{Name: "decode_hardware", Modes: InServing, Label: "Decode hardware", Type: TypeRef, RefKind: registry.KindHardware,
		Doc:   "serving: disaggregated decode hardware (prefill runs on hardware); a replica is tp GPUs of hardware plus decode_tp of it (under calibrated max(tp, ep) plus max(decode_tp, decode_ep)), both priced",
		apply: func(c *Config, v Value) { c.Serve.DecodeHW = v.Ref.(*registry.Hardware) }},
	{Name: "decode_tp", Modes: InServing, Label: "Decode tensor parallel", Type: TypeInt, Min: 0, Default: "0", Needs: "decode_hardware",
		Doc:   "serving: tensor parallelism of the disaggregated decode pool (with decode_hardware); 0 = tp",
		apply: func(c *Config, v Value) { c.Serve.DecodeTP = int(v.F) }},
	{Name: "decode_ep", Modes: InServing, ServingFidelities: UnderCalibrated, Label: "Decode expert parallel", Type: TypeInt, Min: 0, Default: "0", Needs: "decode_hardware",
		Doc:   "serving: expert parallelism of the disaggregated decode pool (with decode_hardware; MoE under calibrated): max(decode_tp, decode_ep) GPUs of decode_hardware, attention data-parallel in decode_ep/decode_tp groups, whole experts spread decode_ep ways; 0 = ep",
		apply: func(c *Config, v Value) { c.Serve.DecodeEP = int(v.F) }},
	{Name: "network_bandwidth", Modes: InServing, Label: "Network bandwidth", Type: TypeFloat, Unit: "B/s", Min: 1, Default: "100e9",
		Doc:   "serving: prefill→decode KV cache transfer bandwidth (disaggregated)",
		apply: func(c *Config, v Value) { c.Serve.NetworkBps = v.F }},
	{Name: "kv_precision", Modes: InServing, Label: "KV precision", Type: TypeEnum, Enum: kvPrecisionEnum, Default: "auto",
		Doc: "serving: KV cache format (auto = the weights' precision)",
		apply: func(c *Config, v Value) {
			c.Serve.KVPrecSet = v.F > 0
			if v.F > 0 {
				c.Serve.KVPrecision = registry.Precision(v.F - 1)
			}
		}},
	{Name: "qps", Modes: InServing, Label: "Request rate", Type: TypeFloat, Unit: "1/s", Min: 0, Default: "0",
		Doc:   "serving: offered load, requests per second; > 0 plans replicas for p99_target_s",
		apply: func(c *Config, v Value) { c.Serve.QPS = v.F }},
	{Name: "p99_target_s", Modes: InServing, Label: "P99 target", Type: TypeFloat, Unit: "s", Min: 0, Default: "0",
		Doc:   "serving: P99 request latency target",
		apply: func(c *Config, v Value) { c.Serve.P99TargetS = v.F }},
	{Name: "service_cv", Modes: InServing, Label: "Service time CV", Type: TypeFloat, Min: 0, Default: "1",
		Doc:   "serving: service-time coefficient of variation (Kingman factor (cv²+1)/2 on queue waits)",
		apply: func(c *Config, v Value) { c.Serve.ServiceCV = v.F }},
	{Name: "max_replicas", Modes: InServing, Label: "Max replicas", Type: TypeInt, Min: 1, Default: "1024",
		Doc:   "serving: most replicas the capacity planner may use",
		apply: func(c *Config, v Value) { c.Serve.MaxReplicas = int(v.F) }},
}

var servingScaleOutputs = []*Output{
	{Name: "prefill_s", Label: "Batch prefill", Better: LowerIsBetter, Unit: "s", Modes: InServing, Doc: "the prefill of the whole batch's prompts (all chunks, all-reduces, KV transfer, a draft's prefill): the prefill part of a request cycle; ttft_s is one request's. mlsysim: ttft_s",
		Float: func(r *Result) float64 { return r.Serve.PrefillS }},
	{Name: "memory_utilization", Label: "Memory utilization", Better: NeitherIsBetter, Modes: InServing, Doc: "weights + KV (+ draft) over the decode capacity",
		Float: func(r *Result) float64 { return r.Serve.MemoryUtilization }},
	{Name: "max_batch_size", Label: "Largest batch that fits", Better: HigherIsBetter, Modes: InServing, Doc: "the largest batch whose memory fits the (decode) GPUs: calibrated at the peak context seq_len + output_tokens, per GPU of tp (of decode_tp on decode_hardware; with ep (decode_ep) over the attention groups of the expert-parallel layout); mlsysim at seq_len",
		Float: func(r *Result) float64 { return float64(r.Serve.MaxBatchSize) }},
	{Name: "prompt_cache_hit_ratio", Label: "Prompt cache hit ratio", Better: HigherIsBetter, Modes: InServing, Doc: "cached_prefix_len / seq_len",
		Float: func(r *Result) float64 { return r.Serve.PromptCacheHitRatio }},
	{Name: "prefill_chunks", Label: "Prefill chunks", Better: NeitherIsBetter, Modes: InServing, Doc: "⌈(seq_len − cached)/chunk_size⌉ (1 without chunking)",
		Float: func(r *Result) float64 { return float64(r.Serve.PrefillChunks) }},
	{Name: "decode_stall_s", Label: "Decode stall", Better: LowerIsBetter, Unit: "s", Modes: InServing, Doc: "the slowest prefill chunk, the longest a decode step waits; 0 without chunking",
		Float: func(r *Result) float64 { return r.Serve.DecodeStallS }},
	{Name: "speculative_speedup", Label: "Speculative speed-up", Better: HigherIsBetter, Modes: InServing, Doc: "ITL without the draft / with it; 1 without a draft",
		Float: func(r *Result) float64 { return r.Serve.SpeculativeSpeedup }},
	{Name: "paged_capacity", Label: "Paged capacity", Better: HigherIsBetter, Modes: InServing, Doc: "concurrent requests a paged KV cache holds: min(⌊KV_free/(E_p·kv_tok)⌋, batch_size)",
		Float: func(r *Result) float64 { return float64(r.Serve.PagedCapacity) }},
	{Name: "static_capacity", Label: "Static capacity", Better: HigherIsBetter, Modes: InServing, Doc: "concurrent requests when each reserves max_seq_len: min(⌊KV_free/(M·kv_tok)⌋, batch_size)",
		Float: func(r *Result) float64 { return float64(r.Serve.StaticCapacity) }},
	{Name: "fragmentation", Label: "Fragmentation", Better: LowerIsBetter, Modes: InServing, Doc: "paged internal fragmentation 1 − μ/E_p",
		Float: func(r *Result) float64 { return r.Serve.Fragmentation }},
	{Name: "static_fragmentation", Label: "Static fragmentation", Better: LowerIsBetter, Modes: InServing, Doc: "static internal fragmentation 1 − μ/M",
		Float: func(r *Result) float64 { return r.Serve.StaticFragmentation }},
	{Name: "paged_tokens_per_s", Label: "Paged throughput", Better: HigherIsBetter, Unit: "1/s", NullWhen: NullIfInfeasible, Modes: InServing, Doc: "memory-bound decode tokens/s at the paged capacity",
		Float: func(r *Result) float64 { return r.Serve.PagedTokensPerS }},
	{Name: "static_tokens_per_s", Label: "Static throughput", Better: HigherIsBetter, Unit: "1/s", NullWhen: NullIfInfeasible, Modes: InServing, Doc: "memory-bound decode tokens/s at the static capacity",
		Float: func(r *Result) float64 { return r.Serve.StaticTokensPerS }},
	{Name: "batching_speedup", Label: "Batching speed-up", Better: HigherIsBetter, NullWhen: NullIfInfeasible, Modes: InServing, Doc: "paged / static decode throughput",
		Float: func(r *Result) float64 { return r.Serve.BatchingSpeedup }},
	{Name: "replicas", Label: "Replicas", Better: LowerIsBetter, NullWhen: NullIfInfeasible | NullIfUnreachable, Modes: InServing, Doc: "replicas for qps within p99_target_s (1 without qps); null when no count up to max_replicas meets the target, or the row is infeasible",
		Float: func(r *Result) float64 { return float64(r.Serve.Replicas) }},
	{Name: "per_replica_qps", Label: "Request rate per replica", Better: HigherIsBetter, Unit: "1/s", NullWhen: NullIfInfeasible, Modes: InServing, Doc: "requests/s one replica sustains: calibrated n / (prefill of n prompts + output_tokens·n / paged_tokens_per_s) at the paged batch n; mlsysim paged_tokens_per_s / output_tokens",
		Float: func(r *Result) float64 { return r.Serve.PerReplicaQPS }},
	{Name: "p50_s", Label: "P50 latency", Better: LowerIsBetter, Unit: "s", NullWhen: NullIfInfeasible, Modes: InServing, Doc: "median request latency: base + M/M/c median wait (× Kingman); null on infeasible rows (no stable queue)",
		Float: func(r *Result) float64 { return r.Serve.P50S }},
	{Name: "p99_s", Label: "P99 latency", Better: LowerIsBetter, Unit: "s", NullWhen: NullIfInfeasible, Modes: InServing, Doc: "P99 request latency: base + M/M/c P99 wait (× Kingman); null on infeasible rows (no stable queue)",
		Float: func(r *Result) float64 { return r.Serve.P99S }},
	{Name: "queue_utilization", Label: "Queue utilization", Better: NeitherIsBetter, NullWhen: NullIfInfeasible, Modes: InServing, Doc: "ρ = qps / (replicas × per_replica_qps)",
		Float: func(r *Result) float64 { return r.Serve.QueueRho }},
	{Name: "sla_met", Label: "SLA met", Better: HigherIsBetter, Type: OutBool, Modes: InServing, Doc: "p99_s ≤ p99_target_s with at most max_replicas",
		Bool: func(r *Result) bool { return r.Serve.SLAMet }},
	{Name: "capacity_bottleneck", Label: "Capacity bottleneck", Better: NeitherIsBetter, Type: OutString, Modes: InServing, Doc: "what bounds capacity planning: Feasible, Base Latency, Tail Latency, Capacity or Memory",
		String: func(r *Result) string { return r.Serve.CapacityBound }},
}

// calibratedServing reports whether serving times come from the calibrated
// model's transformer steps (solveServingCalibrated): calibrated fidelity,
// a transformer model, and nothing servingGap refuses.
func calibratedServing(c *Config) bool {
	if c.Fidelity != FidelityCalibrated {
		return false
	}
	isTF := hasShape(c.Model)
	return isTF && servingGap(c, isTF) == ReasonNone
}

// decodeTP returns the tensor parallelism of the pool that decodes:
// decode_tp with decode_hardware when set, else tp (colocated serving
// decodes on the prefill's GPUs).
func decodeTP(c *Config) int {
	if c.Serve.DecodeHW != nil && c.Serve.DecodeTP > 0 {
		return c.Serve.DecodeTP
	}
	return one(c.Dist.TP)
}

// servingExtended reports whether a parameter beyond the core ServingModel
// changes the prefill or decode.
func servingExtended(c *Config) bool {
	s := &c.Serve
	return s.ChunkSize > 0 || s.CachedLen > 0 || s.Draft != nil || s.DecodeHW != nil ||
		kvPrecisionDiffers(c) || one(c.Dist.TP) > 1 || decodeTP(c) > 1
}

// solveServingScale is serving mode: the prefill and decode steps, then
// continuous batching and, with a qps, capacity planning.
//
// Under the calibrated fidelity every number comes from the calibrated
// model: a transformer's steps with every serving option
// (solveServingCalibrated), another model as one forward (solveCalibrated),
// or the row is infeasible with the reason servingGap gives, its
// calibration column still set. Under the mlsysim fidelity they come from
// mlsysim's ServingModel (solveServing) and its options (servingOptions).
func solveServingScale(c *Config, r *Result) {
	s := &c.Serve
	r.Serve.PrefillChunks, r.Serve.SpeculativeSpeedup = 1, 1
	cal := false // calibratedServing(c), computed once
	if c.Fidelity == FidelityCalibrated {
		isTF := hasShape(c.Model)
		if reason := servingGap(c, isTF); reason != ReasonNone {
			r.Calib.Kind = c.profile().Kind
			r.Feasible, r.Reason = false, reason
			return
		}
		cal = isTF
		if cal {
			solveServingCalibrated(c, r)
		} else {
			solveCalibrated(c, r)
		}
	} else {
		solveServing(c, r)
		if servingExtended(c) {
			servingOptions(c, r)
		}
	}
	tp := one(c.Dist.TP)
	if cal {
		// An EP replica's GPUs (serving_moe.go), times a calibrated
		// pipeline's stages (serving_pp.go), each of max(tp, ep) GPUs.
		tp = servingGPUs(c) * one(c.Dist.PP)
	}
	dec, dtp := c.Hardware, tp
	if s.DecodeHW != nil {
		// The decode pool holds the KV cache of the running requests:
		// decode_tp GPUs of decode_hardware, max(decode_tp, decode_ep)
		// under calibrated (pp is refused beside it).
		dec, dtp = s.DecodeHW, decodePoolGPUs(c)
	}
	capacity := dec.MemCapacityBytes * float64(dtp)
	if r.Serve.PrefillS == 0 && r.Serve.DecodeS == 0 {
		// Every path but the calibrated transformer's prices the batch's
		// prefill as the time to first token.
		r.Serve.PrefillS, r.Serve.DecodeS = r.TTFTS, max(r.LatencyS-r.TTFTS, 0)
	}
	if cal {
		r.Serve.MemoryUtilization = r.MemoryBytes / dec.MemCapacityBytes // per GPU
	} else {
		if _, ssm := mambaOf(c.Model); !ssm || c.Fidelity != FidelityCalibrated {
			r.Serve.MaxBatchSize = mlsysimMaxBatch(c, capacity) // calibrated SSMs size their state
		}
		r.Serve.MemoryUtilization = r.MemoryBytes / capacity
	}
	r.Serve.PromptCacheHitRatio = float64(s.CachedLen) / float64(c.SeqLen)
	continuousBatching(c, r, dec, capacity, cal)
	// A replica is tp GPUs of hardware (max(tp, ep)·pp under calibrated;
	// the prefill pool with decode_hardware) and, disaggregated, the decode
	// pool's decodePoolGPUs of decode_hardware besides: capacity planning
	// and the fleet models count both.
	pool := 0
	if s.DecodeHW != nil {
		pool = dtp
	}
	r.Serve.Replicas, r.Serve.GPUs, r.Serve.DecodeGPUs = 1, tp+pool, pool
	if s.QPS > 0 {
		planCapacity(c, r)
		r.Serve.GPUs, r.Serve.DecodeGPUs = r.Serve.Replicas*(tp+pool), r.Serve.Replicas*pool
	}
}

// replicaTDPW returns the TDP of one serving replica's GPUs, watts: gpus
// GPUs of hardware and, disaggregated, the decode pool's GPUs of
// decode_hardware besides (decodePoolGPUs: decode_tp, max(decode_tp,
// decode_ep) under calibrated),
//
//	W = gpus·TDP_hardware (+ N_d·TDP_decode_hardware)
//
// Serving energy charges it whole over the batch's request cycle,
// W·(0.3 + 0.7·HFU)·T, as the fleet models charge every GPU's power over
// the wall time (solveFleet): a pool idle while the other works still
// draws its idle share. Registry TDPs, as each energy model uses them.
func replicaTDPW(c *Config, gpus int) float64 {
	w := float64(gpus) * c.Hardware.TDPW
	if d := c.Serve.DecodeHW; d != nil {
		w += float64(decodePoolGPUs(c)) * d.TDPW
	}
	return w
}

// forwardStepS returns one step of n sequences at context ctx of a model
// without transformer layers under the calibrated model: one forward.
func forwardStepS(c *Config, n, ctx int) float64 {
	sub := *c
	sub.BatchSize, sub.SeqLen = n, max(ctx, 1)
	var rr Result
	solveCalibrated(&sub, &rr)
	return rr.ITLS
}

// mlsysimMaxBatch returns the largest batch whose weights (and draft) and KV
// cache at seq_len fit capacity, the mlsysim fidelity's memory rule:
// ⌊(capacity − W)/KV(seq_len, 1)⌋.
func mlsysimMaxBatch(c *Config, capacity float64) int {
	bpe := weightPrecision(c).Bytes()
	w := Lower(c.Model, bpe).WeightBytes
	if c.Serve.Draft != nil {
		w += Lower(c.Serve.Draft, bpe).WeightBytes
	}
	perSeq := KVCacheBytes(c.Model, c.SeqLen, 1, kvElementBytes(c))
	if free := capacity - w; free > 0 && perSeq > 0 {
		return int(math.Min(math.Floor(free/perSeq), math.MaxInt32))
	}
	return 0
}

// servingOptions recomputes prefill and decode with ServingModel's options
// (reference solvers §4.14), tensor parallelism and a KV precision:
//
//	new    = max(1, S − cached)
//	TTFT   = (2·P·new·B + 4·L·H·d·new·S·B)/(peak·η·tp) + t_dispatch·chunks + TP comm (+ KV/network if disaggregated)
//	ITL    = (W + KV)/(BW·tp_d) + L·0.01 ms + 2·L·ring(B·h·b, tp_d)
//	spec.  ITL' = (K·t_draft + ITL)/E,  E = 1 + α(1−α^K)/(1−α),  t_draft = (W_d + KV_d)/BW
//
// chunks = ⌈new/chunk⌉; each chunk's attention covers the full S, so the
// chunks' FLOPs sum to the unchunked prefill's; the slowest chunk bounds a
// decode stall. With tp > 1 the weights, KV and FLOPs spread over tp GPUs
// and each layer all-reduces its activations twice (Megatron). tp_d is the
// decode pool's degree: decode_tp with decode_hardware (the decode's
// bandwidth, all-reduces over the decode hardware's NVLink and memory check
// on tp_d GPUs of it), else tp.
func servingOptions(c *Config, r *Result) {
	s := &c.Serve
	hw, m := c.Hardware, c.Model
	dec := hw
	if s.DecodeHW != nil {
		dec = s.DecodeHW
	}
	tp, dtp := one(c.Dist.TP), decodeTP(c)
	ftp, fdtp := float64(tp), float64(dtp)
	bpe, abpe := weightPrecision(c).Bytes(), activationPrecision(c).Bytes()
	kvb := abpe
	if s.KVPrecSet {
		kvb = s.KVPrecision.Bytes()
	}
	g := Lower(m, bpe)
	B, S := float64(c.BatchSize), float64(c.SeqLen)
	L := float64(g.Layers)
	H := float64(m.EffectiveHeads())
	d := float64(m.EffectiveHidden() / m.EffectiveHeads())
	h := float64(m.EffectiveHidden())
	P := activeParameters(m)
	peak := hw.PeakFor(activationPrecision(c))
	eff := peak * c.Efficiency * ftp

	newTok := max(1, c.SeqLen-min(s.CachedLen, c.SeqLen-1))
	prefill := 2*P*float64(newTok)*B + 4*L*H*d*float64(newTok)*S*B
	tPrefill := prefill / eff
	chunks := 1
	if s.ChunkSize > 0 {
		chunks = (newTok + s.ChunkSize - 1) / s.ChunkSize
		first := min(s.ChunkSize, newTok)
		r.Serve.DecodeStallS = (2*P*float64(first)*B+4*L*H*d*float64(first)*S*B)/eff + hw.DispatchTaxS
	}
	r.Serve.PrefillChunks = chunks
	var commPrefill, commDecode float64
	if tp > 1 {
		β, α := hw.NVLink.PerDirectionBps(), hw.NVLink.LatencyS
		if β == 0 {
			β = FallbackHostLinkBps
		}
		if α == 0 {
			α = DefaultNVLinkLatencyS
		}
		commPrefill = 2 * L * RingAllReduceS(B*float64(newTok)*h*abpe, tp, β, α)
	}
	if dtp > 1 {
		βd, αd := dec.NVLink.PerDirectionBps(), dec.NVLink.LatencyS
		if βd == 0 {
			βd = FallbackHostLinkBps
		}
		if αd == 0 {
			αd = DefaultNVLinkLatencyS
		}
		commDecode = 2 * L * RingAllReduceS(B*h*abpe, dtp, βd, αd)
	}
	kv := KVCacheBytes(m, c.SeqLen, c.BatchSize, kvb)
	ttft := tPrefill + hw.DispatchTaxS*float64(chunks) + commPrefill
	if s.DecodeHW != nil {
		net := s.NetworkBps
		if !(net > 0) {
			net = DefaultNetworkBps
		}
		ttft += kv / net
	}
	bw := dec.MemBandwidthBps * fdtp
	itl := (g.WeightBytes+kv)/bw + L*LayerTaxS + commDecode
	mem := g.WeightBytes + kv
	if s.Draft != nil {
		dm := s.Draft
		gd := Lower(dm, bpe)
		kvd := KVCacheBytes(dm, c.SeqLen, c.BatchSize, kvb)
		tDraft := (gd.WeightBytes + kvd) / bw
		a := s.Acceptance
		if !(a > 0) {
			a = DefaultDraftAcceptance
		}
		E := 1.0 + SpeculativeGamma
		if a < 1 {
			E = 1 + a*(1-math.Pow(a, SpeculativeGamma))/(1-a)
		}
		spec := (SpeculativeGamma*tDraft + itl) / E
		r.Serve.SpeculativeSpeedup = itl / spec
		itl = spec
		mem += gd.WeightBytes
	}
	r.TTFTS, r.ITLS = ttft, itl
	r.KVCacheBytes, r.MemoryBytes = kv, mem
	r.ComputeS = tPrefill
	r.MemoryS = (g.WeightBytes + kv) / bw
	r.TokensPerS = B / itl
	steps := float64(c.OutputTokens - 1)
	r.LatencyS = ttft + steps*itl
	r.ThroughputPerS = B / r.LatencyS
	r.Feasible = mem <= dec.MemCapacityBytes*fdtp
	r.Reason = ReasonNone
	if !r.Feasible {
		r.Reason = ReasonMemory
	}
	decodeFLOPs := 2*P*B + 4*L*H*d*S*B
	if peak > 0 {
		r.MFU = clamp01((prefill + steps*decodeFLOPs) / r.LatencyS / (peak * ftp))
		r.HFU = r.MFU
	}
	r.EnergyJ = replicaTDPW(c, tp) * (IdlePowerFraction + DynamicPowerFraction*r.HFU) * r.LatencyS
}

// CappedExponentialScale returns θ such that Y = min(X, M), X ~ Exp(θ), has
// mean μ (mlsysim calc_capped_exponential_scale):
//
//	θ·(1 − e^(−M/θ)) = μ,   0 < μ < M
//
// solved by bisection to machine precision. It returns +Inf for μ ≥ M.
func CappedExponentialScale(mean, M float64) float64 {
	if mean >= M {
		return math.Inf(1)
	}
	f := func(θ float64) float64 { return θ*(-math.Expm1(-M/θ)) - mean }
	lo, hi := mean, 2*mean
	for f(hi) < 0 {
		lo, hi = hi, 2*hi
	}
	for range 200 {
		mid := (lo + hi) / 2
		if mid == lo || mid == hi {
			break
		}
		if f(mid) < 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// ExpectedPagedTokens returns E[p·⌈Y/p⌉], the tokens a request of capped
// exponential length holds in pages of p (mlsysim
// calc_expected_paged_kv_tokens):
//
//	E_p = p·(1 − e^(−M/θ)) / (1 − e^(−p/θ))
//
// and p·⌈M/p⌉ when every request is M tokens (θ = +Inf).
func ExpectedPagedTokens(p, M, θ float64) float64 {
	if math.IsInf(θ, 1) {
		return p * math.Ceil(M/p)
	}
	return p * math.Expm1(-M/θ) / math.Expm1(-p/θ)
}

// continuousBatching fills the paged and static capacities (mlsysim
// ContinuousBatchingModel, newest semantics, reference solvers §4.15, G17):
//
//	KV_free = capacity − W,  kv_tok = KV bytes per token
//	static  = min(⌊KV_free/(M·kv_tok)⌋, B),   paged = min(⌊KV_free/(E_p·kv_tok)⌋, B)
//	tokens/s(n) = n / ((W + n·μ·kv_tok)/BW)
//
// with B the batch size (the most requests the server schedules), M the
// context cap and μ the mean request length (M when not given).
// cal says whether c is priced by the calibrated transformer steps
// (calibratedServing).
func continuousBatching(c *Config, r *Result, dec *registry.Hardware, capacity float64, cal bool) {
	s := &c.Serve
	m := c.Model
	bpe := weightPrecision(c).Bytes()
	kvb := kvElementBytes(c)
	if s.KVPrecSet {
		kvb = s.KVPrecision.Bytes()
	}
	M := s.MaxSeqLen
	if M <= 0 {
		M = c.SeqLen
	}
	mean := float64(M)
	if s.MeanTokens > 0 && s.MeanTokens < M {
		mean = float64(s.MeanTokens)
	}
	page := float64(s.PageSize)
	if page <= 0 {
		page = DefaultPageSize
	}
	w := Lower(m, bpe).WeightBytes
	if s.Draft != nil {
		w += Lower(s.Draft, bpe).WeightBytes
	}
	free := capacity - w
	kvTok := KVCacheBytes(m, 1, 1, kvb)
	if cal {
		kvTok = calibKVCacheBytes(m, 1, 1, kvb)
		if m.IsHybrid() { // the recurrent state once a sequence of mean tokens (hybrid.go)
			kvTok = hybridTokenBytes(m, mean, kvb)
		}
	}
	fM := float64(M)
	θ := math.Inf(1)
	if mean < fM {
		θ = CappedExponentialScale(mean, fM)
	}
	ep := ExpectedPagedTokens(page, fM, θ)
	r.Serve.Fragmentation = 1 - mean/ep
	r.Serve.StaticFragmentation = 1 - mean/fM
	if !(free > 0) || !(kvTok > 0) {
		return
	}
	bmax := float64(c.BatchSize)
	static := math.Min(math.Floor(free/(fM*kvTok)), bmax)
	paged := math.Min(math.Floor(free/(ep*kvTok)), bmax)
	r.Serve.StaticCapacity, r.Serve.PagedCapacity = int(static), int(paged)
	if s.SkipBatchingThroughput && s.QPS <= 0 && cal {
		return
	}
	bw := dec.MemBandwidthBps * float64(decodeTP(c))
	tps := func(n float64) float64 {
		if n <= 0 {
			return 0
		}
		if c.Fidelity == FidelityCalibrated {
			if int(n) == c.BatchSize && int(mean) == c.SeqLen && r.ITLS > 0 {
				return n / r.ITLS // the step already computed: the common case
			}
			if cal {
				return n / calibratedDecodeS(c, int(n), int(mean))
			}
			return n / forwardStepS(c, int(n), int(mean))
		}
		return n / ((w + n*mean*kvTok) / bw)
	}
	r.Serve.StaticTokensPerS, r.Serve.PagedTokensPerS = tps(static), tps(paged)
	if r.Serve.StaticTokensPerS > 0 {
		r.Serve.BatchingSpeedup = r.Serve.PagedTokensPerS / r.Serve.StaticTokensPerS
	}
}

// MMcWait returns the utilisation and the median and P99 queue waits of an
// M/M/c queue with arrival rate λ, service rate μ per server and c servers
// (mlsysim calc_queue_latency_mmc, Erlang C):
//
//	ρ = λ/(cμ),  P_wait = C(c, λ/μ),  t_q = max(0, −ln(q/P_wait)) / (cμ(1−ρ))
//
// with q = 0.5 and 0.01. P_wait comes from the Erlang B recursion
// B_k = a·B_{k−1}/(k + a·B_{k−1}), C = c·B/(c − a·(1 − B)), which needs no
// factorials. Unstable queues (λ ≥ cμ) return ρ = λ/(cμ) and +Inf waits.
func MMcWait(λ, μ float64, c int) (ρ, p50, p99 float64) {
	if !(μ > 0) || c < 1 {
		return 1, math.Inf(1), math.Inf(1)
	}
	fc := float64(c)
	ρ = λ / (fc * μ)
	if ρ >= 1 {
		return ρ, math.Inf(1), math.Inf(1)
	}
	a := λ / μ
	b := 1.0
	for k := 1; k <= c; k++ {
		b = a * b / (float64(k) + a*b)
	}
	p50, p99 = mmcQuantiles(erlangC(b, a, fc), fc*μ*(1-ρ))
	return ρ, p50, p99
}

func erlangC(b, a, c float64) float64 {
	return math.Min(math.Max(c*b/(c-a*(1-b)), 0), 1)
}

func mmcQuantiles(pw, rate float64) (p50, p99 float64) {
	q := func(tail float64) float64 {
		if pw < tail {
			return 0
		}
		return -math.Log(tail/pw) / rate
	}
	return q(0.5), q(0.01)
}

// TailLatency is mlsysim's TailLatencyModel (§4.18): request latencies of c
// replicas of service time svcS under λ requests/s,
//
//	p50 = w50·k + svc,  p99 = w99·k + svc,  k = (cv² + 1)/2 (Kingman)
//
// stable is ρ < 1.
func TailLatency(λ, svcS float64, c int, cv float64) (ρ, p50, p99 float64, stable bool) {
	ρ, w50, w99 := MMcWait(λ, 1/svcS, c)
	k := (cv*cv + 1) / 2
	return ρ, w50*k + svcS, w99*k + svcS, ρ < 1
}

// planCapacity finds the replicas for qps within p99_target_s (mlsysim
// ServingCapacityModel, §4.16): at the paged batch n = max(1, paged
// capacity), a replica serves per_qps = paged tokens/s / output_tokens with
// base latency TTFT(n, μ) + ITL(n, μ)·output_tokens. Under the calibrated
// fidelity the replica's service time counts the prefill work too:
//
//	per_qps = n / (P(n, μ) + output_tokens · n / paged tokens/s)
//
// with P(n, μ) the prefill of the n requests' prompts (ServeResult.PrefillS)
// and TTFT the per-request figure (requestTTFT); the first replica
// count r whose M/M/c P99 wait (× Kingman) keeps base + wait ≤ target wins
// (searchReplicas).
//
// A load that no replica count up to max_replicas serves with a stable queue
// (λ ≥ max_replicas·per_qps, no paged capacity, or a request that does not
// fit) has no latency: p50_s and p99_s stay 0 and the row is infeasible with
// ReasonQueue, unless another reason already holds.
func planCapacity(c *Config, r *Result) {
	if !planReplicas(c, r) && r.Reason == ReasonNone {
		r.Feasible, r.Reason = false, ReasonQueue
	}
}

// planReplicas is planCapacity; it reports whether the load has a stable
// queue at some replica count.
func planReplicas(c *Config, r *Result) bool {
	s := &c.Serve
	maxR := s.MaxReplicas
	if maxR <= 0 {
		maxR = DefaultMaxReplicas
	}
	cv := s.ServiceCV
	if cv == 0 {
		cv = 1 // the zero Config means M/M/c
	}
	kf := (cv*cv + 1) / 2
	r.Serve.Replicas = maxR
	if r.Serve.PagedCapacity <= 0 {
		r.Serve.CapacityBound = "Memory"
		return false
	}
	// The request at the paged batch and the mean length.
	n := max(1, r.Serve.PagedCapacity)
	M := s.MaxSeqLen
	if M <= 0 {
		M = c.SeqLen
	}
	mean := M
	if s.MeanTokens > 0 && s.MeanTokens < M {
		mean = s.MeanTokens
	}
	sub := *c
	sub.BatchSize, sub.SeqLen = n, mean
	sub.Serve.QPS, sub.Serve.ChunkSize, sub.Serve.CachedLen = 0, 0, 0
	var req Result
	switch {
	case calibratedServing(&sub):
		solveServingCalibrated(&sub, &req)
	case sub.Fidelity == FidelityCalibrated:
		solveCalibrated(&sub, &req)
	default:
		solveServing(&sub, &req)
		if servingExtended(&sub) {
			servingOptions(&sub, &req)
		}
	}
	out := float64(c.OutputTokens)
	perQPS := r.Serve.PagedTokensPerS / out
	if sub.Fidelity == FidelityCalibrated && r.Serve.PagedTokensPerS > 0 {
		// A replica's service capacity counts the prefill of each request
		// beside its decode steps: n requests take their prefills P(n) and
		// output_tokens decode steps of n/tokens_per_s each.
		fn := float64(n)
		perQPS = fn / (req.Serve.PrefillS + out*fn/r.Serve.PagedTokensPerS)
	}
	base := req.TTFTS + req.ITLS*out
	r.Serve.PerReplicaQPS, r.Serve.BaseLatencyS = perQPS, base
	if !req.Feasible || !(perQPS > 0) {
		r.Serve.CapacityBound = "Capacity"
		if !req.Feasible {
			r.Serve.CapacityBound = "Memory"
		}
		return false
	}
	pl := searchReplicas(s.QPS/perQPS, perQPS, base, kf, s.P99TargetS, maxR)
	r.Serve.Replicas = pl.k
	if pl.stable {
		r.Serve.QueueRho = pl.ρ
		r.Serve.P50S, r.Serve.P99S = pl.p50, pl.p99
		r.Serve.SLAMet = pl.met
	}
	target := s.P99TargetS
	stableSeen := pl.stable
	switch {
	case r.Serve.SLAMet:
		r.Serve.CapacityBound = "Feasible"
	case base > target:
		r.Serve.CapacityBound = "Base Latency"
	case stableSeen:
		r.Serve.CapacityBound = "Tail Latency"
	default:
		r.Serve.CapacityBound = "Capacity"
	}
	return stableSeen
}

// exactReplicas is the largest replica count whose Erlang B value comes from
// the recursion B_k = a·B_{k−1}/(k + a·B_{k−1}) (bit for bit the values of a
// linear search); above it, erlangBIntegral prices one count in constant
// time, so that no max_replicas or qps makes the search long.
const exactReplicas = 1 << 16

// replicaPlan is the outcome of searchReplicas.
type replicaPlan struct {
	k           int     // replicas
	ρ, p50, p99 float64 // at k, when stable
	met, stable bool    // p99 ≤ target (or no target); the queue is stable at k
}

// searchReplicas returns the fewest replicas k ≤ maxR whose request P99,
//
//	p99(k) = base + kf·w99(k),  w99 the M/M/c P99 wait at offered load a = λ/μ
//
// meets target (the first stable k when target ≤ 0), or maxR when none does.
// k is stable when ρ = a/k < 1. p99 is non-increasing in k on the stable
// counts, so the search gallops up from the first stable count and bisects:
// O(log maxR) quantile evaluations; the Erlang B values below exactReplicas
// follow the recursion forward from the last count known to miss the target
// (O(k) steps in all, about twice a linear search's, without its logarithm
// per count), those above come from erlangBIntegral. A target below base is
// met by no count: maxR directly.
func searchReplicas(a, perQPS, base, kf, target float64, maxR int) replicaPlan {
	if maxR < 1 || !(a/float64(maxR) < 1) {
		return replicaPlan{k: maxR}
	}
	// The first stable count k0: a/k0 < 1 ≤ a/(k0−1), as the linear search tests it.
	k0 := 1
	if a >= 1 {
		k0 = min(int(math.Floor(a)), maxR)
		for k0 > 1 && a/float64(k0-1) < 1 {
			k0--
		}
		for !(a/float64(k0) < 1) {
			k0++
		}
	}
	// The recursion's cursor, B at count ck (B_0 = 1), and a checkpoint at
	// the largest count known to miss the target, where bisection restarts.
	ck, cb := 0, 1.0
	sk, sb := 0, 1.0
	missed := func(k int) {
		if k == ck {
			sk, sb = ck, cb
		}
	}
	erlangB := func(k int) float64 {
		if k > exactReplicas {
			return erlangBIntegral(a, float64(k))
		}
		if k < ck {
			ck, cb = sk, sb
			if k < ck {
				ck, cb = 0, 1
			}
		}
		for ck < k {
			ck++
			cb = a * cb / (float64(ck) + a*cb)
		}
		return cb
	}
	at := func(k int) replicaPlan {
		fk := float64(k)
		ρ := a / fk
		w50, w99 := mmcQuantiles(erlangC(erlangB(k), a, fk), fk*perQPS*(1-ρ))
		p99 := base + w99*kf
		return replicaPlan{k: k, ρ: ρ, p50: base + w50*kf, p99: p99,
			met: target <= 0 || p99 <= target, stable: true}
	}
	if target <= 0 {
		return at(k0)
	}
	if base > target { // p99 ≥ base at every count
		return at(maxR)
	}
	// Gallop: probe k0, k0+2, k0+6, k0+14 ... until one meets the target.
	lo, hi := k0-1, maxR // p99(lo) misses (or lo < k0); the answer is in (lo, hi]
	var best replicaPlan
	found := false
	for step := 1; step < maxR-lo; {
		k := lo + step
		p := at(k)
		if p.met {
			hi, best, found = k, p, true
			break
		}
		lo = k
		missed(k)
		if step > maxR/2 {
			step = maxR
		} else {
			step *= 2
		}
	}
	if !found {
		if best = at(maxR); !best.met {
			return best
		}
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if p := at(mid); p.met {
			hi, best = mid, p
		} else {
			lo = mid
			missed(mid)
		}
	}
	return best
}

// erlangBIntegral returns the Erlang B blocking probability B(c, a) of c
// servers at offered load a < c from its integral form,
//
//	1/B(c, a) = a·∫₀^∞ exp(c·ln(1+y) − a·y) dy = e^a·a^−c·Γ(c+1, a),
//
// evaluated in logarithms around the integrand's peak y₀ = c/a − 1 by
// composite Simpson's rule over the span where the integrand exceeds e^−60
// of its peak (σ = (1+y₀)/√c). For c ≥ 2^16 it agrees with the recursion to
// about 1e−10 relative; it underflows to 0 where the recursion does.
func erlangBIntegral(a, c float64) float64 {
	if !(a > 0) {
		return 0
	}
	y0 := max(c/a-1, 0)
	// g(y0 + t) − g(y0), computed from the differences so that huge c and a
	// do not cancel.
	dg := func(t float64) float64 { return c*math.Log1p(t/(1+y0)) - a*t }
	g0 := c*math.Log1p(y0) - a*y0
	σ := (1 + y0) / math.Sqrt(c)
	up := σ
	for dg(up) > -60 {
		up *= 2
	}
	down := σ
	for down < y0 && dg(-down) > -60 {
		down *= 2
	}
	down = min(down, y0)
	const n = 4096 // even
	h := (up + down) / n
	sum := math.Exp(dg(-down)) + math.Exp(dg(up))
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		sum += w * math.Exp(dg(-down+float64(i)*h))
	}
	return math.Exp(-(math.Log(a) + g0 + math.Log(sum*h/3)))
}

// acceptanceOf returns ServeConfig.Acceptance for a draft_acceptance
// of a: a itself, NoDraftAcceptance for 0 (0 in the Config means unset,
// which draft_acceptance=0 silently priced at the default 0.7).
func acceptanceOf(a float64) float64 {
	if a == 0 {
		return NoDraftAcceptance
	}
	return a
}
