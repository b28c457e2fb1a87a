package dse

import (
	"errors"
	"strings"
	"testing"
)

// A parameter that no mode of the sweep uses is refused at its position;
// with a mode axis, only when no mode of the axis uses it. A parameter no
// fidelity of the sweep uses draws a note, not an error.
func TestUnusedParameters(t *testing.T) {
	bad := []struct{ name, src, pos, want string }{
		{"output_tokens in training", "fixed: {mode: training}\ngrid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  output_tokens: [1, 64]\n", "5:3", "output_tokens is not used in mode=training"},
		{"microbatches in serving", "fixed:\n  mode: serving\n  microbatches: 4\ngrid:\n  model: [Llama3_8B]\n  hardware: [H100]\n", "3:3", "microbatches is not used in mode=serving"},
		{"tp in inference", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\nzip:\n  - {tp: [1, 2], batch_size: [1, 2]}\n", "5:6", "tp is not used in mode=inference"},
		{"mode axis that uses none", "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  mode: [inference, serving]\n  zero_stage: [0, 1]\n", "5:3", "zero_stage is not used in mode=inference or mode=serving"},
		{"decode_tp without decode_hardware", "fixed:\n  mode: serving\ngrid:\n  model: [Llama3_70B]\n  hardware: [H100]\n  decode_tp: [1, 2]\n", "6:3", "decode_tp is used only with decode_hardware, which is not set"},
		{"decode_ep without decode_hardware", "fixed:\n  mode: serving\n  ep: 8\ngrid:\n  model: [DeepSeek_V3]\n  hardware: [H100]\nzip:\n  - {decode_ep: [8, 16], batch_size: [1, 2]}\n", "8:6", "decode_ep is used only with decode_hardware, which is not set"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSpec("bad.yaml", []byte(tc.src))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrUnusedParam) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "bad.yaml:"+tc.pos+":") {
				t.Errorf("error %q, want %q at bad.yaml:%s", err, tc.want, tc.pos)
			}
		})
	}
	// decode_tp beside decode_hardware is valid.
	mustParse(t, "fixed:\n  mode: serving\n  decode_hardware: H200\ngrid:\n  model: [Llama3_70B]\n  hardware: [H100]\n  decode_tp: [1, 2]\n")
	// decode_ep beside decode_hardware is valid.
	mustParse(t, "fixed:\n  mode: serving\n  decode_hardware: H200\n  ep: 8\ngrid:\n  model: [DeepSeek_V3]\n  hardware: [H100]\n  decode_ep: [8, 16]\n")
	// A mode axis with one mode that uses each parameter is valid.
	s := mustParse(t, "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  mode: [training, serving]\n  output_tokens: [1, 64]\n  microbatches: [1, 2]\n")
	if len(s.Notes) != 0 {
		t.Errorf("notes %q", s.Notes)
	}
	// efficiency under calibrated: a note at its position.
	s = mustParse(t, "fixed: {efficiency: 0.4}\ngrid:\n  model: [Llama3_8B]\n  hardware: [H100]\n")
	if len(s.Notes) != 1 || !strings.HasPrefix(s.Notes[0], "test.yaml:1:9: fixed.efficiency: efficiency has no effect under fidelity=calibrated") {
		t.Errorf("notes %q", s.Notes)
	}
	// ... none when a fidelity of the sweep uses it.
	s = mustParse(t, "fixed: {efficiency: 0.4}\ngrid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  fidelity: [mlsysim, calibrated]\n")
	if len(s.Notes) != 0 {
		t.Errorf("notes %q", s.Notes)
	}
}
