package engine

import (
	"math"
	"testing"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/registry"
)

// decode_tp sizes the disaggregated decode pool on its own: Llama-3 70B
// prefilled on 4 H100s, decoded on H200s at decode_tp 1 and 2. Two decode
// GPUs halve the weights and the KV cache each holds (8 KV heads split
// evenly) and make the decode step faster, by at most 2×, with an
// all-reduce it did not have; the prefill and the KV transfer stay as they
// are, and the replica counts both pools' GPUs, 4 + decode_tp.
// decode_tp = tp is the default bit for bit.
func TestDecodeTP(t *testing.T) {
	reg := registry.Default()
	h200 := ref(t, reg.Hardware, "H200")
	at := func(fid Fidelity, dtp int) Result {
		return calServeEval(t, "Llama3_70B", "H100", func(c *Config) {
			c.Fidelity = fid
			c.Dist.TP, c.BatchSize, c.SeqLen, c.OutputTokens = 4, 32, 2048, 128
			c.Serve.DecodeHW, c.Serve.DecodeTP = h200, dtp
		})
	}
	for _, fid := range []Fidelity{FidelityCalibrated, FidelityMLSysim} {
		one, two, four, def := at(fid, 1), at(fid, 2), at(fid, 4), at(fid, 0)
		if four != def {
			t.Errorf("%v: decode_tp = tp changed the result: ITL %v → %v, memory %v → %v", fid, def.ITLS, four.ITLS, def.MemoryBytes, four.MemoryBytes)
		}
		if !(two.ITLS < one.ITLS && one.ITLS <= 2*two.ITLS) {
			t.Errorf("%v: ITL %v at decode_tp 1, %v at 2: want faster, by at most 2×", fid, one.ITLS, two.ITLS)
		}
		if one.TTFTS != two.TTFTS || one.Serve.PrefillS != two.Serve.PrefillS {
			t.Errorf("%v: the prefill moved: TTFT %v → %v, batch prefill %v → %v", fid, one.TTFTS, two.TTFTS, one.Serve.PrefillS, two.Serve.PrefillS)
		}
		if one.Serve.GPUs != 5 || two.Serve.GPUs != 6 || one.Serve.DecodeGPUs != 1 || two.Serve.DecodeGPUs != 2 {
			t.Errorf("%v: GPUs %d and %d (decode %d and %d), want 4 + decode_tp", fid, one.Serve.GPUs, two.Serve.GPUs, one.Serve.DecodeGPUs, two.Serve.DecodeGPUs)
		}
		// fp16 weights of 70B (141 GB) and the KV cache of 32 sequences
		// do not fit one H200 (141 GiB); they fit two.
		if one.Feasible || one.Reason != ReasonMemory || !two.Feasible {
			t.Errorf("%v: feasible %v (%q) at decode_tp 1, %v (%q) at 2", fid, one.Feasible, one.Reason, two.Feasible, two.Reason)
		}
	}
	one, two := at(FidelityCalibrated, 1), at(FidelityCalibrated, 2)
	if math.Abs(two.MemoryBytes-one.MemoryBytes/2) > 1e-12*one.MemoryBytes {
		t.Errorf("memory per decode GPU %v at decode_tp 2, want half of %v", two.MemoryBytes, one.MemoryBytes)
	}
	if one.Calib.Decode.CommS != 0 || !(two.Calib.Decode.CommS > 0) || one.Calib.Prefill != two.Calib.Prefill {
		t.Errorf("decode all-reduce %v at decode_tp 1, %v at 2; prefill parts %+v vs %+v", one.Calib.Decode.CommS, two.Calib.Decode.CommS, one.Calib.Prefill, two.Calib.Prefill)
	}
	if one.Calib.Prefill.TransferS != two.Calib.Prefill.TransferS || !(one.Calib.Prefill.TransferS > 0) {
		t.Errorf("KV transfer %v at decode_tp 1, %v at 2: want the whole prompt's at both", one.Calib.Prefill.TransferS, two.Calib.Prefill.TransferS)
	}
	// Without decode_hardware, decode_tp is unused: the colocated decode
	// runs at tp (sweeps and eval refuse it there, engine.UnsetNeeds).
	colo := func(dtp int) Result {
		return calServeEval(t, "Llama3_70B", "H100", func(c *Config) { c.Dist.TP, c.OutputTokens, c.Serve.DecodeTP = 4, 128, dtp })
	}
	if colo(2) != colo(0) {
		t.Error("decode_tp without decode_hardware changed the result")
	}
}

// A serving all-reduce costs at least ServingAllReduceFloorS: Llama-3 70B
// at tp 4 on H100s, one sequence, all-reduces 16 KB 160 times a decode
// step, each the floor plus a bandwidth term well under a microsecond (the
// ring's 3 µs of NVLink latency is below the floor). At fp8 on
// tensorrt-llm the payload is 16-bit, so the bandwidth term of a large
// batch's all-reduces is twice compiled's at the same precision.
func TestServingAllReduceFloor(t *testing.T) {
	at := func(sw calibration.Software, batch int) Result {
		return calServeEval(t, "Llama3_70B", "H100", func(c *Config) {
			c.Dist.TP, c.BatchSize, c.SeqLen, c.OutputTokens = 4, batch, 128, 2
			c.Precision, c.Calib.Software = registry.FP8, sw
		})
	}
	const L = 80
	per := at(calibration.Compiled, 1).Calib.Decode.CommS / (2 * L)
	if !(per >= ServingAllReduceFloorS && per < ServingAllReduceFloorS+0.5e-6) {
		t.Errorf("one all-reduce of a batch-1 decode step %v s, want the floor %v s plus under 0.5 µs", per, ServingAllReduceFloorS)
	}
	floor := 2 * L * ServingAllReduceFloorS
	trt, cmp := at(calibration.TensorRTLLM, 256).Calib.Decode.CommS-floor, at(calibration.Compiled, 256).Calib.Decode.CommS-floor
	if !(cmp > 0) || math.Abs(trt-2*cmp) > 1e-9*trt {
		t.Errorf("batch-256 all-reduce bandwidth time %v s on tensorrt-llm, %v s on compiled: want twice", trt, cmp)
	}
}
