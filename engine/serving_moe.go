package engine

import "github.com/mlsysim/mlsysim-go/registry"

// Mixture-of-experts and attention-layout pieces of calibrated serving.

// calibKVCacheBytes returns the KV cache of batch sequences of seqLen
// tokens at bytesPerElement with the model's own attention layout, the one
// the calibrated fidelity prices:
//
//	MLA:        L · (r_kv + d_rope) · S · B · b
//	otherwise:  2 · L · H_kv · d_head · S · B · b
//
// with H_kv the configuration's KV heads (registry.Model.TrueKVHeads:
// Mixtral's 8 where mlsysim's fields leave it unset). KVCacheBytes keeps
// mlsysim's fields for fidelity mlsysim.
func calibKVCacheBytes(m *registry.Model, seqLen, batch int, bytesPerElement float64) float64 {
	S, B, L := float64(seqLen), float64(batch), float64(m.Layers)
	if m.IsMLA() {
		return L * float64(m.KVLoRARank+m.QKRopeHeadDim) * S * B * bytesPerElement
	}
	return 2 * L * float64(m.TrueKVHeads()) * float64(m.EffectiveHeadDim()) * S * B * bytesPerElement
}
