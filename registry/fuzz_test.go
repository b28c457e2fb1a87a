package registry

import (
	"testing"
)

// FuzzAddBytes feeds arbitrary data files to the registry loader: it must
// return an error or add entries, never panic.
func FuzzAddBytes(f *testing.F) {
	f.Add([]byte("hardware:\n  - key: X1\n    tier: Edge\n    name: x\n    peak_flops: 1 TFLOP/s\n    memory: {capacity: 1 GB, bandwidth: 10 GB/s}\n    source: test\n"))
	f.Add([]byte("models:\n  - key: M1\n    family: Language\n    type: transformer\n    parameters: 1e9\n    layers: 2\n    source: t\n"))
	f.Add([]byte("clusters:\n  - {key: C1, node: DGX_H100, count: 2, fabric: InfiniBand_NDR, source: t}\n"))
	f.Add([]byte("hardware: [{key: H100}]"))
	f.Add([]byte("hardware:\n  - {key: X2, tier: Edge, peak_flops: 1e300, memory: {capacity: -1, bandwidth: 0 B/s}, sm_count: -1, source: t}\n---\nx: 1\n"))
	f.Add([]byte("models:\n  - {key: H1, family: Language, type: moe, parameters: 1e9, active_parameters: 1e8, experts: 4, layers: 3, heads: 2, hybrid_override_pattern: \"M*E\", mamba_num_heads: 2, mamba_head_dim: 4, state_size: 8, n_groups: 1, source: t}\n"))
	f.Add([]byte("grids:\n  - {key: G1, pue: 0.5, wue_l_kwh: 0, renewable_pct: 300, lat: 95, source: t}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := New()
		if err != nil {
			t.Fatal(err)
		}
		_ = r.AddBytes("fuzz.yaml", data)
	})
}
