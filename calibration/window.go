package calibration

// Sliding-window attention: a layer whose tokens attend at most the Window
// keys before them (gpt-oss's banded layers; Llama 4's chunked layers,
// priced as a window of the chunk, an upper bound: a chunk's tokens attend
// half of it on average). Decode attends min(ctx, W) keys; a prefill of S
// tokens ending at position c has windowPairs(c, W) − windowPairs(c − S, W)
// query-key pairs. A stage's layers mix both kinds; the pass prices their
// mean (windowShare).

// windowPairs returns Σ_{p<n} min(p + 1, w): the causal query-key pairs of
// the first n positions under a window of w keys,
//
//	n(n+1)/2                  n ≤ w
//	w(w+1)/2 + (n − w)·w      n > w
func windowPairs(n, w float64) float64 {
	if n <= 0 {
		return 0
	}
	if n <= w {
		return n * (n + 1) / 2
	}
	return w*(w+1)/2 + (n-w)*w
}

// windowShare returns the share of m's layers whose window binds in pass
// ps (WindowLayers/Layers), 0 when m has no window or the pass's context
// fits in it (every layer then attends alike).
func (m *Transformer) windowShare(ps *Pass) float64 {
	if m.Window <= 0 || m.WindowLayers <= 0 || m.Layers <= 0 {
		return 0
	}
	if ctx := max(ps.Ctx, ps.Tokens); ctx <= m.Window {
		return 0
	}
	return min(float64(m.WindowLayers)/float64(m.Layers), 1)
}
