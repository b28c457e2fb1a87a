package registry

import (
	"fmt"
	"strings"
)

// Precision is a numeric format that weights and arithmetic use. Its zero
// value is FP32. It indexes per-precision tables such as
// Hardware.PrecisionFLOPS.
type Precision uint8

// The precisions mlsysim accepts (PRECISION_MAP in mlsysim core/constants.py),
// then FP4, an extension: the 4-bit floating-point formats of current
// hardware (NVIDIA NVFP4, OCP MXFP4), priced only where the hardware lists
// an FP4 tensor rate.
const (
	FP32 Precision = iota
	TF32
	BF16
	FP16
	FP8
	INT8
	INT4
	FP4
	NumPrecisions
)

var precTable = [NumPrecisions]struct {
	name  string
	bytes float64 // storage width per element
}{
	FP32: {"fp32", 4},
	TF32: {"tf32", 4},
	BF16: {"bf16", 2},
	FP16: {"fp16", 2},
	FP8:  {"fp8", 1},
	INT8: {"int8", 1},
	INT4: {"int4", 0.5},
	FP4:  {"fp4", 0.5},
}

// Bytes returns the storage width of one element, in bytes: fp32 and tf32 4,
// bf16 and fp16 2, fp8 and int8 1, int4 0.5 (mlsysim PRECISION_MAP), fp4
// 0.5. The block scales of the 4-bit formats are not counted, as mlsysim
// counts none for int4's group scales: NVFP4 adds one FP8 scale per 16
// elements (+12.5 %), MXFP4 one E8M0 scale per 32 (+6.25 %) (NVIDIA,
// "Introducing NVFP4", 2025; OCP Microscaling Formats v1.0, 2023).
func (p Precision) Bytes() float64 { return precTable[p].bytes }

// String returns the canonical lower-case name ("bf16").
func (p Precision) String() string {
	if p < NumPrecisions {
		return precTable[p].name
	}
	return fmt.Sprintf("Precision(%d)", p)
}

// Precisions returns every precision, in order.
func Precisions() []Precision {
	ps := make([]Precision, NumPrecisions)
	for i := range ps {
		ps[i] = Precision(i)
	}
	return ps
}

// PrecisionNames returns the canonical names, sorted as mlsysim lists them
// in its error message.
func PrecisionNames() []string {
	return []string{"bf16", "fp16", "fp32", "fp4", "fp8", "int4", "int8", "tf32"}
}

// ParsePrecision maps a precision name, case-insensitively, to a Precision.
// An unknown name is an error listing the supported names, as mlsysim's
// resolve_precision does.
func ParsePrecision(s string) (Precision, error) {
	l := strings.ToLower(strings.TrimSpace(s))
	for i, e := range precTable {
		if e.name == l {
			return Precision(i), nil
		}
	}
	return 0, fmt.Errorf("precision %q is not supported. Supported precision values: %s", s, strings.Join(PrecisionNames(), ", "))
}
