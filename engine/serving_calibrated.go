package engine

import (
	"math"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/registry"
)

// Serving under the calibrated fidelity. Every serving option is priced by
// the operator model (package calibration) or the row is infeasible with a
// reason (servingGap); no row falls back to the η roofline.
//
//	tensor parallel  each rank runs the model sharded tp ways
//	                 (calibration.Transformer.Shard: heads, KV heads, MLP
//	                 width, vocabulary) and all-reduces its activations twice
//	                 a layer, T·h·b bytes for T tokens, as a ring at the
//	                 profile's collective efficiency over NVLink (PCIe
//	                 without it) within a node, over the fabric when tp
//	                 spans nodes (servingTPLink), each at least
//	                 ServingAllReduceFloorS; b is the stack's activation
//	                 bytes (calibration.ServeActivationBytes: 16-bit on a
//	                 stack that quantises only its GEMM inputs)
//	kv_precision     the KV cache read and written at its own bytes
//	cached_prefix    the prefill computes seq_len − cached tokens, which
//	                 attend the whole prompt
//	chunk_size       the prefill as ⌈new/chunk⌉ passes of chunk tokens, each
//	                 attending the prompt so far; decode_stall_s is the mixed
//	                 step of the last chunk with one decode token per
//	                 sequence
//	draft_model      K = 4 draft decode steps and one verify pass of K + 1
//	                 tokens by the target per step, E tokens accepted:
//	                 ITL = (K·t_draft + t_verify)/E, E = 1 + α(1−α^K)/(1−α);
//	                 the draft prefills the prompt too
//	decode_hardware  the prefill on hardware with its profile, the decode on
//	                 decode_hardware with its own, the prompt's KV cache sent
//	                 at network_bandwidth in between
//	decode_tp        the decode pool sharded decode_tp ways (default tp):
//	                 its steps on the decode_tp-way shard, its all-reduces
//	                 a decode_tp-way ring over decode_hardware's link
//	                 (servingTPLink), its memory weights/decode_tp + the KV
//	                 shard at decode_tp; the KV transfer is the whole
//	                 prompt's cache whatever the degrees
//	decode_ep        the decode pool's expert parallelism (default ep,
//	                 serving_moe.go): the prefill pool at (tp, ep) on
//	                 hardware, the decode pool at (decode_tp, decode_ep) on
//	                 decode_hardware, each with its own attention groups,
//	                 all-to-alls, experts and KV cache per GPU
//
// Memory is per GPU at the request's peak context, prompt + output_tokens
// tokens: weights/tp + the KV shard (+ the draft's), at the decode pool's
// degree; max_batch_size is the largest batch that fits.

// servingGap returns why the calibrated fidelity cannot price a serving
// configuration of a model with (isTF) or without transformer layers,
// ReasonNone when it can.
func servingGap(c *Config, isTF bool) Reason {
	s := &c.Serve
	switch {
	case one(c.Dist.CP) > 1 || (one(c.Dist.PP) > 1 && !isTF):
		return ReasonServingLayout
	case servingUsesEP(c) && (!isTF || servingEPGap(c) != ReasonNone):
		if !isTF {
			return ReasonServingEPDense
		}
		return servingEPGap(c)
	case ppGap(c) != ReasonNone: // serving_pp.go
		return ReasonServingPP
	case !isTF && (servingExtended(c)):
		return ReasonServingOptions
	case (one(c.Dist.TP) > 1 && !hasLink(c, c.Hardware)) || (s.DecodeHW != nil && decodeTP(c) > 1 && !hasLink(c, s.DecodeHW)):
		return ReasonNoInterconnect
	case s.Draft != nil:
		if !hasShape(s.Draft) {
			return ReasonServingOptions
		}
	}
	return ReasonNone
}

// hasLink reports whether tensor-parallel ranks on hw have a link to
// all-reduce over: the system node's, NVLink or a host link.
func hasLink(c *Config, hw *registry.Hardware) bool {
	if cl := c.Dist.System; cl != nil && cl.Node != nil && cl.Node.IntraNodeBps > 0 {
		return true
	}
	return hw.NVLink.PerDirectionBps() > 0 || hw.HostLink.PerDirectionBps() > 0
}

// kvElementBytes returns the bytes of one KV cache element: kv_precision's
// when set, else the precision's.
func kvElementBytes(c *Config) float64 {
	if kvPrecisionDiffers(c) {
		return c.Serve.KVPrecision.Bytes()
	}
	return activationPrecision(c).Bytes()
}

// kvPrecisionDiffers reports whether kv_precision sets a format other than
// the precision's: kv_precision equal to precision is a no-op.
func kvPrecisionDiffers(c *Config) bool {
	return c.Serve.KVPrecSet && c.Serve.KVPrecision != activationPrecision(c)
}

// kvPerGPU returns one tensor-parallel rank's share of the KV cache of
// batch sequences at ctx tokens: the KV heads split tp ways, rounded up
// (heads are replicated when tp exceeds them); an MLA latent cache is
// replicated on every rank.
func kvPerGPU(m *registry.Model, ctx, batch int, kvb float64, tp int) float64 {
	total := calibKVCacheBytes(m, ctx, batch, kvb)
	if tp <= 1 || m.IsMLA() {
		return total
	}
	hkv := m.TrueKVHeads()
	return total * float64((hkv+tp-1)/tp) / float64(hkv)
}

// servingTPLink returns the bandwidth and latency of a tp-way all-reduce
// group of serving on hw, at the profile's collective efficiency (as
// calibrated training derates its links): the node's link (system node,
// NVLink, else the host link) while tp fits a node (gpus_per_node, the
// system's node, else DefaultGPUsPerNode), the fabric (fabric, the
// system's, else InfiniBand NDR) after topology and oversubscription
// beyond it.
func servingTPLink(c *Config, hw *registry.Hardware, prof *calibration.Profile, tp int) (β, α float64) {
	d := &c.Dist
	perNode, fabric := d.GPUsPerNode, d.Fabric
	var intra, lat float64
	if cl := d.System; cl != nil {
		if cl.Node != nil {
			if perNode == 0 {
				perNode = cl.Node.AcceleratorsPerNode
			}
			intra, lat = cl.Node.IntraNodeBps, cl.Node.IntraNodeLatencyS
		}
		if fabric == nil {
			fabric = cl.Fabric
		}
	}
	if perNode <= 0 {
		perNode = DefaultGPUsPerNode
	}
	if tp <= perNode {
		if intra == 0 {
			intra = hw.NVLink.PerDirectionBps()
		}
		if intra == 0 {
			intra = hw.HostLink.PerDirectionBps()
		}
		if intra == 0 {
			intra = FallbackHostLinkBps
		}
		if lat == 0 {
			lat = hw.NVLink.LatencyS
		}
		if lat == 0 {
			lat = DefaultNVLinkLatencyS
		}
		return intra * prof.IntraNodeFrac(hw), lat
	}
	if fabric == nil {
		fabric = &defaultFabric
	}
	topo := d.Topology
	if topo == TopologyAuto {
		topo = ParseTopology(fabric.Topology)
	}
	nodes := (tp + perNode - 1) / perNode
	return EffectiveFabricBps(fabric.BandwidthBps, topo, nodes, fabric.Oversubscription) * prof.FabricFrac(fabric), fabric.LatencyS
}

// servePool is one pool of serving GPUs (the prefill or the decode one):
// its hardware, profile, device numbers, tensor-parallel link and expert
// parallelism.
type servePool struct {
	hw     *registry.Hardware
	prof   *calibration.Profile
	d      calibration.Device
	β, α   float64
	hbps   float64 // per-token all-reduce bytes: hidden · ServeActivationBytes
	tp     int
	ep     int     // expert-parallel GPUs (serving_moe.go); 1 without EP
	groups int     // attention data-parallel groups: max(tp, ep)/tp
	layer  float64 // all-reduces per step: 2 · layers
}

func newServePool(c *Config, hw *registry.Hardware, prof *calibration.Profile, tp, ep int) servePool {
	var p servePool
	p.init(c, hw, prof, tp, ep)
	return p
}

// init sets p to the pool of max(tp, ep) GPUs of hw with profile prof
// under c, tp-way attention groups and ep-way experts, in place
// (newServePool).
func (p *servePool) init(c *Config, hw *registry.Hardware, prof *calibration.Profile, tp, ep int) {
	*p = servePool{hw: hw, prof: prof, d: deviceFor(c, hw), tp: tp, ep: max(ep, 1), groups: max(tp, ep) / tp}
	if tp > 1 {
		p.β, p.α = servingTPLink(c, hw, prof, tp)
		p.hbps = float64(c.Model.EffectiveHidden()) * calibration.ServeActivationBytes(c.Calib.Software, activationPrecision(c))
		p.layer = 2 * float64(c.Model.Layers)
	}
}

// ServingAllReduceFloorS is the least time of one tensor-parallel
// all-reduce of serving within a node, whatever its size: the measured
// latency of a one-shot all-reduce kernel on H100 NVLink at 512 B to 32 KB,
// 8.5-11.8 µs at tp 2, 4 and 8 (vLLM's custom all-reduce, launched without
// a CUDA graph: 9.5 / 9.1 / 10.1 µs at 512 B; sglang pull request 2904,
// github.com/sgl-project/sglang/pull/2904, unit test performance on H100).
// A ring's 2(N−1) link latencies at the NVLink α of 0.5 µs (3 µs at tp 4)
// are below what one collective kernel costs to launch and synchronise.
const ServingAllReduceFloorS = 9e-6

// oneAllReduceS returns one all-reduce of bytes bytes over the pool's tp
// ranks: the ring's time with its latency term at least
// ServingAllReduceFloorS,
//
//	2(N−1)/N · M/β + max(2(N−1)·α, ServingAllReduceFloorS)
func (p *servePool) oneAllReduceS(bytes float64) float64 {
	if p.tp <= 1 {
		return 0
	}
	lat := 2 * float64(p.tp-1) * p.α
	return RingAllReduceS(bytes, p.tp, p.β, p.α) + math.Max(0, ServingAllReduceFloorS-lat)
}

// allReduceS returns the tensor-parallel all-reduces of one pass over
// tokens tokens: 2·L all-reduces of tokens·h·b bytes (oneAllReduceS); 0
// for tp = 1.
func (p *servePool) allReduceS(tokens float64) float64 {
	if p.tp <= 1 {
		return 0
	}
	return p.layer * p.oneAllReduceS(tokens*p.hbps)
}

// calServe is the calibrated steps of one serving configuration.
type calServe struct {
	pre, dec, mean   calibration.Breakdown // target prefill (all chunks), decode at seq_len, decode at the mean context
	ttft, itl, meanS float64               // with all-reduces, KV transfer and speculation
	plainITL         float64               // the target's decode step without a draft
	stall            float64               // decode_stall_s
	chunks           int                   // prefill chunks
	stepFLOPs        float64               // hardware FLOPs of one mean output token (speculation included)
	stepModel        float64               // model FLOPs of one mean output token
	prePeak, decPeak float64               // peaks of the prefill and decode pools

	// ttft and itl by operation class (timeparts.go).
	preParts, decParts TimeParts
}

// serveWork is the part of a serving configuration calibratedServeSteps
// prices.
type serveWork uint8

const (
	serveAll     serveWork = iota // the prefill and the decode steps
	serveDecode                   // the decode steps alone (continuous batching's step)
	servePrefill                  // the prefill alone: ttft, preParts and chunks (requestTTFT's one request)
)

// serveSetup is what the steps of a serving configuration need of it
// that depends neither on the batch nor on the prompt: the model's shard
// on each pool (expert parallel at the pool's ep), the pools, and the KV
// cache's element bytes. One setup
// serves the evaluation's steps of the request's batch and of its one
// request's prefill (requestTTFT), so nothing in it may depend on the
// batch size (what does is computed in steps); it is built in place
// (init) and used by pointer, never copied.
type serveSetup struct {
	sh, dsh  calibration.Transformer // the prefill pool's shard; the decode pool's when its degree differs (dshSet)
	dshSet   bool
	pre, dec servePool // the prefill pool; the decode pool with decode_hardware (split)
	split    bool
	kvb      float64 // bytes of a KV element, 0 = the precision's own
}

// init sets st to the setup of c.
func (st *serveSetup) init(c *Config) {
	s := &c.Serve
	tp, ep := one(c.Dist.TP), one(c.Dist.EP)
	st.split, st.dshSet = s.DecodeHW != nil, false
	var shape calibration.Transformer
	if tp == 1 && ep == 1 && !st.split {
		// One GPU a pool: the shard is the shape itself (Shard(1) copies
		// it, servingEPShape leaves it at ep 1), built in place.
		c.modelShape(&st.sh) // memo.go
	} else {
		c.modelShape(&shape)
		st.sh = shape.Shard(tp)
		servingEPShape(&st.sh, &shape, tp, ep) // serving_moe.go
	}
	st.kvb = kvElementBytes(c)
	if st.kvb == activationPrecision(c).Bytes() {
		st.kvb = 0 // the precision's own: the identical arithmetic
	}
	st.pre.init(c, c.Hardware, c.profile(), tp, ep)
	if st.split {
		dtp, dep := decodeTP(c), decodeEP(c)
		st.dec.init(c, s.DecodeHW, c.Calib.Profiles.Profile(s.DecodeHW), dtp, dep)
		if dtp != tp || dep != ep {
			st.dsh, st.dshSet = shape.Shard(dtp), true
			servingEPShape(&st.dsh, &shape, dtp, dep)
		}
	}
}

// decPool returns the decode pool: dec with decode_hardware, else pre.
func (st *serveSetup) decPool() *servePool {
	if st.split {
		return &st.dec
	}
	return &st.pre
}

// decShard returns the model's shard on the decode pool.
func (st *serveSetup) decShard() *calibration.Transformer {
	if st.dshSet {
		return &st.dsh
	}
	return &st.sh
}

// calibratedServeSteps prices work (the prefill, the decode steps or both)
// of batch sequences with a prompt of seq tokens under c's serving
// options. The fields of out a part fills are the same bit for bit
// whichever other part is priced beside it.
func calibratedServeSteps(c *Config, batch, seq int, work serveWork, out *calServe) {
	var st serveSetup
	st.init(c)
	st.steps(c, batch, seq, work, out)
}

// steps is calibratedServeSteps with c's setup st.
func (st *serveSetup) steps(c *Config, batch, seq int, work serveWork, out *calServe) {
	noPrefill := work == serveDecode
	s := &c.Serve
	sw := c.Calib.Software
	kvb := st.kvb
	pre, dec := &st.pre, st.decPool()
	sh, dsh := &st.sh, st.decShard()
	out.prePeak, out.decPeak = pre.d.PeakFLOPS, dec.d.PeakFLOPS
	// Each pool's attention group serves its share of the batch
	// (serving_moe.go): the same share when colocated.
	whole := batch
	pb, db := pre.attnBatch(batch), dec.attnBatch(batch)
	batch = db
	B := float64(db)
	meanCtx := seq
	if c.OutputTokens > 1 {
		meanCtx += c.OutputTokens / 2
	}
	cached := min(s.CachedLen, seq-1)
	newTok := seq - cached

	// Decode on the decode pool.
	q := calibration.ServeQuery{Batch: db, CtxA: seq, CtxB: meanCtx, KVBytes: kvb, Software: sw}
	var scratch calibration.Breakdown
	if noPrefill || (s.DecodeHW != nil && work == serveAll) {
		dec.prof.ServeSteps(&scratch, &out.dec, &out.mean, &dec.d, dsh, &q)
	}
	// The prefill on its pool: one pass, or chunks.
	out.chunks = 1
	chunk := s.ChunkSize
	if !noPrefill {
		q.Batch, q.Prefill, q.PromptCtx = pb, newTok, seq
		if chunk > 0 && chunk < newTok {
			q.Prefill, q.PromptCtx = 0, 0
		}
		if s.DecodeHW == nil && work == serveAll {
			pre.prof.ServeSteps(&out.pre, &out.dec, &out.mean, &pre.d, sh, &q)
		} else if q.Prefill > 0 {
			// The prefill alone (ServeSteps without decode steps): the
			// decode pool's are timed above, or not asked for.
			pre.prof.ServeSteps(&out.pre, nil, nil, &pre.d, sh, &q)
		}
		PB := float64(pb)
		out.preParts = partsOf(&out.pre, 1)
		out.preParts.CommS = pre.allReduceS(PB * float64(newTok))
		out.preParts.CommEPS = pre.epAllToAllS(c, PB*float64(newTok)) // serving_moe.go
		out.ttft = out.pre.Total + out.preParts.CommS + out.preParts.CommEPS
		if chunk > 0 && chunk < newTok {
			out.ttft = chunkedPrefill(c, pre, sh, pb, cached, newTok, chunk, kvb, work, out)
		} else if chunk > 0 {
			out.stall = out.ttft // one chunk holds the whole prompt
		}
		if s.DecodeHW != nil {
			net := s.NetworkBps
			if !(net > 0) {
				net = DefaultNetworkBps
			}
			// The whole batch's prompt cache, whatever the pools' layouts.
			out.preParts.TransferS = calibKVCacheBytes(c.Model, seq, whole, kvElementBytes(c)) / net
			out.ttft += out.preParts.TransferS
		}
	}
	if work == servePrefill {
		if s.Draft != nil {
			speculate(c, dec, dsh, batch, pb, seq, meanCtx, kvb, work, pre, out)
		}
		return
	}
	ar := dec.allReduceS(B)
	a2a := dec.epAllToAllS(c, B)
	out.itl = out.dec.Total + (ar + a2a)
	out.meanS = out.mean.Total + (ar + a2a)
	out.plainITL = out.itl
	out.decParts = partsOf(&out.dec, 1)
	out.decParts.CommS, out.decParts.CommEPS = ar, a2a
	out.stepFLOPs, out.stepModel = out.mean.FLOPs, out.mean.ModelFLOPs
	if s.Draft != nil {
		speculate(c, dec, dsh, batch, pb, seq, meanCtx, kvb, work, pre, out)
	}
	if h := decodeHostS(c, batch, dec.tp); h > 0 { // the stack's host time per decode step (serving_host.go)
		out.itl += h
		out.meanS += h
		out.decParts.OverheadS += h
		out.plainITL += calibration.DecodeHostS(sw, batch, dec.tp) // a plain step carries it whole
	}
}

// chunkedPrefill returns the time to first token of a prefill of newTok
// tokens per sequence (after cached ones) in chunks of chunk tokens: the
// ⌊new/chunk⌋ full chunks, over each run of them whose pass time is linear
// in the context it attends as many times the mean of the run's first and
// last (the mean of the ends is then the mean of them all), and the
// remainder at the prompt's end, each with its all-reduces; out.pre holds
// their sum, out.stall the mixed step of the last chunk with one decode
// token of each sequence. A pass is linear in its context except where a
// sliding window starts to bind (calibration/window.go: the windowed
// layers' pairs grow with the context up to the window, stay flat from a
// window and a chunk on): with a window the full chunks split into the
// runs ending at or below it, the one chunk across it, and the rest. The
// full chunks' passes differ in their context alone and share its
// context-free part (calibration.ContextFree). Work servePrefill leaves
// the mixed step (out.stall) out.
func chunkedPrefill(c *Config, p *servePool, sh *calibration.Transformer, batch, cached, newTok, chunk int, kvb float64, work serveWork, out *calServe) float64 {
	sw := c.Calib.Software
	full, rem := newTok/chunk, newTok%chunk
	seq := cached + newTok
	ps := calibration.Pass{Batch: batch, Tokens: chunk, Software: sw, KVBytes: kvb, Prefill: true}
	B := float64(batch)
	n := float64(full)
	// comm is the all-reduces and, with expert parallelism, the
	// all-to-alls of a pass of tokens tokens (serving_moe.go).
	comm := func(tokens float64) (ar, a2a float64) {
		return p.allReduceS(tokens), p.epAllToAllS(c, tokens)
	}
	arC, a2aC := comm(B * float64(chunk))
	ps.Ctx = cached + chunk
	var cf calibration.ContextFree // of every full chunk's pass
	p.prof.ContextFreeOf(&cf, &p.d, sh, &ps)
	var first, last calibration.Breakdown
	p.prof.ForwardFrom(&first, &cf, &p.d, sh, &ps)
	ps.Ctx = cached + full*chunk
	p.prof.ForwardFrom(&last, &cf, &p.d, sh, &ps)
	t := n * ((first.Total+last.Total)/2 + arC + a2aC)
	out.pre = first
	out.pre.Add(&last)
	out.pre.Scale(n / 2)
	if k := min(max((sh.Window-cached)/chunk, 0), full); sh.Window > 0 && sh.WindowLayers > 0 && k+1 < full {
		// k full chunks end within the window, the (k+1)-th across it:
		// runs 1..k, k+1 and k+2..full in place of one.
		t, out.pre = n*(arC+a2aC), calibration.Breakdown{}
		for _, r := range [3][2]int{{1, k}, {k + 1, k + 1}, {k + 2, full}} {
			if r[1] < r[0] {
				continue
			}
			ps.Ctx = cached + r[0]*chunk
			var a calibration.Breakdown
			p.prof.ForwardFrom(&a, &cf, &p.d, sh, &ps)
			if r[1] > r[0] {
				ps.Ctx = cached + r[1]*chunk
				var b calibration.Breakdown
				p.prof.ForwardFrom(&b, &cf, &p.d, sh, &ps)
				a.Total = (a.Total + b.Total) / 2
				a.Add(&b)
				a.Scale(0.5)
			}
			m := float64(r[1] - r[0] + 1)
			t += m * a.Total
			a.Scale(m)
			out.pre.Add(&a)
		}
	}
	out.preParts.CommS, out.preParts.CommEPS = n*arC, n*a2aC
	if rem > 0 {
		ps.Tokens, ps.Ctx = rem, seq
		r := p.prof.Forward(&p.d, sh, &ps)
		arR, a2aR := comm(B * float64(rem))
		t += r.Total + arR + a2aR
		out.pre.Add(&r)
		out.preParts.CommS += arR
		out.preParts.CommEPS += a2aR
	}
	out.pre.Total = t
	cs, eps := out.preParts.CommS, out.preParts.CommEPS
	out.preParts = partsOf(&out.pre, 1)
	out.preParts.CommS, out.preParts.CommEPS = cs, eps
	out.preParts.OverheadS -= cs + eps // Total holds the all-reduces and all-to-alls
	out.chunks = full
	if rem > 0 {
		out.chunks++
	}
	if work == servePrefill {
		return t
	}
	// The mixed step: the last chunk and one decode token of each sequence
	// in one pass.
	ps.Tokens, ps.Ctx = chunk+1, seq+1
	m := p.prof.Forward(&p.d, sh, &ps)
	arM, a2aM := comm(B * float64(chunk+1))
	out.stall = m.Total + arM + a2aM
	return t
}

// speculate replaces out's decode steps by speculative ones: K draft
// decode steps of the draft model (sharded as the target's attention) and
// one verify pass of K + 1 tokens of the target, launched from a graph,
// per E accepted tokens, on the decode pool (sh is the target's shard
// there). The draft's prefill, sharded as the prefill pool's attention,
// joins the time to first token (unless work is serveDecode); work
// servePrefill adds that alone. With expert parallelism (serving_moe.go)
// the draft, dense, runs on each attention group's tp GPUs over the
// group's batch sequences (pbatch in the prefill pool), as the target's
// attention does, and the verify pass pays the target's all-to-alls of its
// K + 1 tokens a sequence.
func speculate(c *Config, dec *servePool, sh *calibration.Transformer, batch, pbatch, seq, meanCtx int, kvb float64, work serveWork, pre *servePool, out *calServe) {
	s := &c.Serve
	dshape, _ := shapeOf(s.Draft)
	dsh := dshape.Shard(dec.tp)
	sw := c.Calib.Software
	B := float64(batch)
	K := SpeculativeGamma
	// The draft runs with the target's hidden size for its all-reduces.
	dh := float64(s.Draft.EffectiveHidden()) * calibration.ServeActivationBytes(sw, activationPrecision(c))
	dar := func(p *servePool, tokens float64) float64 {
		if p.tp <= 1 {
			return 0
		}
		return 2 * float64(s.Draft.Layers) * p.oneAllReduceS(tokens*dh)
	}
	var dpre, dA, dB calibration.Breakdown
	q := calibration.ServeQuery{Batch: batch, CtxA: seq, CtxB: meanCtx, KVBytes: kvb, Software: sw}
	if work != servePrefill {
		dec.prof.ServeSteps(&dpre, &dA, &dB, &dec.d, &dsh, &q)
	}
	if work != serveDecode {
		cached := min(s.CachedLen, seq-1)
		q.Batch, q.Prefill, q.PromptCtx = pbatch, seq-cached, seq
		psh := dsh
		if pre.tp != dec.tp {
			psh = dshape.Shard(pre.tp)
		}
		pre.prof.ServeSteps(&dpre, nil, nil, &pre.d, &psh, &q)
		a := dar(pre, float64(pbatch)*float64(seq-cached))
		out.ttft += dpre.Total + a
		out.preParts.add(&dpre, 1)
		out.preParts.CommS += a
	}
	if work == servePrefill {
		return
	}
	a := s.Acceptance
	if !(a > 0) {
		a = DefaultDraftAcceptance
	}
	E := 1.0 + float64(K)
	if a < 1 {
		E = 1 + a*(1-math.Pow(a, float64(K)))/(1-a)
	}
	// The verify passes at the two contexts share their context-free part.
	var vcf calibration.ContextFree
	var vA, vB calibration.Breakdown
	vps := calibration.Pass{Batch: batch, Tokens: K + 1, Ctx: seq + K + 1, AllLogit: true, Software: sw, KVBytes: kvb, Graphed: true}
	dec.prof.ContextFreeOf(&vcf, &dec.d, sh, &vps)
	dec.prof.ForwardFrom(&vA, &vcf, &dec.d, sh, &vps)
	vps.Ctx = meanCtx + K + 1
	dec.prof.ForwardFrom(&vB, &vcf, &dec.d, sh, &vps)
	fK := float64(K)
	tv := dec.allReduceS(B * (fK + 1))
	ev := dec.epAllToAllS(c, B*(fK+1)) // the verify pass's all-to-alls; 0 without EP
	td := dar(dec, B)
	out.itl = (fK*(dA.Total+td) + vA.Total + tv + ev) / E
	out.meanS = (fK*(dB.Total+td) + vB.Total + tv + ev) / E
	out.decParts = partsOf(&dA, fK/E)
	out.decParts.add(&vA, 1/E)
	out.decParts.CommS = (fK*td + tv) / E
	out.decParts.CommEPS = ev / E
	out.stepFLOPs = (fK*dB.FLOPs + vB.FLOPs) / E
	out.stepModel = out.mean.ModelFLOPs
}

// servingMemory returns one GPU's memory at the peak context of batch
// requests (prompt + output_tokens): the weights' shard, the KV cache's
// shard and the draft's, with the whole batch's KV cache besides, and the
// largest batch whose peak fits the decode hardware. The GPU is the decode
// pool's: the shards are decode_tp ways and its experts decode_ep ways with
// decode_hardware (decodeTP, decodeEP), tp and ep ways otherwise; an
// attention group holds the KV cache of its ⌈B/groups⌉ sequences,
// groups = max(tp, ep)/tp at the pool's degrees.
func servingMemory(c *Config, batch int) (perGPU, kvTotal float64, maxBatch int) {
	m, tp, ep := c.Model, decodeTP(c), decodeEP(c)
	bpe, kvb := weightPrecision(c).Bytes(), kvElementBytes(c)
	peak := c.SeqLen + c.OutputTokens
	w := servingWeightsPerGPU(m, Lower(m, bpe).WeightBytes, tp, ep) // serving_moe.go
	perSeq := kvPerGPU(m, peak, 1, kvb, tp)
	if d := c.Serve.Draft; d != nil {
		w += Lower(d, bpe).WeightBytes / float64(tp)
		perSeq += kvPerGPU(d, peak, 1, kvb, tp)
	}
	groups := max(tp, ep) / tp // attention groups of an EP pool
	perGPU = w + perSeq*float64((batch+groups-1)/groups)
	kvTotal = calibKVCacheBytes(m, peak, batch, kvb)
	capacity := c.Hardware.MemCapacityBytes
	if c.Serve.DecodeHW != nil {
		capacity = c.Serve.DecodeHW.MemCapacityBytes
	}
	if free := capacity - w; free > 0 && perSeq > 0 {
		maxBatch = int(math.Min(math.Floor(free/perSeq)*float64(groups), math.MaxInt32))
	}
	return perGPU, kvTotal, maxBatch
}

// solveServingCalibrated is serving mode of a transformer under the
// calibrated fidelity: prefill, decode and memory with every serving
// option (see the top of this file). Energy is the replica's TDP·(0.3 +
// 0.7·HFU)·T (replicaTDPW: max(tp, ep) GPUs of hardware, and with
// decode_hardware the decode pool's max(decode_tp, decode_ep) GPUs of it
// besides, both over the whole cycle), with T the batch's request cycle:
// all its prefills and its output_tokens − 1 decode steps
// (ServeResult.PrefillS + DecodeS), the time over which throughput, MFU
// and HFU are counted too; ttft_s and latency_s are one request's
// (requestTTFT).
func solveServingCalibrated(c *Config, r *Result) {
	if one(c.Dist.PP) > 1 {
		solveServingPP(c, r) // serving_pp.go
		return
	}
	hw := c.Hardware
	prof := c.profile()
	r.Calib.Kind = prof.Kind
	tp := one(c.Dist.TP)
	var st serveSetup // shared by the batch's steps and the one request's prefill
	st.init(c)
	var cs calServe
	st.steps(c, c.BatchSize, c.SeqLen, serveAll, &cs)
	B := float64(c.BatchSize)
	steps := float64(c.OutputTokens - 1)
	r.WeightBytes = Lower(c.Model, weightPrecision(c).Bytes()).WeightBytes
	var maxB int
	r.MemoryBytes, r.KVCacheBytes, maxB = servingMemory(c, c.BatchSize)
	r.Serve.MaxBatchSize = maxB
	r.Feasible = c.BatchSize <= maxB
	if r.Feasible && c.Serve.DecodeHW != nil {
		// The prefill pool's GPU holds its share of the weights (experts
		// ep ways) and its attention group's prompts' KV cache.
		need := servingWeightsPerGPU(c.Model, r.WeightBytes, tp, one(c.Dist.EP)) +
			kvPerGPU(c.Model, c.SeqLen, st.pre.attnBatch(c.BatchSize), kvElementBytes(c), tp)
		r.Feasible = need <= hw.MemCapacityBytes
	}
	if !r.Feasible {
		r.Reason = ReasonMemory
	}
	r.ITLS = cs.itl
	r.TTFTS = requestTTFT(c, &cs, &st)
	r.TokensPerS = B / r.ITLS
	r.Serve.PrefillS, r.Serve.DecodeS = cs.ttft, steps*cs.meanS
	cycle := cs.ttft + steps*cs.meanS // the batch's request cycle
	r.LatencyS = r.TTFTS + steps*cs.meanS
	r.ThroughputPerS = B / cycle
	r.Serve.PrefillChunks, r.Serve.DecodeStallS = cs.chunks, cs.stall
	r.Serve.SpeculativeSpeedup = cs.plainITL / cs.itl
	r.ComputeS, r.MemoryS = cs.pre.Matmul+cs.pre.Attention, cs.dec.Total-cs.dec.Fixed
	r.OverheadS = cs.dec.Fixed + cs.pre.Fixed
	r.Bottleneck = BottleneckCompute
	if steps*r.ITLS > cs.ttft {
		r.Bottleneck = BottleneckMemory
	}
	r.ArithmeticIntensity = cs.dec.FLOPs / cs.dec.Bytes
	r.Calib.MatmulS, r.Calib.AttentionS, r.Calib.ElementwiseS = cs.pre.Matmul, cs.pre.Attention, cs.pre.Elementwise+cs.pre.Optimizer
	r.Calib.Prefill, r.Calib.Decode = cs.preParts, cs.decParts
	// Utilisation: FLOP-seconds at each pool's peak over the request.
	switch {
	case !(cycle > 0 && cs.prePeak > 0 && cs.decPeak > 0):
	case cs.prePeak == cs.decPeak:
		r.MFU = clamp01((cs.pre.ModelFLOPs + steps*cs.stepModel) / cycle / cs.prePeak)
		r.HFU = clamp01((cs.pre.FLOPs + steps*cs.stepFLOPs) / cycle / cs.prePeak)
	default:
		r.MFU = clamp01((cs.pre.ModelFLOPs/cs.prePeak + steps*cs.stepModel/cs.decPeak) / cycle)
		r.HFU = clamp01((cs.pre.FLOPs/cs.prePeak + steps*cs.stepFLOPs/cs.decPeak) / cycle)
	}
	dec := st.decPool() // decode_hardware's profile and device, else hardware's
	r.EffectiveFLOPS = dec.prof.MatmulFLOPS(&dec.d)
	r.EffectiveBandwidth = dec.prof.StreamBps(&dec.d)
	r.EnergyJ = replicaTDPW(c, servingGPUs(c)) * (IdlePowerFraction + DynamicPowerFraction*r.HFU) * cycle
}

// requestTTFT returns one request's time to first token under continuous
// batching, from the calibrated steps: its own prefill, chunked or whole,
// plus the wait for the prefills admitted ahead of it, not the whole
// batch's prefill in one step (vLLM's and SGLang's schedulers admit
// requests as slots free up; Agrawal et al., Sarathi-Serve, OSDI 2024):
//
//	k     = clamp(B / output_tokens, 1, B)    requests admitted per decode step (steady state:
//	                                          the batch turns over every output_tokens steps)
//	ahead = (k − 1)/2                         its mean place among them (FIFO)
//	P₁    = the prefill of one request: one pass, or its n chunks (and, disaggregated,
//	        its KV transfer; with a draft, the draft's prefill)
//	TTFT  = min((1 + ahead)·P₁, P_B) + (1 + ahead)·n·ITL_B
//
// with P_B the whole batch's prefill in one step (no request waits longer
// than all of them at once) and ITL_B the batch's decode step: with chunked
// prefill on colocated hardware and B > 1, each chunk ahead and its own
// rides a mixed step beside a decode token of every running request;
// without chunking the prefills run before the decode step (prefill-first)
// and the term is 0. At B = 1 the figure is the prefill of the request.
// cs holds the batch's steps (calibratedServeSteps at c.BatchSize); st is
// c's setup, or nil to build one if the prefill is priced.
func requestTTFT(c *Config, cs *calServe, st *serveSetup) float64 {
	B := c.BatchSize
	if B <= 1 {
		return cs.ttft
	}
	oneTTFT, oneChunks := prefillOne(c, st) // calibratedServeSteps at batch 1 (memo.go)
	k := math.Min(math.Max(float64(B)/float64(max(c.OutputTokens, 1)), 1), float64(B))
	q := 1 + (k-1)/2
	t := math.Min(q*oneTTFT, cs.ttft)
	newTok := c.SeqLen - min(c.Serve.CachedLen, c.SeqLen-1)
	if ch := c.Serve.ChunkSize; ch > 0 && ch < newTok && c.Serve.DecodeHW == nil {
		t += q * float64(oneChunks) * cs.itl
	}
	return t
}

// calibratedDecodeS returns one decode step of n sequences at context ctx
// under c's serving options (continuous batching's step).
func calibratedDecodeS(c *Config, n, ctx int) float64 {
	if one(c.Dist.PP) > 1 {
		return ppDecodeS(c, n, ctx) // serving_pp.go
	}
	var cs calServe
	calibratedServeSteps(c, n, max(ctx, 1), serveDecode, &cs)
	return cs.itl
}
