package engine

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// Pipeline layouts (Megatron-Core's pipeline_model_parallel_layout) and
// multi-token prediction (DeepSeek-V3's MTP) in calibrated distributed
// training.
//
// Megatron-Core lets a job place its layers on the pipeline's stages by a
// string (megatron/core/transformer/pipeline_parallel_layer_layout.py,
// PipelineParallelLayerLayout.parse_str_to_list and validate_layer_layout):
// E is the embedding, t a transformer (decoder) layer, m a multi-token
// prediction block, L the final norm, LM head and loss, and '|' separates
// the pp·vp virtual stages, listed in the model's order (virtual stage i
// runs on pipeline rank i mod pp as its ⌊i/pp⌋-th chunk). "(…)*n" repeats
// a group n times, "x*n" one character, and commas are cosmetic:
// "Et|(tt|)*30mL" is the DeepSeek-V3 layout of 16 × 2 stages … with the
// MTP block and the loss on the last. The layout holds E once, first, and
// L once, last; its t count is the model's layers and its m count the MTP
// depth; no t follows an m, and the m are in one stage.

// Bounds of a pipeline layout's text: MaxPipelineLayoutLen bytes of
// input, a repeat count of at most MaxPipelineLayoutRepeat, at most
// MaxPipelineLayoutTokens symbols once the repeats are unrolled.
const (
	MaxPipelineLayoutLen    = 4096
	MaxPipelineLayoutRepeat = 4096
	MaxPipelineLayoutTokens = 1 << 16
)

// LayoutStage is one virtual pipeline stage of a PipelineLayout: its
// transformer layers, multi-token prediction blocks, and whether it holds
// the embedding and the loss (with the final norm and LM head).
type LayoutStage struct {
	Layers, MTP     int
	Embedding, Loss bool
}

// PipelineLayout is a parsed pipeline layout (ParsePipelineLayout). It is
// immutable: a Config holds a pointer to it, parsed once, and evaluations
// read it without allocating.
type PipelineLayout struct {
	text   string
	stages []LayoutStage
	layers int // t in all
	mtp    int // m in all
}

// String returns the layout's text as given (commas and repeats kept).
func (l *PipelineLayout) String() string { return l.text }

// NumStages returns the virtual stages, pp·vp.
func (l *PipelineLayout) NumStages() int { return len(l.stages) }

// Stage returns virtual stage i (0 ≤ i < NumStages), in the model's order.
func (l *PipelineLayout) Stage(i int) LayoutStage { return l.stages[i] }

// Layers returns the layout's transformer layers (t), MTP the
// multi-token prediction blocks (m).
func (l *PipelineLayout) Layers() int { return l.layers }

// MTP returns the layout's multi-token prediction blocks (m).
func (l *PipelineLayout) MTP() int { return l.mtp }

// layoutErr names the input (shortened past 64 bytes) and the 1-based
// byte position of the fault.
func layoutErr(s string, pos int, format string, a ...any) error {
	show := s
	if len(show) > 64 {
		show = show[:61] + "..."
	}
	return fmt.Errorf("pipeline layout %q: position %d: %s", show, pos+1, fmt.Sprintf(format, a...))
}

const layoutSymbols = "E embedding, t transformer layer, m multi-token prediction block, L loss, | stage boundary, (…)*n and x*n repeats"

// ParsePipelineLayout parses a layout in Megatron-Core's syntax
// (PipelineLayout). Errors name the input and the position of the bad
// token; the text is bounded (MaxPipelineLayoutLen,
// MaxPipelineLayoutRepeat, MaxPipelineLayoutTokens). Groups do not nest,
// and a group takes a repeat count, as in Megatron-Core. The checks that
// need the model and the parallelism (the stage count pp·vp, the layers,
// the MTP depth) are the evaluation's (DistLayoutStages, …).
func ParsePipelineLayout(s string) (*PipelineLayout, error) {
	if len(s) > MaxPipelineLayoutLen {
		return nil, fmt.Errorf("pipeline layout: %d bytes, more than %d", len(s), MaxPipelineLayoutLen)
	}
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("pipeline layout: empty (want e.g. \"Et|(tt|)*30mL\": %s)", layoutSymbols)
	}
	// Unroll into symbols, bounded.
	var toks []byte
	var poss []int32 // the position of each symbol's source
	emit := func(b []byte, p []int32) error {
		if len(toks)+len(b) > MaxPipelineLayoutTokens {
			return fmt.Errorf("more than %d symbols once repeats are unrolled", MaxPipelineLayoutTokens)
		}
		toks = append(toks, b...)
		poss = append(poss, p...)
		return nil
	}
	// count reads a repeat count "*n" at i; it returns n and the index after it.
	count := func(i int) (int, int, error) {
		j := i + 1
		n := 0
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			n = n*10 + int(s[j]-'0')
			if n > MaxPipelineLayoutRepeat {
				return 0, 0, layoutErr(s, i+1, "repeat count above %d", MaxPipelineLayoutRepeat)
			}
			j++
		}
		if j == i+1 {
			return 0, 0, layoutErr(s, i, "'*' needs a repeat count")
		}
		return n, j, nil
	}
	group, gpos := []byte(nil), []int32(nil)
	inGroup, groupAt := false, 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ',':
			i++
			continue
		case c == '(':
			if inGroup {
				return nil, layoutErr(s, i, "groups do not nest")
			}
			inGroup, groupAt, group, gpos = true, i, group[:0], gpos[:0]
			i++
			continue
		case c == ')':
			if !inGroup {
				return nil, layoutErr(s, i, "')' closes no group")
			}
			if len(group) == 0 {
				return nil, layoutErr(s, i, "empty group")
			}
			if i+1 >= len(s) || s[i+1] != '*' {
				return nil, layoutErr(s, i, "a group needs a repeat count, e.g. (tt|)*4")
			}
			n, j, err := count(i + 1)
			if err != nil {
				return nil, err
			}
			for k := 0; k < n; k++ {
				if err := emit(group, gpos); err != nil {
					return nil, layoutErr(s, i, "%v", err)
				}
			}
			inGroup, i = false, j
		case strings.IndexByte("ELtm|", c) >= 0:
			n, j := 1, i+1
			if i+1 < len(s) && s[i+1] == '*' {
				var err error
				if n, j, err = count(i + 1); err != nil {
					return nil, err
				}
			}
			for k := 0; k < n; k++ {
				if inGroup {
					if len(group) >= MaxPipelineLayoutTokens {
						return nil, layoutErr(s, i, "more than %d symbols in a group", MaxPipelineLayoutTokens)
					}
					group, gpos = append(group, c), append(gpos, int32(i))
				} else if err := emit([]byte{c}, []int32{int32(i)}); err != nil {
					return nil, layoutErr(s, i, "%v", err)
				}
			}
			i = j
		case c == '*':
			return nil, layoutErr(s, i, "a repeat count follows one symbol or one group")
		default:
			// Name the character as written: a multi-byte UTF-8 character
			// whole, a byte that starts none (non-UTF-8 input) as its hex.
			if r, n := utf8.DecodeRuneInString(s[i:]); r == utf8.RuneError && n <= 1 {
				return nil, layoutErr(s, i, "byte 0x%02x (not UTF-8) is not a layout symbol (%s)", c, layoutSymbols)
			} else {
				return nil, layoutErr(s, i, "%q is not a layout symbol (%s)", string(r), layoutSymbols)
			}
		}
		if i < len(s) && s[i] == '*' {
			return nil, layoutErr(s, i, "a repeat count follows one symbol or one group")
		}
	}
	if inGroup {
		return nil, layoutErr(s, groupAt, "'(' is not closed")
	}
	l := &PipelineLayout{text: s, stages: make([]LayoutStage, 1, 8)}
	embeds, losses, mtpStage := 0, 0, -1
	for k, c := range toks {
		st := &l.stages[len(l.stages)-1]
		at := int(poss[k])
		switch c {
		case '|':
			l.stages = append(l.stages, LayoutStage{})
			continue
		case 'E':
			if k != 0 || embeds > 0 {
				return nil, layoutErr(s, at, "the embedding E comes once, first")
			}
			embeds++
			st.Embedding = true
		case 'L':
			if k != len(toks)-1 || losses > 0 {
				return nil, layoutErr(s, at, "the loss L comes once, last")
			}
			losses++
			st.Loss = true
		case 't':
			if l.mtp > 0 {
				return nil, layoutErr(s, at, "a transformer layer t after a multi-token prediction block m (decoder layers come first)")
			}
			st.Layers++
			l.layers++
		case 'm':
			if mtpStage >= 0 && mtpStage != len(l.stages)-1 {
				return nil, layoutErr(s, at, "the multi-token prediction blocks m are all in one stage")
			}
			mtpStage = len(l.stages) - 1
			st.MTP++
			l.mtp++
		}
	}
	if embeds == 0 {
		return nil, layoutErr(s, 0, "the layout starts with the embedding E")
	}
	if losses == 0 {
		return nil, layoutErr(s, len(s)-1, "the layout ends with the loss L")
	}
	return l, nil
}

// layoutReason checks layout lay (nil: none) and MTP depth mtp against a
// model of L layers laid over pp·vp stages; DistOK when they fit.
func layoutReason(lay *PipelineLayout, L, pp, vp, mtp int) DistReason {
	if lay == nil {
		return DistOK
	}
	switch {
	case lay.NumStages() != pp*vp:
		return DistLayoutStages
	case lay.layers != L:
		return DistLayoutLayers
	case lay.mtp != mtp:
		return DistLayoutMTP
	}
	return DistOK
}

// rankStage sums the virtual stages pipeline rank r of pp holds (stages
// r, r+pp, r+2·pp …): their layers, MTP blocks, and whether the
// embedding and the loss are among them.
func (l *PipelineLayout) rankStage(r, pp int) LayoutStage {
	var s LayoutStage
	for i := r; i < len(l.stages); i += pp {
		g := &l.stages[i]
		s.Layers += g.Layers
		s.MTP += g.MTP
		s.Embedding = s.Embedding || g.Embedding
		s.Loss = s.Loss || g.Loss
	}
	return s
}

// parseLayoutParam is pipeline_layout's parser: "none" (any case, or
// empty) is no layout.
func parseLayoutParam(s string) (any, string, error) {
	if t := strings.TrimSpace(s); t == "" || strings.EqualFold(t, "none") {
		return (*PipelineLayout)(nil), "none", nil
	}
	l, err := ParsePipelineLayout(s)
	if err != nil {
		return nil, "", err
	}
	return l, l.String(), nil
}

// layoutRankParams returns the parameters of the pipeline rank that holds
// the most weight state under a layout or multi-token prediction, split
// into the dense ones and the routed experts' (their shards weighted wd
// and we per rank: 1/tp, 1/(etp·ep)), and the most transformer layers and
// prediction blocks a rank holds (its activations). With P parameters, pe
// of them routed experts (routedExpertParams), over L layers of hidden
// size h and a vocabulary of V:
//
//	embedding, LM head  V·h each (untied), on the E and L stages
//	a layer             dense (P − pe − 2·V·h)/L, experts pe/L
//	an MTP block        dense 2·h² (its projection) + a layer's dense part,
//	                    experts pe/n_moe (the block's layer has them)
//
// Without a layout each rank holds P/pp and the last the MTP blocks
// besides (⌈L/pp⌉ + D layers of activations).
func layoutRankParams(c *Config, L, pp int, pe, P, wd, we float64) (dense, experts float64, actLayers int) {
	m := c.Model
	h := float64(m.EffectiveHidden())
	emb := float64(m.VocabSize) * h
	lf := float64(max(L, 1))
	denseL := math.Max(0, (P-pe-2*emb)/lf)
	expL := pe / lf
	mtpDense, mtpExp := 2*h*h+denseL, 0.0
	if n := m.MoELayers(); n > 0 && pe > 0 {
		mtpExp = pe / float64(n)
	}
	lay, D := c.Dist.Layout, c.Dist.MTPLayers
	if lay == nil {
		dm := float64(D)
		return (P-pe)/float64(pp) + dm*mtpDense, pe/float64(pp) + dm*mtpExp, (L+pp-1)/pp + D
	}
	best := -1.0
	for r := 0; r < pp; r++ {
		g := lay.rankStage(r, pp)
		dr := float64(g.Layers)*denseL + float64(g.MTP)*mtpDense
		if g.Embedding {
			dr += emb
		}
		if g.Loss {
			dr += emb
		}
		er := float64(g.Layers)*expL + float64(g.MTP)*mtpExp
		if w := dr*wd + er*we; w > best {
			best, dense, experts = w, dr, er
		}
		actLayers = max(actLayers, g.Layers+g.MTP)
	}
	return dense, experts, actLayers
}

// mtpStateBytes returns the training state of p parameters of the
// prediction blocks on one GPU: weights and gradients at the precision's
// bytes and Adam's AdamBytesPerParam, divided by dp as ZeRO's stage says
// (TrainingMemoryBytes's rule); max(p, 0).
func mtpStateBytes(c *Config, p float64) float64 {
	p = math.Max(p, 0)
	b := c.Precision.Bytes()
	w, g, o := p*b, p*b, AdamBytesPerParam*p
	dp := float64(max(c.DPSize, 1))
	if c.ZeroStage >= 1 {
		o /= dp
	}
	if c.ZeroStage >= 2 {
		g /= dp
	}
	if c.ZeroStage >= 3 {
		w /= dp
	}
	return w + g + o
}
