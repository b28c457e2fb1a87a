package engine

import (
	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/registry"
)

// Weight and activation precisions. `precision` is the shorthand that sets
// both; `weight_precision` and `activation_precision` set them apart
// (inference and serving), the way quantized models are served:
//
//	W4A16  weight_precision=int4 (or fp4): weights stored and read at 4 bits,
//	       dequantised in the GEMM, arithmetic at the 16-bit rate (AWQ,
//	       GPTQ with Marlin kernels; Frantar et al. 2024, "MARLIN")
//	W8A8   precision=fp8 or int8: weights, activations and arithmetic at 8 bits
//	W4A8   weight_precision=int4 activation_precision=fp8 (QServe, Lin et al.
//	       2024): 4-bit weights, 8-bit arithmetic
//	W4A4   precision=fp4: NVFP4 / MXFP4 weights and activations at the FP4
//	       tensor rate (Blackwell, CDNA 4)
//
// The weight precision sets the bytes of the weights (memory, and the weight
// operand of every product the operator model reads); the activation
// precision the tensor rate, the activations' bytes and, with kv_precision
// auto, the KV cache's.
//
// Under fidelity calibrated `precision=int4` is W4A16 on every chip: int4
// checkpoints are served with 16-bit arithmetic (no engine runs int4
// activations), so its activations, KV cache and rate are fp16's, never a
// silent fallback from a missing int4 rate. int4 arithmetic needs
// activation_precision=int4 and a chip that lists an int4 tensor rate. The
// dequantisation is fused into the GEMM's operand load and not priced
// apart (the operator model has no term for it; Marlin reaches near the
// 4-bit memory bound at small batch). Under fidelity mlsysim the shorthand
// keeps mlsysim's meaning (int4 everything, the fp16 rate where int4 is not
// listed), so its goldens are unchanged; the separate weight and
// activation precisions are an extension of its roofline: weight bytes at
// the weight width, FLOPs at the activation precision's peak.
//
// fp4 (and int4 arithmetic under calibrated) on a chip that lists no such
// tensor rate is infeasible (ReasonPrecision; fp8, int8 and int4 have
// their own reasons, Reason.PrecisionGap), under both fidelities.
// Training uses `precision` alone.

// PrecConfig holds the weight and activation precisions when they differ
// from the shorthand `precision`.
type PrecConfig struct {
	Weight, Activation       registry.Precision
	WeightSet, ActivationSet bool // false = from precision
}

var autoPrecisionEnum = append([]string{"auto"}, precisionEnum()...)

var precisionParams = []*Param{
	{Name: "weight_precision", Modes: InInference | InServing, Label: "Weight precision", Type: TypeEnum, Enum: autoPrecisionEnum, Default: "auto",
		Doc: "inference and serving: format the weights are stored and read in (auto = precision's); int4 or fp4 with 16-bit activations is W4A16",
		apply: func(c *Config, v Value) {
			c.Prec.WeightSet = v.F > 0
			if v.F > 0 {
				c.Prec.Weight = registry.Precision(v.F - 1)
			}
		}},
	{Name: "activation_precision", Modes: InInference | InServing, Label: "Activation precision", Type: TypeEnum, Enum: autoPrecisionEnum, Default: "auto",
		Doc: "inference and serving: format of activations and arithmetic, the tensor rate's (auto = precision's; calibrated: fp16 for precision=int4, W4A16)",
		apply: func(c *Config, v Value) {
			c.Prec.ActivationSet = v.F > 0
			if v.F > 0 {
				c.Prec.Activation = registry.Precision(v.F - 1)
			}
		}},
}

// weightPrecision returns the format of c's weights: weight_precision when
// set (outside training), else precision.
func weightPrecision(c *Config) registry.Precision {
	if c.Prec.WeightSet && c.Mode != Training {
		return c.Prec.Weight
	}
	return c.Precision
}

// activationPrecision returns the format of c's activations and
// arithmetic: activation_precision when set (outside training); else, under
// calibrated outside training, fp16 for precision=int4 (W4A16); else
// precision.
func activationPrecision(c *Config) registry.Precision {
	if c.Mode == Training {
		return c.Precision
	}
	if c.Prec.ActivationSet {
		return c.Prec.Activation
	}
	if c.Precision == registry.INT4 && c.Fidelity == FidelityCalibrated {
		return registry.FP16
	}
	return c.Precision
}

// precisionGap returns why c's arithmetic cannot run on its hardware (or its
// decode hardware): fp4 without a listed FP4 rate, or, under calibrated,
// int4, int8 or fp8 activations without a listed rate of that format (an
// A100 has no fp8 tensor cores: fp8 checkpoints run there as W8A16, which
// is weight_precision=fp8); ReasonNone otherwise. Fidelity mlsysim keeps
// mlsysim's fallback to the fp16 rate for int8, fp8 and int4.
func precisionGap(c *Config) Reason {
	a := activationPrecision(c)
	switch {
	case a == registry.FP4:
	case c.Fidelity == FidelityCalibrated && (a == registry.INT4 || a == registry.INT8 || a == registry.FP8):
	default:
		return ReasonNone
	}
	if c.Hardware.PrecisionFLOPS[a] > 0 && (c.Mode != Serving || c.Serve.DecodeHW == nil || c.Serve.DecodeHW.PrecisionFLOPS[a] > 0) {
		return ReasonNone
	}
	switch a {
	case registry.FP8:
		return ReasonPrecisionFP8
	case registry.INT8:
		return ReasonPrecisionINT8
	case registry.INT4:
		return ReasonPrecisionINT4
	}
	return ReasonPrecision
}

// deviceFor returns the calibrated operator model's device numbers of hw
// for c: the activation precision's rate and bytes, the weights' bytes.
func deviceFor(c *Config, hw *registry.Hardware) calibration.Device {
	d := calibration.DeviceFor(hw, activationPrecision(c))
	if w := weightPrecision(c); w.Bytes() != d.Bytes {
		d.WeightBytes = w.Bytes()
	}
	return d
}
