package engine

import (
	"unsafe"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/registry"
)

// Memo keeps work of one evaluation that a later evaluation can reuse:
// the calibrated prefill of one request alone (calibratedServeSteps at
// batch 1), which the time to first token under continuous batching needs
// (requestTTFT) and which does not depend on the batch size, and the
// model's transformer shape (shapeOf), which depends on the model only. A
// sweep whose fastest axis is the batch size, as most are, prices the
// prefill once per run of batch sizes instead of once per row.
//
// Reuse is exact: the prefill is reused only for a configuration whose
// bytes are those of the one it was computed for in every field but the
// batch size (stricter than ==, which takes -0 for +0), and the shape only
// for the same model, so a Result of EvaluateMemo is bit for bit
// Evaluate's (TestEvaluateMemoExact).
// The registry entries and calibration profiles the configurations point
// to must not change while the Memo is in use, as during any evaluation.
// The zero Memo is empty and ready; a Memo holds no pointer of its own
// beyond the last configuration's, and is not safe for concurrent use:
// each worker keeps its own.
type Memo struct {
	oneKey    Config // the configuration of oneTTFT, with BatchSize 0 and no memo
	oneOK     bool
	oneTTFT   float64 // calServe.ttft at batch 1
	oneChunks int     // calServe.chunks at batch 1

	shapeModel *registry.Model // the model of shape
	shapeSet   bool
	shapeOK    bool
	shape      calibration.Transformer // shapeOf(shapeModel)
}

// EvaluateMemo is Evaluate(c), reusing the work m holds from earlier
// evaluations and keeping this one's for later ones (Memo). The Result is
// bit for bit Evaluate's; it does not allocate. It sets a field of c for
// the duration of the call and restores it before returning, so unlike
// Evaluate it must not be given a c that other goroutines read meanwhile.
func EvaluateMemo(c *Config, m *Memo) (r Result) {
	c.memo = m
	evaluate(c, &r)
	c.memo = nil
	return r
}

// EvaluateMemoTo is EvaluateMemo(c, m) written into *r, whatever r held
// before, so that a caller keeping results in place (a sweep's rows)
// copies none: the same bits, not a 1 KB copy per evaluation.
func EvaluateMemoTo(c *Config, m *Memo, r *Result) {
	*r = Result{}
	c.memo = m
	evaluate(c, r)
	c.memo = nil
}

// prefillOne returns the time to first token and the prefill chunks of
// one request alone under c (calibratedServeSteps at batch 1 and c's
// prompt, the prefill alone), from c's memo when it holds them for c. st
// is c's serving setup, or nil to build one if the prefill is priced.
func prefillOne(c *Config, st *serveSetup) (ttft float64, chunks int) {
	m := c.memo
	if m == nil {
		var one calServe
		prefillSteps(c, st, &one)
		return one.ttft, one.chunks
	}
	k := *c
	k.BatchSize, k.memo = 0, nil
	if !m.oneOK || configBytes(&k) != configBytes(&m.oneKey) {
		var one calServe
		prefillSteps(c, st, &one)
		m.oneKey, m.oneOK, m.oneTTFT, m.oneChunks = k, true, one.ttft, one.chunks
	}
	return m.oneTTFT, m.oneChunks
}

// prefillSteps sets out to the prefill of one request under c (the
// calibratedServeSteps of it), with setup st, or a setup of its own when
// st is nil.
func prefillSteps(c *Config, st *serveSetup, out *calServe) {
	if st == nil {
		calibratedServeSteps(c, 1, c.SeqLen, servePrefill, out)
		return
	}
	st.steps(c, 1, c.SeqLen, servePrefill, out)
}

// modelShape writes shapeOf(c.Model) to *t and returns its ok, from c's
// memo when it holds that model's.
func (c *Config) modelShape(t *calibration.Transformer) bool {
	m := c.memo
	if m == nil {
		return shapeInto(c.Model, t)
	}
	if !m.shapeSet || m.shapeModel != c.Model {
		m.shapeOK = shapeInto(c.Model, &m.shape)
		m.shapeModel, m.shapeSet = c.Model, true
	}
	*t = m.shape
	return m.shapeOK
}

// configBytes is the memory of c: two configurations with the same bytes
// have the same values, pointers and floats bit for bit.
func configBytes(c *Config) [unsafe.Sizeof(Config{})]byte {
	return *(*[unsafe.Sizeof(Config{})]byte)(unsafe.Pointer(c))
}
