package calibration

import "math"

// CNN is the layer graph of a convolutional network on square images, as
// the operator model times it: every convolution with its real shape, the
// batch norm, activation and residual add that follow it, the pooling
// layers and the classifier.
type CNN struct {
	Name     string
	Image    int // input height and width
	Convs    []Conv
	Pools    []Pool
	Features int // channels into the global average pool and classifier
	Classes  int // classifier outputs
}

// Conv is one convolution and what follows it.
type Conv struct {
	In, Out   int // channels
	K, Stride int // square kernel, stride (padding K/2)
	Groups    int // 1: dense; In (= Out): depthwise
	H         int // input height and width
	Act       bool
	Add       bool // a residual add follows the batch norm (before Act)
	First     bool // the network's first layer: no input gradient in training
}

// Pool is a max-pooling layer of C channels on H×H inputs.
type Pool struct{ C, H, K, Stride int }

// out returns the output height of a layer with kernel k and stride s on
// h×h inputs, padding k/2.
func outH(h, k, s int) int { return (h+2*(k/2)-k)/s + 1 }

// ResNet returns the torchvision ResNet with the given blocks per stage on
// 224×224 images: basic blocks (two 3×3 convolutions; ResNet-18, -34) or
// bottlenecks (1×1, 3×3 with the stride, 1×1 to 4× the width; ResNet-50,
// -101, -152), a 1×1 projection on the first block of a stage whose shape
// changes (He et al., CVPR 2016, Table 1; the stride on the 3×3 as in
// torchvision's v1.5).
func ResNet(name string, blocks [4]int, bottleneck bool) CNN {
	n := CNN{Name: name, Image: 224, Classes: 1000}
	n.Convs = append(n.Convs, Conv{In: 3, Out: 64, K: 7, Stride: 2, Groups: 1, H: 224, Act: true, First: true})
	h := outH(224, 7, 2)
	n.Pools = append(n.Pools, Pool{C: 64, H: h, K: 3, Stride: 2})
	h = outH(h, 3, 2)
	in := 64
	for stage, width := range []int{64, 128, 256, 512} {
		for i := range blocks[stage] {
			s := 1
			if i == 0 && stage > 0 {
				s = 2
			}
			out := width
			if bottleneck {
				out = 4 * width
				n.Convs = append(n.Convs,
					Conv{In: in, Out: width, K: 1, Stride: 1, Groups: 1, H: h, Act: true},
					Conv{In: width, Out: width, K: 3, Stride: s, Groups: 1, H: h, Act: true},
					Conv{In: width, Out: out, K: 1, Stride: 1, Groups: 1, H: outH(h, 3, s), Add: true, Act: true})
			} else {
				n.Convs = append(n.Convs,
					Conv{In: in, Out: width, K: 3, Stride: s, Groups: 1, H: h, Act: true},
					Conv{In: width, Out: width, K: 3, Stride: 1, Groups: 1, H: outH(h, 3, s), Add: true, Act: true})
			}
			if i == 0 && (s != 1 || in != out) {
				n.Convs = append(n.Convs, Conv{In: in, Out: out, K: 1, Stride: s, Groups: 1, H: h})
			}
			h = outH(h, 3, s)
			in = out
		}
	}
	n.Features = in
	return n
}

// MobileNetV2 returns MobileNetV2 (width 1.0, 224×224): a 3×3 stem, the
// inverted residual blocks of Sandler et al. (CVPR 2018, Table 2; 1×1
// expansion by t, 3×3 depthwise with the stride, 1×1 linear projection, a
// residual add where the shape is kept), a 1×1 convolution to 1280
// channels, ReLU6 activations.
func MobileNetV2() CNN {
	n := CNN{Name: "mobilenet_v2", Image: 224, Classes: 1000, Features: 1280}
	n.Convs = append(n.Convs, Conv{In: 3, Out: 32, K: 3, Stride: 2, Groups: 1, H: 224, Act: true, First: true})
	h, in := outH(224, 3, 2), 32
	for _, b := range [][4]int{{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}} {
		t, c, reps, s := b[0], b[1], b[2], b[3]
		for i := range reps {
			stride := 1
			if i == 0 {
				stride = s
			}
			hid := in * t
			if t != 1 {
				n.Convs = append(n.Convs, Conv{In: in, Out: hid, K: 1, Stride: 1, Groups: 1, H: h, Act: true})
			}
			n.Convs = append(n.Convs,
				Conv{In: hid, Out: hid, K: 3, Stride: stride, Groups: hid, H: h, Act: true},
				Conv{In: hid, Out: c, K: 1, Stride: 1, Groups: 1, H: outH(h, 3, stride), Add: stride == 1 && in == c})
			h, in = outH(h, 3, stride), c
		}
	}
	n.Convs = append(n.Convs, Conv{In: 320, Out: 1280, K: 1, Stride: 1, Groups: 1, H: h, Act: true})
	return n
}

// cnns are the networks the operator model knows, built once, by registry
// model key.
var cnns = map[string]*CNN{}

// cnnNames maps the names measurement files use to registry model keys.
var cnnNames = map[string]string{"resnet18": "ResNet18", "resnet50": "ResNet50", "mobilenet_v2": "MobileNetV2"}

func init() {
	for key, n := range map[string]CNN{
		"ResNet18":    ResNet("resnet18", [4]int{2, 2, 2, 2}, false),
		"ResNet34":    ResNet("resnet34", [4]int{3, 4, 6, 3}, false),
		"ResNet50":    ResNet("resnet50", [4]int{3, 4, 6, 3}, true),
		"ResNet101":   ResNet("resnet101", [4]int{3, 4, 23, 3}, true),
		"ResNet152":   ResNet("resnet152", [4]int{3, 8, 36, 3}, true),
		"MobileNetV2": MobileNetV2(),
	} {
		cnns[key] = &n
	}
}

// CNNModelKey returns the registry model key of a network named as
// measurement files name it ("resnet50"), or the key itself when given one
// ("ResNet50"); ok is false for a network the operator model does not know.
func CNNModelKey(name string) (key string, ok bool) {
	if k, found := cnnNames[name]; found {
		return k, true
	}
	_, ok = cnns[name]
	return name, ok
}

// CNNFor returns the layer graph of the network named key (a registry
// model key such as "ResNet50", or a measurement file's "resnet50"), shared:
// the caller must not modify it.
func CNNFor(key string) (*CNN, bool) {
	k, ok := CNNModelKey(key)
	if !ok {
		return nil, false
	}
	return cnns[k], true
}

// Parameters returns the network's weights (convolutions without batch
// norm, plus the classifier).
func (n *CNN) Parameters() float64 {
	var s float64
	for i := range n.Convs {
		c := &n.Convs[i]
		s += float64(c.Out * c.In / c.Groups * c.K * c.K)
	}
	return s + float64(n.Features*n.Classes)
}

// llamaLayerOps is the number of PyTorch operators gpu_groundtruth.py's
// Llama layer dispatches from Python in a prefill (norms, products, views,
// rotary embedding, attention, residuals: counted in its Model.prefill),
// which turns HostLayerS into a time per operator when a profile gives no
// CNNHostOpS.
const llamaLayerOps = 39

// cnnHostOp returns the eager host time of one CNN operator.
func (p *Profile) cnnHostOp() float64 {
	if p.CNNHostOpS > 0 {
		return p.CNNHostOpS
	}
	return p.HostLayerS / llamaLayerOps
}

// CNNForward returns the time of one forward pass of n over batch images
// (inference: batch norm with running statistics) under stack sw. Each
// dense convolution is an implicit GEMM (M = batch·Ho·Wo, N = out
// channels, K = in channels·k², its traffic the input, weights and output
// once) timed as a matrix product; a depthwise convolution is a
// memory-bound kernel at the element-wise bandwidth. In the pytorch stack
// batch norm (read and write), activation (read and write) and residual add
// (two reads, one write) are kernels of their own and every operator is
// dispatched from the host (CNNHostOpS); the compiled stack folds batch
// norm into the weights and fuses the rest into the convolution.
func (p *Profile) CNNForward(d *Device, n *CNN, batch int, sw Software) Breakdown {
	return p.cnnTime(d, n, batch, false, sw)
}

// CNNTrainStep returns the time of a training forward and backward pass of
// n over batch images (training-mode batch norm: a statistics pass more),
// without the optimizer update: the forward as CNNForward; per dense
// convolution a data-gradient (except the first layer) and a
// weight-gradient product of the forward's shape at BwdMatmulFrac of the
// rate; depthwise convolutions, pooling and the element-wise kernels at
// the traffic of their backward (batch norm and activation: read two
// tensors, write one). The host dispatches the forward; autograd runs the
// backward from C++ and is not counted.
func (p *Profile) CNNTrainStep(d *Device, n *CNN, batch int, sw Software) Breakdown {
	return p.cnnTime(d, n, batch, true, sw)
}

func (p *Profile) cnnTime(d *Device, n *CNN, batch int, train bool, sw Software) Breakdown {
	var b Breakdown
	ops := p.cnnPass(&b, d, n, float64(batch), train, sw)
	if stack(sw).EagerDispatch {
		b.Host = ops * p.cnnHostOp()
	}
	b.finish()
	return b
}

// cnnPass adds the pass to b and returns the operators it dispatches.
func (p *Profile) cnnPass(b *Breakdown, d *Device, n *CNN, B float64, train bool, sw Software) float64 {
	ops := p.convPass(b, d, n.Convs, B, train, sw)
	ops += p.cnnTail(b, d, n, B, train)
	b.ModelFLOPs = b.FLOPs
	return ops
}

// convPass adds the convolutions convs, each with the batch norm (or group
// norm), activation and residual add that go with it, over B images to b
// and returns the operators it dispatches.
func (p *Profile) convPass(b *Breakdown, d *Device, convs []Conv, B float64, train bool, sw Software) float64 {
	var ops float64
	eager := stack(sw).EagerDispatch
	bwdRate := p.BwdMatmulFrac
	if bwdRate <= 0 {
		bwdRate = 1
	}
	for i := range convs {
		c := &convs[i]
		ho := float64(outH(c.H, c.K, c.Stride))
		k2 := float64(c.K * c.K)
		in := B * float64(c.H*c.H*c.In)
		out := B * ho * ho * float64(c.Out)
		w := float64(c.Out*c.In/c.Groups) * k2
		if c.Groups > 1 {
			by := (in+out)*d.Bytes + w*d.weightBytes()
			kernels := 1.0
			if train {
				by *= 3 // input and weight gradients read the output gradient and input, write theirs
				kernels = 3
			}
			p.elementwise(b, d, by)
			b.Fixed += kernels * p.KernelS
			fl := 2 * out * k2
			b.FLOPs += fl * (1 + 2*boolF(train))
		} else {
			M, N, K := B*ho*ho, float64(c.Out), float64(c.In)*k2
			mr := math.Ceil(M/p.TileM) * p.TileM
			tc := 2 * mr * N * K / p.matmulRate(d)
			by := (in+out)*d.Bytes + w*d.weightBytes()
			t := p.blend(tc, by/p.streamBps(d))
			b.Matmul += t
			b.Fixed += p.KernelS
			b.FLOPs += 2 * M * N * K
			b.Bytes += by
			if train {
				g := 2.0
				if c.First {
					g = 1
				}
				b.Matmul += g * p.blend(tc/bwdRate, by/p.streamBps(d))
				b.Fixed += g * p.KernelS
				b.FLOPs += g * 2 * M * N * K
				b.Bytes += g * by
			}
		}
		ops++
		if !eager {
			if c.Add {
				p.elementwise(b, d, out*d.Bytes) // the shortcut read by the fused epilogue
			}
			if train {
				p.elementwise(b, d, 3*out*d.Bytes) // batch norm statistics and the fused backward
				b.Fixed += p.KernelS
			}
			continue
		}
		bn, kernels := 2.0, 1.0
		if train {
			bn, kernels = 3+3, 2 // statistics and normalisation; backward
		}
		traffic := bn * out
		ops++
		if c.Add {
			traffic += 3 * out
			kernels++
			ops++
			if train {
				traffic += 3 * out // the gradient added into the shortcut's
				kernels++
			}
		}
		if c.Act {
			traffic += 2 * out
			kernels++
			ops++
			if train {
				traffic += 3 * out
				kernels++
			}
		}
		p.elementwise(b, d, traffic*d.Bytes)
		b.Fixed += kernels * p.KernelS
	}
	return ops
}

// cnnTail adds n's pooling layers, global average pool and classifier to
// b and returns the operators they dispatch.
func (p *Profile) cnnTail(b *Breakdown, d *Device, n *CNN, B float64, train bool) float64 {
	var ops float64
	for _, pl := range n.Pools {
		ho := float64(outH(pl.H, pl.K, pl.Stride))
		by := B * float64(pl.C) * (float64(pl.H*pl.H) + ho*ho) * d.Bytes
		if train {
			by *= 2
		}
		p.elementwise(b, d, by)
		b.Fixed += p.KernelS * (1 + boolF(train))
		ops++
	}
	// Global average pool (the last feature map is 7×7) and the classifier.
	last := n.Convs[len(n.Convs)-1]
	hl := float64(outH(last.H, last.K, last.Stride))
	p.elementwise(b, d, B*float64(n.Features)*hl*hl*d.Bytes*(1+boolF(train)))
	b.Fixed += p.KernelS * (1 + boolF(train))
	fc := 1.0 + 2*boolF(train)
	p.gemm(b, d, fc, B, float64(n.Classes), float64(n.Features), 1)
	ops += 3 // pool, flatten, product
	return ops
}

func boolF(v bool) float64 {
	if v {
		return 1
	}
	return 0
}
