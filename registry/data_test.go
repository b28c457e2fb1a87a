package registry

import (
	"errors"
	"math"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Tests of the embedded model, system, infrastructure and scenario data
// (data/models/*.yaml, data/systems.yaml, data/infrastructure.yaml,
// data/scenarios.yaml). Pinned values name their source; mlsysim's are from
// harvard-edge/cs249r_book mlsysim/ at the commits the data files cite.

var (
	dtOnce sync.Once
	dtReg  *Registry
	dtErr  error
)

// dtRegistry loads the embedded registry once for these tests.
func dtRegistry(t *testing.T) *Registry {
	t.Helper()
	dtOnce.Do(func() { dtReg, dtErr = New() })
	if dtErr != nil {
		t.Fatalf("embedded registry does not load: %v", dtErr)
	}
	return dtReg
}

// dtClose reports whether got is within a relative 1e-12 of want.
func dtClose(got, want float64) bool {
	if want == 0 {
		return got == 0
	}
	return math.Abs(got-want) <= 1e-12*math.Abs(want)
}

func dtModel(t *testing.T, r *Registry, name string) *Model {
	t.Helper()
	m, err := r.Model(name)
	if err != nil {
		t.Fatalf("Model(%q): %v", name, err)
	}
	return m
}

// TestDataMlsysimModelsPresent checks that every mlsysim model is entered
// under mlsysim's key, family and workload class (__type__).
func TestDataMlsysimModelsPresent(t *testing.T) {
	r := dtRegistry(t)
	want := []struct {
		key, family string
		class       ModelClass
	}{
		// language.yaml @087dd538
		{"BERT_Base", "Language", ClassTransformer},
		{"BERT_Large", "Language", ClassTransformer},
		{"DeepSeek_V3", "Language", ClassMoE},
		{"Mixtral_8x7B", "Language", ClassMoE},
		{"GPT2", "Language", ClassTransformer},
		{"GPT2_Small", "Language", ClassTransformer},
		{"GPT3", "Language", ClassTransformer},
		{"GPT4", "Language", ClassMoE},
		{"Llama2_70B", "Language", ClassTransformer},
		{"Llama2_7B", "Language", ClassTransformer},
		{"Llama3_405B", "Language", ClassTransformer},
		{"Llama3_70B", "Language", ClassTransformer},
		{"Llama3_8B", "Language", ClassTransformer},
		// vision.yaml @35a61438
		{"AlexNet", "Vision", ClassCNN},
		{"LeNet1", "Vision", ClassWorkload},
		{"MobileNetV2", "Vision", ClassCNN},
		{"EfficientNetB0", "Vision", ClassCNN},
		{"MobileNetV2_Alpha0_5", "Vision", ClassWorkload},
		{"MobileNetV2_Alpha0_5FeatureExtractor", "Vision", ClassWorkload},
		{"ResNet18", "Vision", ClassCNN},
		{"ResNet50", "Vision", ClassCNN},
		{"YOLOv8_Nano", "Vision", ClassCNN},
		// tiny.yaml @370f0efd
		{"AnomalyDetector", "Tiny", ClassWorkload},
		{"DS_CNN", "Tiny", ClassCNN},
		{"WakeVision", "Tiny", ClassCNN},
		// recommendation.yaml @d53c0b1c
		{"DLRM", "Recommendation", ClassWorkload},
		// statespace.yaml @1c1141d9
		{"Mamba_130M", "StateSpace", ClassSSM},
		{"Mamba_2_8B", "StateSpace", ClassSSM},
		// generativevision.yaml @e0fde03f
		{"StableDiffusion_v1_5", "GenerativeVision", ClassDiffusion},
		// embodied.yaml @1107af62
		{"OpenVLA_7B", "Embodied", ClassEmbodied},
		{"Octo_Base", "Embodied", ClassEmbodied},
		{"DiffusionPolicy_PushT", "Embodied", ClassEmbodied},
		{"ACT_ALOHA", "Embodied", ClassEmbodied},
	}
	for _, w := range want {
		m := dtModel(t, r, w.key)
		if m.Key != w.key || m.Family != w.family || m.Class != w.class {
			t.Errorf("%s: got key %s family %s class %s, want %s %s %s", w.key, m.Key, m.Family, m.Class, w.key, w.family, w.class)
		}
	}
}

// TestDataModelValues pins model values the golden tests depend on.
func TestDataModelValues(t *testing.T) {
	r := dtRegistry(t)
	cases := []struct {
		key                                 string
		params, active, flops               float64
		layers, hidden, heads, kvHeads, ffn int
		vocab, experts, topK                int
		source                              string // the source this row is checked against
	}{
		{"Llama3_8B", 8.03e9, 0, 16.06e9, 32, 4096, 32, 8, 14336, 128256, 0, 0, "mlsysim language.yaml @087dd538; Llama-3.1-8B config.json"},
		{"Llama3_70B", 70.6e9, 0, 141.2e9, 80, 8192, 64, 8, 28672, 128256, 0, 0, "mlsysim language.yaml @087dd538; Llama-3.1-70B config.json"},
		{"Llama3_405B", 405e9, 0, 810e9, 126, 16384, 128, 8, 53248, 128256, 0, 0, "mlsysim language.yaml @087dd538"},
		{"Llama2_70B", 70e9, 0, 140e9, 80, 8192, 64, 8, 28672, 32000, 0, 0, "mlsysim language.yaml @087dd538"},
		// Llama-2-7B is full multi-head attention: no kv_heads.
		{"Llama2_7B", 7e9, 0, 14e9, 32, 4096, 32, 0, 11008, 32000, 0, 0, "mlsysim language.yaml @087dd538"},
		// GPT-3: 96 heads, no kv_heads (Brown et al. 2020, Table 2.1).
		{"GPT3", 175e9, 0, 350e9, 96, 12288, 96, 0, 49152, 50257, 0, 0, "mlsysim language.yaml @087dd538; Brown et al. 2020"},
		{"GPT2", 1.5e9, 0, 3e9, 48, 1600, 25, 0, 6400, 50257, 0, 0, "mlsysim language.yaml @087dd538"},
		{"BERT_Large", 340e6, 0, 72e9, 24, 1024, 16, 0, 4096, 30522, 0, 0, "mlsysim language.yaml @087dd538"},
		// mlsysim leaves Mixtral's kv_heads unset (the real model has 8).
		{"Mixtral_8x7B", 46.7e9, 12.9e9, 25.8e9, 32, 4096, 32, 0, 14336, 32000, 8, 2, "mlsysim language.yaml @087dd538; Jiang et al. 2024"},
		{"DeepSeek_V3", 671e9, 37e9, 74e9, 61, 7168, 56, 0, 2048, 129280, 256, 8, "mlsysim language.yaml @087dd538; DeepSeek-V3 config.json"},
		// GPT-4 retyped MoE in mlsysim's 2026-06-06 audit: 2 x active parameters.
		{"GPT4", 1.76e12, 280e9, 560e9, 120, 16384, 128, 0, 0, 0, 16, 2, "mlsysim language.yaml @087dd538"},
		{"LLaMA_7B", 6.7e9, 0, 13.4e9, 32, 4096, 32, 0, 11008, 32000, 0, 0, "Touvron et al. 2023, Table 2; huggyllama/llama-7b config.json"},
		{"GPT_J_6B", 6.05e9, 0, 12.1e9, 28, 4096, 16, 0, 16384, 50400, 0, 0, "EleutherAI/gpt-j-6b model card"},
		{"Qwen2_5_72B", 72.7e9, 0, 145.4e9, 80, 8192, 64, 8, 29568, 152064, 0, 0, "Qwen/Qwen2.5-72B model card and config.json"},
		{"Qwen3_235B_A22B", 235e9, 22e9, 44e9, 94, 4096, 64, 4, 1536, 151936, 128, 8, "Qwen/Qwen3-235B-A22B model card and config.json"},
		{"Llama4_Maverick", 400e9, 17e9, 34e9, 48, 5120, 40, 8, 8192, 202048, 128, 1, "Llama 4 model card; transformers convert_llama4_weights_to_hf.py"},
		{"Gemma2_9B", 9.24e9, 0, 18.48e9, 42, 3584, 16, 8, 14336, 256000, 0, 0, "Gemma 2 report, Table 1; google/gemma-2-9b config.json"},
		{"Mistral_7B", 7.24e9, 0, 14.48e9, 32, 4096, 32, 8, 14336, 32000, 0, 0, "Jiang et al. 2023, Table 1"},
		// The models of the published NeMo runs; parameters counted from the cited shapes.
		{"GPT3_5B", 5.047e9, 0, 10.094e9, 24, 4096, 32, 0, 16384, 50257, 0, 0, "NeMo GPTConfig5B; NeMo-Framework-Launcher gpt3/5b.yaml"},
		{"GPT3_20B", 20.256e9, 0, 40.512e9, 44, 6144, 48, 0, 24576, 50257, 0, 0, "NeMo GPTConfig20B; NeMo-Framework-Launcher gpt3/20b.yaml"},
		{"Nemotron3_8B", 8.54e9, 0, 17.08e9, 32, 4096, 32, 0, 16384, 256000, 0, 0, "NeMo nemotron.py Nemotron3Config8B"},
		{"Nemotron3_22B", 21.266e9, 0, 42.532e9, 40, 6144, 48, 0, 24576, 256000, 0, 0, "NeMo nemotron.py Nemotron3Config22B"},
		{"Nemotron4_15B", 15.629e9, 0, 31.258e9, 32, 6144, 48, 8, 24576, 256000, 0, 0, "Nemotron-4 15B report; NeMo nemotron.py Nemotron4Config15B"},
		{"Nemotron4_340B", 341.03e9, 0, 682.06e9, 96, 18432, 96, 8, 73728, 256000, 0, 0, "Nemotron-4 340B report (9.4B embedding + 331.6B non-embedding); NeMo Nemotron4Config340B"},
		{"Kimi_K2", 1e12, 32e9, 64e9, 61, 7168, 64, 0, 2048, 163840, 384, 8, "moonshotai/Kimi-K2-Base model card; Megatron-Bridge KimiK2Provider"},
	}
	for _, c := range cases {
		m := dtModel(t, r, c.key)
		if m.Parameters != c.params || m.ActiveParameters != c.active || m.InferenceFLOPs != c.flops {
			t.Errorf("%s (%s): parameters/active/flops = %g/%g/%g, want %g/%g/%g", c.key, c.source,
				m.Parameters, m.ActiveParameters, m.InferenceFLOPs, c.params, c.active, c.flops)
		}
		if m.Layers != c.layers || m.HiddenDim != c.hidden || m.Heads != c.heads || m.KVHeads != c.kvHeads {
			t.Errorf("%s (%s): layers/hidden/heads/kv_heads = %d/%d/%d/%d, want %d/%d/%d/%d", c.key, c.source,
				m.Layers, m.HiddenDim, m.Heads, m.KVHeads, c.layers, c.hidden, c.heads, c.kvHeads)
		}
		if m.FFNDim != c.ffn || m.VocabSize != c.vocab || m.Experts != c.experts || m.ActiveExperts != c.topK {
			t.Errorf("%s (%s): ffn/vocab/experts/top-k = %d/%d/%d/%d, want %d/%d/%d/%d", c.key, c.source,
				m.FFNDim, m.VocabSize, m.Experts, m.ActiveExperts, c.ffn, c.vocab, c.experts, c.topK)
		}
	}

	// Derived defaults the engine relies on.
	if m := dtModel(t, r, "Llama2_7B"); m.EffectiveKVHeads() != 32 || m.EffectiveHeadDim() != 128 {
		t.Errorf("Llama2_7B: effective kv heads %d, head dim %d, want 32 and 128", m.EffectiveKVHeads(), m.EffectiveHeadDim())
	}
	if m := dtModel(t, r, "GPT3"); m.EffectiveKVHeads() != 96 || m.EffectiveHeadDim() != 128 {
		t.Errorf("GPT3: effective kv heads %d, head dim %d, want 96 and 128", m.EffectiveKVHeads(), m.EffectiveHeadDim())
	}
	if m := dtModel(t, r, "DeepSeek_V3"); m.KVLoRARank != 512 || m.QKRopeHeadDim != 64 {
		t.Errorf("DeepSeek_V3: MLA kv_lora_rank %d, qk_rope_head_dim %d, want 512 and 64", m.KVLoRARank, m.QKRopeHeadDim)
	}
	// Gemma 2 9B and Qwen3 have a head_dim that is not hidden/heads.
	if m := dtModel(t, r, "Gemma2_9B"); m.EffectiveHeadDim() != 256 {
		t.Errorf("Gemma2_9B head dim %d, want 256 (config head_dim)", m.EffectiveHeadDim())
	}
	if m := dtModel(t, r, "Qwen3_30B_A3B"); m.EffectiveHeadDim() != 128 {
		t.Errorf("Qwen3_30B_A3B head dim %d, want 128 (config head_dim)", m.EffectiveHeadDim())
	}

	// GPT-3 training facts (mlsysim language.yaml @087dd538).
	g := dtModel(t, r, "GPT3")
	if g.TrainingOps != 3.14e23 || g.TrainingTokens != 300e9 || g.TrainingAccelerators != 1024 ||
		g.TrainingDays != 25 || !dtClose(g.TrainingEnergyJ, 1287*3.6e9) {
		t.Errorf("GPT3 training: ops %g tokens %g accelerators %d days %g energy %g J, want 3.14e23, 3e11, 1024, 25, 1287 MWh",
			g.TrainingOps, g.TrainingTokens, g.TrainingAccelerators, g.TrainingDays, g.TrainingEnergyJ)
	}
	if g4 := dtModel(t, r, "GPT4"); g4.TrainingGPUDays != 2.5e6 || g4.TrainingDays != 90 || g4.TrainingAccelerators != 25000 {
		t.Errorf("GPT4 training: gpu-days %g days %g accelerators %d", g4.TrainingGPUDays, g4.TrainingDays, g4.TrainingAccelerators)
	}

	// Vision and others (vision.yaml @35a61438 ...).
	other := []struct {
		key           string
		params, flops float64
		layers        int
		source        string
	}{
		{"ResNet50", 25.6e6, 8.2e9, 50, "He et al. 2016: 4.1 GMAC = 8.2 GFLOP"},
		{"MobileNetV2", 3504872, 600e6, 54, "torchvision mobilenet_v2 parameter count; Sandler et al. 300M MACs"},
		{"ResNet18", 11.7e6, 1.8e9, 18, "mlsysim vision.yaml @35a61438"},
		{"YOLOv8_Nano", 3.2e6, 8.7e9, 225, "Ultralytics YOLOv8n"},
		{"EfficientNetB0", 5.3e6, 390e6, 0, "Tan and Le 2019"},
		{"LeNet1", 10000, 0, 0, "mlsysim vision.yaml @35a61438"},
		{"DS_CNN", 200e3, 20e6, 0, "mlsysim tiny.yaml @370f0efd"},
		{"WakeVision", 250e3, 25e6, 0, "mlsysim tiny.yaml @370f0efd"},
		{"AnomalyDetector", 270e3, 540e3, 0, "mlsysim tiny.yaml @370f0efd"},
		{"Mamba_130M", 130e6, 260e6, 24, "mlsysim statespace.yaml @1c1141d9"},
		{"Mamba_2_8B", 2.8e9, 5.6e9, 64, "mlsysim statespace.yaml @1c1141d9"},
		{"StableDiffusion_v1_5", 860e6, 20e9, 0, "mlsysim generativevision.yaml @e0fde03f"},
		{"OpenVLA_7B", 7e9, 0, 32, "mlsysim embodied.yaml @1107af62"},
		{"ACT_ALOHA", 50e6, 0, 8, "mlsysim embodied.yaml @1107af62"},
	}
	for _, c := range other {
		m := dtModel(t, r, c.key)
		if m.Parameters != c.params || m.InferenceFLOPs != c.flops || m.Layers != c.layers {
			t.Errorf("%s (%s): parameters/flops/layers = %g/%g/%d, want %g/%g/%d", c.key, c.source,
				m.Parameters, m.InferenceFLOPs, m.Layers, c.params, c.flops, c.layers)
		}
	}
	if m := dtModel(t, r, "MobileNetV2"); !dtClose(m.InferenceEnergy, 0.1e-3) {
		t.Errorf("MobileNetV2 inference energy %g J, want 0.1 mJ", m.InferenceEnergy)
	}
	if m := dtModel(t, r, "StableDiffusion_v1_5"); m.DenoiseSteps != 50 || m.Resolution != 512 {
		t.Errorf("StableDiffusion_v1_5: %d steps at %d px, want 50 at 512", m.DenoiseSteps, m.Resolution)
	}
	if m := dtModel(t, r, "Mamba_130M"); m.StateSize != 16 || m.HiddenDim != 768 {
		t.Errorf("Mamba_130M: state %d hidden %d, want 16 and 768", m.StateSize, m.HiddenDim)
	}
	if m := dtModel(t, r, "ACT_ALOHA"); m.ActionHorizon != 100 || m.ActionDim != 14 || m.ObsHorizon != 1 {
		t.Errorf("ACT_ALOHA: horizon %d dim %d obs %d, want 100, 14, 1", m.ActionHorizon, m.ActionDim, m.ObsHorizon)
	}
	// DLRM is known by size only (recommendation.yaml @d53c0b1c).
	d := dtModel(t, r, "DLRM")
	if d.Parameters != 0 || d.ModelSizeBytes != 100e9 || d.EmbeddingEntries != 25e9 ||
		d.ParamRangeMin != 100e9 || d.ParamRangeMax != 10e12 || d.InferenceFLOPs != 0 {
		t.Errorf("DLRM: parameters %g size %g embeddings %g range %g-%g flops %g", d.Parameters, d.ModelSizeBytes,
			d.EmbeddingEntries, d.ParamRangeMin, d.ParamRangeMax, d.InferenceFLOPs)
	}
}

// encoderModels are the transformers whose inference_flops is per sequence,
// not 2 x parameters per token.
var encoderModels = map[string]bool{"BERT_Base": true, "BERT_Large": true}

// TestDataModelInvariants checks structural facts over every model.
func TestDataModelInvariants(t *testing.T) {
	r := dtRegistry(t)
	if len(r.ModelList) < 33 {
		t.Fatalf("%d models, want at least mlsysim's 33", len(r.ModelList))
	}
	for _, m := range r.ModelList {
		if m.Parameters <= 0 && m.ModelSizeBytes <= 0 {
			t.Errorf("%s: cannot be lowered: neither parameters nor model_size", m.Key)
		}
		if m.Source == "" || m.Name == "" {
			t.Errorf("%s: missing name or source", m.Key)
		}
		if m.ActiveParameters > m.Parameters {
			t.Errorf("%s: active parameters %g exceed total %g", m.Key, m.ActiveParameters, m.Parameters)
		}
		switch m.Class {
		case ClassTransformer, ClassMoE:
			if m.HiddenDim <= 0 || m.Heads <= 0 {
				t.Errorf("%s: transformer without hidden_dim or heads", m.Key)
				continue
			}
			if m.HiddenDim%m.Heads != 0 {
				t.Errorf("%s: hidden %d not divisible by heads %d", m.Key, m.HiddenDim, m.Heads)
			}
			if hd := m.EffectiveHeadDim(); hd < 32 || hd > 256 {
				t.Errorf("%s: head dim %d outside [32, 256]", m.Key, hd)
			}
			if m.Layers < 1 || m.Layers > 200 {
				t.Errorf("%s: %d layers outside [1, 200]", m.Key, m.Layers)
			}
			if m.Heads%m.EffectiveKVHeads() != 0 {
				t.Errorf("%s: kv heads %d do not divide heads %d", m.Key, m.EffectiveKVHeads(), m.Heads)
			}
			if m.FFNDim < 0 || m.VocabSize < 0 || m.MaxSeqLen < 0 {
				t.Errorf("%s: negative ffn/vocab/context", m.Key)
			}
			if m.Key != "GPT4" && (m.FFNDim == 0 || m.VocabSize == 0 || m.MaxSeqLen == 0) {
				t.Errorf("%s: ffn_dim %d, vocab_size %d, max_seq_len %d: all should be sourced", m.Key, m.FFNDim, m.VocabSize, m.MaxSeqLen)
			}
			if !encoderModels[m.Key] {
				active := m.Parameters
				if m.Class == ClassMoE {
					active = m.ActiveParameters
				}
				if math.Abs(m.InferenceFLOPs-2*active) > 1e-9*active {
					t.Errorf("%s: inference_flops %g, want 2 x (active) parameters = %g", m.Key, m.InferenceFLOPs, 2*active)
				}
			}
			if m.Class == ClassMoE {
				if m.ActiveParameters <= 0 || m.Experts < 2 || m.ActiveExperts < 1 || m.ActiveExperts > m.Experts {
					t.Errorf("%s: moe with active %g, experts %d, top-k %d", m.Key, m.ActiveParameters, m.Experts, m.ActiveExperts)
				}
			}
		case ClassCNN:
			if m.InferenceFLOPs <= 0 {
				t.Errorf("%s: cnn without inference_flops", m.Key)
			}
		case ClassSSM:
			if m.Layers <= 0 || m.StateSize <= 0 || m.HiddenDim <= 0 {
				t.Errorf("%s: ssm needs layers, state_size, hidden_dim", m.Key)
			}
		case ClassDiffusion:
			if m.DenoiseSteps <= 0 || m.Resolution <= 0 {
				t.Errorf("%s: diffusion needs denoising_steps and resolution", m.Key)
			}
		case ClassEmbodied:
			if m.ObsHorizon < 1 {
				t.Errorf("%s: observation horizon %d", m.Key, m.ObsHorizon)
			}
		}
	}
}

// TestDataFabrics pins mlsysim's fabrics (systems/registry.py @02150d88).
func TestDataFabrics(t *testing.T) {
	r := dtRegistry(t)
	cases := []struct {
		key       string
		gbps, lat float64 // Gb/s, microseconds
	}{
		{"Ethernet_10G", 10, 50}, {"Ethernet_100G", 100, 50}, {"Ethernet_400G", 400, 50},
		{"Ethernet_800G", 800, 50}, {"Ethernet_1P6T", 1600, 50}, {"RoCE_100G", 100, 10},
		{"InfiniBand_HDR", 200, 7}, {"InfiniBand_NDR", 400, 5}, {"InfiniBand_XDR", 800, 5},
		{"InfiniBand_GXDR", 1600, 5},
	}
	for _, c := range cases {
		f, err := r.Fabric(c.key)
		if err != nil {
			t.Errorf("Fabric(%s): %v", c.key, err)
			continue
		}
		if !dtClose(f.BandwidthBps, c.gbps*1e9/8) || !dtClose(f.LatencyS, c.lat*1e-6) || f.Topology != "fat-tree" || f.Oversubscription != 1 {
			t.Errorf("%s: %g B/s, %g s, %s, oversubscription %g; want %g Gb/s, %g us, fat-tree, 1",
				c.key, f.BandwidthBps, f.LatencyS, f.Topology, f.Oversubscription, c.gbps, c.lat)
		}
	}
}

// TestDataNodesAndClusters pins nodes and clusters and checks that every
// cluster resolves its node, accelerator and fabric.
func TestDataNodesAndClusters(t *testing.T) {
	r := dtRegistry(t)
	nodes := []struct {
		key, accel string
		perNode    int
		intraGBps  float64 // per direction
		nics       int
		source     string
	}{
		// newest mlsysim: H100 nvlink.bandwidth_per_direction; the Research_256 DistributedModel golden needs 450.
		{"DGX_H100", "H100", 8, 450, 8, "later systems/registry.py; golden G5"},
		{"DGX_A100", "A100", 8, 300, 8, "later systems/registry.py"},
		{"DGX_B200", "B200", 8, 900, 8, "later systems/registry.py"},
		{"DGX_A100_40GB", "A100_40GB", 8, 300, 8, "NVIDIA DGX A100 320 GB datasheet"},
		{"DGX_B300", "B300", 8, 900, 8, "NVIDIA DGX B300 datasheet (8 ConnectX-8)"},
		{"Kempner_H100_4GPU", "H100", 4, 450, 4, "later systems/registry.py"},
	}
	for _, c := range nodes {
		n, err := r.Node(c.key)
		if err != nil {
			t.Errorf("Node(%s): %v", c.key, err)
			continue
		}
		if n.Accelerator == nil || n.Accelerator.Key != c.accel || n.AcceleratorsPerNode != c.perNode ||
			!dtClose(n.IntraNodeBps, c.intraGBps*1e9) || n.NICsPerNode != c.nics {
			t.Errorf("%s (%s): accelerator %v x %d, %g B/s, %d NICs", c.key, c.source, n.Accelerator, n.AcceleratorsPerNode, n.IntraNodeBps, n.NICsPerNode)
			continue
		}
		if !dtClose(n.IntraNodeLatencyS, 500e-9) || n.PSUsPerNode != 2 {
			t.Errorf("%s: intra-node latency %g s, %d PSUs; want mlsysim's defaults 500 ns and 2", c.key, n.IntraNodeLatencyS, n.PSUsPerNode)
		}
		// The node's per-direction bandwidth is its accelerator's NVLink per direction.
		if l := n.Accelerator.NVLink; l.BandwidthBps > 0 && !dtClose(l.PerDirectionBps(), n.IntraNodeBps) {
			t.Errorf("%s: intra-node %g B/s but %s NVLink per direction is %g B/s", c.key, n.IntraNodeBps, c.accel, l.PerDirectionBps())
		}
	}

	// NVL72 racks: one NVLink domain of 72 GPUs in compute trays of 4, one
	// cluster NIC per GPU.
	for _, c := range []struct {
		key, accel string
		psus       int
	}{{"DGX_GB200", "GB200_GPU", 2}, {"DGX_GB300", "GB300_GPU", 48}} {
		n, err := r.Node(c.key)
		if err != nil {
			t.Errorf("Node(%s): %v", c.key, err)
			continue
		}
		if n.Accelerator == nil || n.Accelerator.Key != c.accel || n.AcceleratorsPerNode != 72 || n.AcceleratorsPerHost != 4 ||
			!dtClose(n.IntraNodeBps, 900e9) || n.NICsPerNode != 72 || n.PSUsPerNode != c.psus {
			t.Errorf("%s: accelerator %v x %d (%d per host), %g B/s, %d NICs, %d PSUs; want %s x 72 (4), 900 GB/s, 72, %d",
				c.key, n.Accelerator, n.AcceleratorsPerNode, n.AcceleratorsPerHost, n.IntraNodeBps, n.NICsPerNode, n.PSUsPerNode, c.accel, c.psus)
		}
		if l := n.Accelerator.NVLink; !dtClose(l.PerDirectionBps(), n.IntraNodeBps) {
			t.Errorf("%s: intra-node %g B/s but %s NVLink per direction is %g B/s", c.key, n.IntraNodeBps, c.accel, l.PerDirectionBps())
		}
	}

	clusters := []struct {
		key, node, fabric string
		count, gpus       int
		source            string
	}{
		{"Research_256", "DGX_H100", "Ethernet_100G", 32, 256, "systems/registry.py @02150d88"},
		{"Lab_64_H100", "DGX_H100", "InfiniBand_HDR", 8, 64, "later systems/registry.py"},
		{"Training_512_H100", "DGX_H100", "InfiniBand_HDR", 64, 512, "later systems/registry.py; values.json"},
		{"Training_1K", "DGX_H100", "InfiniBand_HDR", 128, 1024, "systems/registry.py @02150d88"},
		{"Training_1K_A100", "DGX_A100", "InfiniBand_HDR", 128, 1024, "later systems/registry.py"},
		{"Production_2K", "DGX_H100", "InfiniBand_HDR", 256, 2048, "systems/registry.py @02150d88"},
		{"Frontier_8K", "DGX_H100", "InfiniBand_NDR", 1024, 8192, "systems/registry.py @02150d88"},
		{"Training_10K", "DGX_H100", "InfiniBand_NDR", 1250, 10000, "systems/registry.py @02150d88"},
		{"Reference_25K_H100", "DGX_H100", "InfiniBand_NDR", 3125, 25000, "systems/registry.py @02150d88; test G39"},
		{"Kempner_H100_384", "Kempner_H100_4GPU", "InfiniBand_NDR", 96, 384, "later systems/registry.py"},
		{"Mega_100K", "DGX_H100", "InfiniBand_NDR", 12500, 100000, "systems/registry.py @02150d88"},
		{"Selene", "DGX_A100", "InfiniBand_HDR", 560, 4480, "Narayanan et al. 2021; Smith et al. 2022"},
		{"Selene_A100_40GB", "DGX_A100_40GB", "InfiniBand_HDR", 560, 4480, "published.csv hardware label"},
		{"SuperPOD_GB200", "DGX_GB200", "InfiniBand_NDR", 8, 576, "DGX GB200 user guide (ConnectX-7 400G)"},
		{"SuperPOD_GB300", "DGX_GB300", "InfiniBand_XDR", 8, 576, "GB300 NVL72 Enterprise RA (ConnectX-8)"},
	}
	for _, c := range clusters {
		cl, err := r.Cluster(c.key)
		if err != nil {
			t.Errorf("Cluster(%s): %v", c.key, err)
			continue
		}
		if cl.Node == nil || cl.Fabric == nil || cl.Node.Key != c.node || cl.Fabric.Key != c.fabric ||
			cl.Count != c.count || cl.Accelerators() != c.gpus {
			t.Errorf("%s (%s): got node %v fabric %v count %d", c.key, c.source, cl.Node, cl.Fabric, cl.Count)
		}
		if cl.Grid != nil || cl.Datacenter != nil {
			t.Errorf("%s: region set; mlsysim's clusters leave it to the US_Avg default", c.key)
		}
	}

	for _, cl := range r.ClusterList {
		if cl.Node == nil || cl.Fabric == nil || cl.Node.Accelerator == nil || cl.Count < 1 || cl.Source == "" {
			t.Errorf("cluster %s does not resolve (node %v, fabric %v, count %d)", cl.Key, cl.Node, cl.Fabric, cl.Count)
			continue
		}
		if cl.Accelerators() != cl.Count*cl.Node.AcceleratorsPerNode {
			t.Errorf("cluster %s: %d accelerators", cl.Key, cl.Accelerators())
		}
	}
	for _, n := range r.NodeList {
		if n.Accelerator == nil || n.AcceleratorsPerNode < 1 || n.IntraNodeBps <= 0 || n.Source == "" {
			t.Errorf("node %s does not resolve", n.Key)
		}
	}
}

// TestDataGrids pins grids.yaml @8a89d00a and the datacenters of
// infrastructure/registry.py @1946f630.
func TestDataGrids(t *testing.T) {
	r := dtRegistry(t)
	grids := []struct {
		key            string
		carbon, pue    float64
		wue, renewable float64
		primary        string
	}{
		{"China_Avg", 555, 1.4, 1.8, 30, "coal"},
		{"EU_Avg", 270, 1.12, 1.8, 0, "mixed"},
		{"France", 50, 1.12, 1.8, 0, "nuclear"},
		{"Germany", 385, 1.12, 1.8, 46, "mixed"},
		{"Iceland", 28, 1.06, 0, 100, "geothermal"},
		{"India_Avg", 720, 1.58, 1.8, 22, "coal"},
		{"Iowa", 680, 1.12, 1.8, 12, "coal_gas"},
		{"Norway", 10, 1.06, 0, 98, "hydro"},
		{"Poland", 820, 1.58, 1.8, 17, "coal"},
		{"Quebec", 20, 1.06, 0, 99, "hydro"},
		{"Texas", 400, 1.12, 1.8, 28, "mixed"},
		{"US_Avg", 429, 1.12, 1.8, 21, "mixed"},
	}
	if len(r.GridList) != len(grids) {
		t.Errorf("%d grids, want %d", len(r.GridList), len(grids))
	}
	for _, c := range grids {
		g, err := r.Grid(c.key)
		if err != nil {
			t.Errorf("Grid(%s): %v", c.key, err)
			continue
		}
		if g.CarbonGPerKWh != c.carbon || g.PUE != c.pue || g.WUELPerKWh != c.wue || g.RenewablePct != c.renewable ||
			g.PrimarySource != c.primary || g.ElectricityUSDPerK != 0.12 {
			t.Errorf("%s: %g g/kWh, PUE %g, WUE %g, renewable %g, %s, $%g/kWh", c.key, g.CarbonGPerKWh, g.PUE,
				g.WUELPerKWh, g.RenewablePct, g.PrimarySource, g.ElectricityUSDPerK)
		}
	}
	if g, _ := r.Grid("US_Avg"); g == nil || g.Name != "US Average" || g.Lat != 39.8283 || g.Lon != -98.5795 {
		t.Errorf("US_Avg: name or coordinates wrong: %+v", g)
	}

	dcs := map[string]string{
		"Quebec_Hydro": "Quebec", "Norway_Hydro": "Norway", "US_Hyperscale": "US_Avg", "EU_Average": "EU_Avg",
		"France_Nuclear": "France", "Iowa_Reference": "Iowa", "Poland_Coal": "Poland",
	}
	if len(r.DatacenterList) != len(dcs) {
		t.Errorf("%d datacenters, want %d", len(r.DatacenterList), len(dcs))
	}
	for key, grid := range dcs {
		d, err := r.Datacenter(key)
		if err != nil {
			t.Errorf("Datacenter(%s): %v", key, err)
			continue
		}
		if d.Grid == nil || d.Grid.Key != grid || d.PUEOverride != 0 || d.PUE() != d.Grid.PUE {
			t.Errorf("%s: grid %v, PUE override %g", key, d.Grid, d.PUEOverride)
		}
	}
	g, dc, err := r.Region("Quebec_Hydro")
	if err != nil || g.Key != "Quebec" || dc == nil || dc.PUE() != 1.06 || g.WUELPerKWh != 0 {
		t.Errorf("Region(Quebec_Hydro) = %v, %v, %v", g, dc, err)
	}
}

// TestDataConstants pins reference constants (pricing.py @49518363,
// reliability.py @07acdf96, infrastructure/registry.py @1946f630).
func TestDataConstants(t *testing.T) {
	r := dtRegistry(t)
	cases := []struct {
		key   string
		value float64
		unit  string
	}{
		{"Pricing.ElectricityPerKwh", 0.12, "1"},
		{"Pricing.OnPremElectricityPerKwh", 0.07, "1"},
		{"Capital.AnnualMaintenanceRatio", 0.05, "1"},
		{"Capital.AmortizationYears", 3, "1"},
		{"Capital.DgxH100NodeUsd", 350000, "USD"},
		{"Capital.H100GpuPurchaseUsd", 30000, "USD"},
		{"Reliability.GpuMTTF", 50000 * 3600, "s"},
		{"Reliability.NicMTTF", 150000 * 3600, "s"},
		{"Reliability.PsuMTTF", 100000 * 3600, "s"},
		{"Reliability.PcieSwitchMTTF", 200000 * 3600, "s"},
		{"Reliability.CableMTTF", 50000 * 3600, "s"},
		{"Reliability.TorSwitchMTTF", 300000 * 3600, "s"},
		{"Reliability.HbmMTTF", 200000 * 3600, "s"},
		{"Reliability.DgxNodeCompositeMTTF", 1000 * 3600, "s"},
		{"Reliability.NodeRecoveryLow", 600, "s"},
		{"Reliability.NodeRecoveryHigh", 1800, "s"},
		{"Recovery.HeartbeatTimeout", 30, "s"},
		{"Recovery.RestartTime", 180, "s"},
		{"Recovery.CheckpointWriteBandwidth", 100e9, "B/s"},
		{"Cooling.LiquidCooled.PUE", 1.06, "1"},
		{"Cooling.BestAir.PUE", 1.12, "1"},
		{"Cooling.Typical.PUE", 1.40, "1"},
		{"Cooling.Legacy.PUE", 1.58, "1"},
		{"Cooling.StateOfArt.PUE", 1.10, "1"},
		{"Cooling.SimpleAir.PUE", 1.50, "1"},
		{"Rack.AirCoolingLimit", 30e3, "W"},
		{"SwitchFabric.AlphaNdr", 1.5e-6, "s"},
		{"Pods.TPUv4_4096.Memory", 4096 * 32 * (1 << 30), "B"},
	}
	for _, c := range cases {
		k, err := r.Constant(c.key)
		if err != nil {
			t.Errorf("Constant(%s): %v", c.key, err)
			continue
		}
		if !dtClose(k.Value, c.value) || k.Unit != c.unit {
			t.Errorf("%s = %g %s, want %g %s", c.key, k.Value, k.Unit, c.value, c.unit)
		}
	}
	for _, k := range r.ConstantList {
		if k.Name == "" || k.Source == "" {
			t.Errorf("constant %s: missing name or source", k.Key)
		}
	}
}

// TestDataScenarios pins the 10 scenarios of engine/scenarios.py @6a771e6e
// and the fixes this registry makes.
func TestDataScenarios(t *testing.T) {
	r := dtRegistry(t)
	cases := []struct {
		key, workload, system string
		cluster               bool
		slaMS, powerW         float64
		prec                  Precision
	}{
		{"SmartDoorbell", "WakeVision", "ESP32_S3", false, 200, 0.1, FP16},
		{"TinySensor", "AnomalyDetector", "ESP32_S3", false, 10, 0.05, FP16},
		{"AutonomousVehicle", "YOLOv8_Nano", "JetsonOrinNX", false, 10, 0, FP16},
		{"AutonomousVehicle_Waymo", "YOLOv8_Nano", "JetsonOrinNX", false, 10, 0, FP16},
		{"MobileHealth", "MobileNetV2", "iPhone15Pro", false, 30, 0, FP16},
		{"MobileAssistant", "Llama3_8B", "iPhone15Pro", false, 100, 5, INT4},
		{"LocalTraining", "Llama3_8B", "MacBookM3Max", false, 100, 0, FP16},
		{"FrontierTraining", "GPT4", "Frontier_8K", true, 500, 0, FP16},
		{"ChatbotServing", "Llama3_8B", "H100", false, 500, 0, FP16},
		{"KeywordSpotting", "DS_CNN", "ESP32_S3", false, 30, 1e-3, INT8},
	}
	if len(r.ScenarioList) != len(cases) {
		t.Errorf("%d scenarios, want %d", len(r.ScenarioList), len(cases))
	}
	for _, c := range cases {
		s, err := r.Scenario(c.key)
		if err != nil {
			t.Errorf("Scenario(%s): %v", c.key, err)
			continue
		}
		if s.Model == nil || s.Model.Key != c.workload {
			t.Errorf("%s: workload %v, want %s", c.key, s.Model, c.workload)
		}
		switch {
		case c.cluster && (s.Cluster == nil || s.Cluster.Key != c.system || s.Hardware != nil):
			t.Errorf("%s: system should be cluster %s", c.key, c.system)
		case !c.cluster && (s.Hardware == nil || s.Hardware.Key != c.system || s.Cluster != nil):
			t.Errorf("%s: system should be hardware %s", c.key, c.system)
		}
		if !dtClose(s.SLALatencyS, c.slaMS*1e-3) || !dtClose(s.PowerBudgetW, c.powerW) || s.Precision != c.prec || s.BatchSize != 1 {
			t.Errorf("%s: SLA %g s, power %g W, %s, batch %d", c.key, s.SLALatencyS, s.PowerBudgetW, s.Precision, s.BatchSize)
		}
		// A changed precision must be explained, with mlsysim's original value.
		if (s.Precision != FP16) != (s.Fix != "") || (s.Fix != "" && !strings.Contains(s.Fix, "mlsysim: fp16")) {
			t.Errorf("%s: precision %s with fix %q", c.key, s.Precision, s.Fix)
		}
		if s.Name == "" || s.Description == "" || s.Application == "" || s.Source == "" {
			t.Errorf("%s: missing name, description, application or source", c.key)
		}
	}
	// Waymo: 19 TB/hour (ReferenceStats.Workloads.WaymoDataPerHourHigh).
	if s, err := r.Scenario("AutonomousVehicle_Waymo"); err == nil && !dtClose(s.DataRateBps, 19e12/3600) {
		t.Errorf("Waymo data rate %g B/s, want 19 TB/h = %g", s.DataRateBps, 19e12/3600)
	}
	// The fixes make the scenarios fit their own targets: MobileAssistant's int4
	// weights fit the phone's memory, KeywordSpotting's int8 rate beats 30 ms.
	if s, err := r.Scenario("MobileAssistant"); err == nil {
		if w := s.Model.Parameters * s.Precision.Bytes(); w > s.Hardware.MemCapacityBytes {
			t.Errorf("MobileAssistant: %g B of int4 weights exceed %g B", w, s.Hardware.MemCapacityBytes)
		}
	}
	if s, err := r.Scenario("KeywordSpotting"); err == nil {
		if tc := s.Model.InferenceFLOPs / (0.5 * s.Hardware.PeakFor(s.Precision)); tc >= s.SLALatencyS {
			t.Errorf("KeywordSpotting: int8 compute time %g s does not beat the %g s SLA", tc, s.SLALatencyS)
		}
	}
}

// TestDataLookups checks namespaced, case-folded and alias lookups.
func TestDataLookups(t *testing.T) {
	r := dtRegistry(t)
	want := dtModel(t, r, "Llama3_8B")
	for _, name := range []string{"Language.Llama3_8B", "Models.Language.Llama3_8B", "llama3_8b", "LLAMA3_8B", "Llama-3.1-8B", " llama3_8b "} {
		if m, err := r.Model(name); err != nil || m != want {
			t.Errorf("Model(%q) = %v, %v", name, m, err)
		}
	}
	if m, err := r.Model("Vision.ResNet50"); err != nil || m.Key != "ResNet50" {
		t.Errorf("Model(Vision.ResNet50) = %v, %v", m, err)
	}
	if m, err := r.Model("Models.Tiny.DS_CNN"); err != nil || m.Key != "DS_CNN" {
		t.Errorf("Model(Models.Tiny.DS_CNN) = %v, %v", m, err)
	}
	if c, err := r.Cluster("Systems.Clusters.Research_256"); err != nil || c.Key != "Research_256" {
		t.Errorf("Cluster(Systems.Clusters.Research_256) = %v, %v", c, err)
	}
	if f, err := r.Fabric("Systems.Fabrics.InfiniBand_NDR"); err != nil || f.Key != "InfiniBand_NDR" {
		t.Errorf("Fabric(Systems.Fabrics.InfiniBand_NDR) = %v, %v", f, err)
	}
	if n, err := r.Node("Nodes.DGX_H100"); err != nil || n.Key != "DGX_H100" {
		t.Errorf("Node(Nodes.DGX_H100) = %v, %v", n, err)
	}
	if g, err := r.Grid("Infrastructure.Grids.US_Avg"); err != nil || g.Key != "US_Avg" {
		t.Errorf("Grid(Infrastructure.Grids.US_Avg) = %v, %v", g, err)
	}
	if s, err := r.Scenario("Scenarios.ChatbotServing"); err != nil || s.Key != "ChatbotServing" {
		t.Errorf("Scenario(Scenarios.ChatbotServing) = %v, %v", s, err)
	}
	if k, err := r.Constant("Infrastructure.Pricing.ElectricityPerKwh"); err != nil || k.Value != 0.12 {
		t.Errorf("Constant(Infrastructure.Pricing.ElectricityPerKwh) = %v, %v", k, err)
	}
	_, err := r.Model("Llama3_8")
	var nf *NotFoundError
	if !errors.As(err, &nf) || len(nf.Suggestions) == 0 || !strings.Contains(strings.Join(nf.Suggestions, " "), "Llama3_8B") {
		t.Errorf("Model(Llama3_8) error %v should suggest Llama3_8B", err)
	}
}

// mlsysimCommit matches a cited mlsysim commit id (at least 8 hex digits).
var mlsysimCommit = regexp.MustCompile(`@[0-9a-f]{8}`)

// TestDataSources checks that every entry of these files names its source,
// and that a cited mlsysim file comes with its commit (or says it is the
// later, unidentified version of systems/registry.py).
func TestDataSources(t *testing.T) {
	r := dtRegistry(t)
	check := func(kind, key, src string) {
		if src == "" {
			t.Errorf("%s %s: no source", kind, key)
			return
		}
		if strings.Contains(src, "mlsysim") && !mlsysimCommit.MatchString(src) && !strings.Contains(src, "later mlsysim") {
			t.Errorf("%s %s: cites mlsysim without a commit: %q", kind, key, src)
		}
	}
	for _, x := range r.ModelList {
		check("model", x.Key, x.Source)
	}
	for _, x := range r.FabricList {
		check("fabric", x.Key, x.Source)
	}
	for _, x := range r.NodeList {
		check("node", x.Key, x.Source)
	}
	for _, x := range r.ClusterList {
		check("cluster", x.Key, x.Source)
	}
	for _, x := range r.GridList {
		check("grid", x.Key, x.Source)
	}
	for _, x := range r.DatacenterList {
		check("datacenter", x.Key, x.Source)
	}
	for _, x := range r.ScenarioList {
		check("scenario", x.Key, x.Source)
	}
	for _, x := range r.ConstantList {
		check("constant", x.Key, x.Source)
	}
}
