package calibration

// UNet is the layer graph of a latent-diffusion U-Net, as the operator
// model times one denoising step: every convolution of its residual
// blocks with its real shape (convPass, as a CNN's), every transformer
// block (self-attention over the feature map's pixels, cross-attention to
// the text encoder's tokens, a GEGLU feed-forward), the time-embedding
// projections, the skip-connection concatenations and the upsampling.
type UNet struct {
	Name     string
	Latent   int    // latent height and width
	Convs    []Conv // resnet, down- and upsampling, input and output convolutions
	Blocks   []AttnBlock
	Heads    int // attention heads of every transformer block
	Text     int // text tokens the cross-attention attends
	TextDim  int // their width
	TimeDim  int // time-embedding width
	TimeProj []int
	// Copies are the elements per image that concatenations and
	// upsampling read and write, Copied the operators they take.
	Copies, Copied float64
}

// AttnBlock is one transformer block of a U-Net on a C-channel H×H map.
type AttnBlock struct{ C, H int }

// StableDiffusion15 returns the U-Net of Stable Diffusion v1.5 (Rombach et
// al., CVPR 2022; diffusers UNet2DConditionModel, the
// runwayml/stable-diffusion-v1-5 unet/config.json: 4 latent channels on a
// 64×64 latent of a 512×512 image, block_out_channels 320, 640, 1280,
// 1280, two resnet blocks a level down and three up, a transformer block
// after each resnet of the three outer levels and in the middle, 8 heads,
// cross_attention_dim 768 over 77 CLIP tokens, time embedding 1280).
func StableDiffusion15() UNet {
	n := UNet{Name: "stable_diffusion_v1_5", Latent: 64, Heads: 8, Text: 77, TextDim: 768, TimeDim: 1280}
	ch := []int{320, 640, 1280, 1280}
	h := n.Latent
	resnet := func(in, out, h int) {
		n.Convs = append(n.Convs,
			Conv{In: in, Out: out, K: 3, Stride: 1, Groups: 1, H: h, Act: true},
			Conv{In: out, Out: out, K: 3, Stride: 1, Groups: 1, H: h, Act: true, Add: true})
		if in != out {
			n.Convs = append(n.Convs, Conv{In: in, Out: out, K: 1, Stride: 1, Groups: 1, H: h})
		}
		n.TimeProj = append(n.TimeProj, out)
	}
	n.Convs = append(n.Convs, Conv{In: 4, Out: 320, K: 3, Stride: 1, Groups: 1, H: h, First: true})
	type skip struct{ c, h int }
	skips := []skip{{320, h}}
	in := 320
	for lvl, c := range ch {
		for range 2 {
			resnet(in, c, h)
			in = c
			if lvl < 3 {
				n.Blocks = append(n.Blocks, AttnBlock{C: c, H: h})
			}
			skips = append(skips, skip{c, h})
		}
		if lvl < 3 {
			n.Convs = append(n.Convs, Conv{In: c, Out: c, K: 3, Stride: 2, Groups: 1, H: h})
			h /= 2
			skips = append(skips, skip{c, h})
		}
	}
	resnet(1280, 1280, h)
	n.Blocks = append(n.Blocks, AttnBlock{C: 1280, H: h})
	resnet(1280, 1280, h)
	for lvl := 3; lvl >= 0; lvl-- {
		c := ch[lvl]
		for range 3 {
			s := skips[len(skips)-1]
			skips = skips[:len(skips)-1]
			n.Copies += 2 * float64((in+s.c)*h*h) // torch.cat reads both, writes the sum
			n.Copied++
			resnet(in+s.c, c, h)
			in = c
			if lvl < 3 {
				n.Blocks = append(n.Blocks, AttnBlock{C: c, H: h})
			}
		}
		if lvl > 0 {
			n.Copies += float64(c*h*h) + float64(c*4*h*h) // nearest ×2: read, write 4×
			n.Copied++
			h *= 2
			n.Convs = append(n.Convs, Conv{In: c, Out: c, K: 3, Stride: 1, Groups: 1, H: h})
		}
	}
	n.Convs = append(n.Convs, Conv{In: 320, Out: 4, K: 3, Stride: 1, Groups: 1, H: h, Act: true})
	return n
}

// unets are the U-Nets the operator model knows, by registry model key.
var unets = map[string]*UNet{}

func init() {
	sd := StableDiffusion15()
	unets["StableDiffusion_v1_5"] = &sd
}

// UNetFor returns the U-Net of the registry model key, if the operator
// model knows it.
func UNetFor(key string) (*UNet, bool) {
	n, ok := unets[key]
	return n, ok
}

// Parameters returns the U-Net's weights: convolutions, transformer
// blocks (projections, attention, feed-forward) and time projections,
// without norms and biases.
func (n *UNet) Parameters() float64 {
	var s float64
	for i := range n.Convs {
		c := &n.Convs[i]
		s += float64(c.Out * c.In / c.Groups * c.K * c.K)
	}
	for _, b := range n.Blocks {
		c := float64(b.C)
		s += 2*c*c + 4*c*c + 2*c*c + 2*c*float64(n.TextDim) + 8*c*c + 4*c*c
	}
	for _, c := range n.TimeProj {
		s += float64(c * n.TimeDim)
	}
	return s + 320*float64(n.TimeDim) + float64(n.TimeDim*n.TimeDim)
}

// UNetStep returns the time of one denoising step of n over batch latents
// (with classifier-free guidance the caller passes twice the images):
//
//   - the convolutions as a CNN's (convPass), group norm and SiLU in the
//     place of batch norm and activation;
//   - per transformer block on T = batch·H² tokens of C channels: group
//     norm, the input and output projections (C×C), three layer norms;
//     self-attention (Q, K, V and output products of C×C, attention of
//     every token over all T/batch of its image, Heads heads of C/Heads);
//     cross-attention (Q and output C×C, K and V from the Text tokens of
//     TextDim, attention over them); the GEGLU feed-forward (C→8C, the
//     gate, 4C→C); three residual adds and the two layout copies;
//   - the time embedding (two products) and one projection per resnet,
//     the skip concatenations and upsampling copies.
//
// Attention is the fused kernel of the transformer model (attention, with
// Pass.Full) at the profile's rate; the eager stack dispatches every
// operator from the host (cnnHostOp each), as for a CNN. The text encoder
// and the VAE decoder are not part of it.
func (p *Profile) UNetStep(d *Device, n *UNet, batch int, sw Software) Breakdown {
	var b Breakdown
	B := float64(batch)
	ops := p.convPass(&b, d, n.Convs, B, false, sw)
	eager := sw == PyTorch
	for _, blk := range n.Blocks {
		c := float64(blk.C)
		T := B * float64(blk.H*blk.H)
		hd := blk.C / n.Heads
		tf := Transformer{Hidden: blk.C, Heads: n.Heads, KVHeads: n.Heads, HeadDim: hd}
		for range 6 { // proj_in, q, k, v, out (self); proj_out
			p.gemm(&b, d, 1, T, c, c, 1)
		}
		p.gemm(&b, d, 1, T, c, c, 1)                                  // cross q
		p.gemm(&b, d, 2, B*float64(n.Text), c, float64(n.TextDim), 1) // cross k, v
		p.gemm(&b, d, 1, T, c, c, 1)                                  // cross out
		p.gemm(&b, d, 1, T, 8*c, c, 1)                                // GEGLU in
		p.gemm(&b, d, 1, T, c, 4*c, 1)                                // feed-forward out
		self := Pass{Batch: batch, Tokens: blk.H * blk.H, Ctx: blk.H * blk.H, Software: sw, Prefill: true, Full: true}
		fl, by := p.attention(&b, d, &tf, &self, 1)
		b.FLOPs, b.Bytes = b.FLOPs+fl, b.Bytes+by
		cross := self
		cross.Ctx = n.Text
		fl, by = p.attention(&b, d, &tf, &cross, 1)
		b.FLOPs, b.Bytes = b.FLOPs+fl, b.Bytes+by
		// Group norm, three layer norms (read, write), three residual adds
		// (two reads, a write), the GEGLU gate (read 8C, write 4C), two
		// layout copies; fused into neighbours by a compiled stack but the
		// norms and the gate.
		elt, kernels := T*c*(2+3*2+3*3+12+2*2), 12.0
		if !eager {
			elt, kernels = T*c*(2+3*2+12), 5
		}
		p.elementwise(&b, d, elt*d.Bytes)
		b.Fixed += kernels * p.KernelS
		ops += 26
	}
	p.gemm(&b, d, 1, B, float64(n.TimeDim), 320, 1)
	p.gemm(&b, d, 1, B, float64(n.TimeDim), float64(n.TimeDim), 1)
	for _, c := range n.TimeProj {
		p.gemm(&b, d, 1, B, float64(c), float64(n.TimeDim), 1)
	}
	ops += 4 + float64(len(n.TimeProj))
	p.elementwise(&b, d, B*n.Copies*d.Bytes)
	b.Fixed += n.Copied * p.KernelS
	ops += n.Copied
	if eager {
		b.Host = ops * p.cnnHostOp()
	}
	b.finish()
	return b
}
