package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// The serving digest: a SHA-256 of every result of a few thousand seeded
// serving configurations (the physics-invariant generator over a fixed
// list of registry entries, so that new entries do not change the draw).
// It pins the serving numbers bit for bit across changes meant to leave
// them as they are (a faster evaluation); a change of the model changes
// it, and the new digest is recorded with the change
// (go test ./engine -run TestServingDigest -v prints it).
const (
	servingDigestConfigs = 4000
	servingDigest        = "e0a99e12325c694973b77628657ef11aaba6ceb8e6559316dac605f9c81c2647"
)

var (
	digestModels = []string{"GPT2", "GPT3", "Llama2_7B", "Llama2_70B", "Llama3_8B", "Llama3_70B", "Llama3_405B",
		"Llama3_1B", "Mistral_7B", "Mixtral_8x7B", "Qwen2_5_14B", "Qwen3_30B_A3B", "DeepSeek_V3", "Gemma2_27B",
		"Phi3_Mini", "Llama4_Scout", "BERT_Large", "ResNet50", "Mamba_2_8B", "GPT_J_6B"}
	digestHardware = []string{"H100", "A100", "B200", "H200", "MI300X", "Gaudi3", "TPUv5p", "L4", "T4", "A10G",
		"H100_PCIe", "GB200_NVL72", "L40S", "RTX4090", "JetsonAGXOrin", "MI355X", "B300", "A100_40GB", "TPUv6", "Trainium2"}
	digestDrafts  = []string{"GPT2", "GPT2_Small", "Llama3_1B"}
	digestSystems = []string{"Research_256", "Lab_64_H100", "Training_512_H100", "Training_1K_A100"}
)

func TestServingDigest(t *testing.T) {
	reg := registry.Default()
	sp := &invariantSpace{}
	for _, k := range digestModels {
		m, err := reg.Model(k)
		if err != nil {
			t.Fatal(err)
		}
		sp.models = append(sp.models, m)
	}
	for _, k := range digestDrafts {
		m, err := reg.Model(k)
		if err != nil {
			t.Fatal(err)
		}
		sp.drafts = append(sp.drafts, m)
	}
	for _, k := range digestSystems {
		cl, err := reg.Cluster(k)
		if err != nil {
			t.Fatal(err)
		}
		sp.systems = append(sp.systems, cl)
	}
	for _, k := range digestHardware {
		h, err := reg.Hardware(k)
		if err != nil {
			t.Fatal(err)
		}
		sp.hws = append(sp.hws, h)
	}
	rng := rand.New(rand.NewSource(20261203))
	h := sha256.New()
	feasible := 0
	for n := 0; n < servingDigestConfigs; {
		c := sp.draw(rng)
		if c.Mode != Serving {
			continue
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("generator drew an invalid configuration: %v", err)
		}
		r := Evaluate(&c)
		if r.Feasible {
			feasible++
		}
		fmt.Fprintf(h, "%d:", n)
		digestValue(h, "", reflect.ValueOf(r))
		n++
	}
	got := fmt.Sprintf("%x", h.Sum(nil))
	t.Logf("%d serving configurations (%d feasible): digest %s", servingDigestConfigs, feasible, got)
	if feasible < servingDigestConfigs/10 {
		t.Errorf("only %d feasible configurations: the digest pins too little", feasible)
	}
	if got != servingDigest {
		t.Errorf("serving digest %s, recorded %s: the serving numbers changed", got, servingDigest)
	}
}

// digestValue writes the non-zero scalar fields of v (recursively) with
// their paths, so that a field added later with the value zero leaves the
// digest as it was.
func digestValue(h interface{ Write([]byte) (int, error) }, path string, v reflect.Value) {
	var buf [8]byte
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				digestValue(h, path+"."+v.Type().Field(i).Name, v.Field(i))
			}
		}
		return
	case reflect.Pointer:
		// A registry entry the result names (a region): its key.
		if v.IsNil() {
			return
		}
		if e := v.Elem(); e.Kind() == reflect.Struct && e.FieldByName("Key").Kind() == reflect.String {
			digestValue(h, path+".Key", e.FieldByName("Key"))
			return
		}
		digestValue(h, path, v.Elem())
		return
	case reflect.Array, reflect.Slice:
		for i := range v.Len() {
			digestValue(h, fmt.Sprintf("%s[%d]", path, i), v.Index(i))
		}
		return
	case reflect.Float64, reflect.Float32:
		if v.Float() == 0 && !math.Signbit(v.Float()) {
			return
		}
		binary.LittleEndian.PutUint64(buf[:], math.Float64bits(v.Float()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if v.Int() == 0 {
			return
		}
		binary.LittleEndian.PutUint64(buf[:], uint64(v.Int()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if v.Uint() == 0 {
			return
		}
		binary.LittleEndian.PutUint64(buf[:], v.Uint())
	case reflect.Bool:
		if !v.Bool() {
			return
		}
		buf[0] = 1
	case reflect.String:
		if v.String() == "" {
			return
		}
		h.Write([]byte(path + "=" + v.String() + ";"))
		return
	default:
		panic(fmt.Sprintf("digest: field %s of kind %s", path, v.Kind()))
	}
	h.Write([]byte(path + "="))
	h.Write(buf[:])
}
