package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestScenarioCommand(t *testing.T) {
	var so, se bytes.Buffer
	if code := run([]string{"scenario", "ChatbotServing"}, &so, &se); code != exitOK {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	out := so.String()
	for _, want := range []string{"ChatbotServing (Chatbot Serving): Llama3_8B on H100, fp16, batch 1",
		"memory", "PASS", "5.603 ms", "within the 500 ms SLA", "TCO $10,407.47", "overall: PASS"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestScenarioCommandJSON(t *testing.T) {
	var so, se bytes.Buffer
	if code := run([]string{"scenario", "keywordspotting", "--json"}, &so, &se); code != exitOK {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	var got struct {
		Version   string  `json:"mlsysim_version"`
		Scenario  string  `json:"scenario"`
		Passed    bool    `json:"passed"`
		Precision string  `json:"precision"`
		LatencyS  float64 `json:"latency_s"`
		TCO       float64 `json:"tco_usd"`
		Fix       string  `json:"fix"`
		Checks    []struct {
			Name, Verdict, Reason string
		} `json:"checks"`
	}
	if err := json.Unmarshal(so.Bytes(), &got); err != nil {
		t.Fatalf("%v:\n%s", err, so.String())
	}
	if got.Version != version || got.Scenario != "KeywordSpotting" || got.Passed || got.Precision != "int8" || got.Fix == "" {
		t.Errorf("%+v", got)
	}
	verdicts := map[string]string{}
	for _, c := range got.Checks {
		verdicts[c.Name] = c.Verdict
		if c.Reason == "" {
			t.Errorf("%s has no reason", c.Name)
		}
	}
	want := map[string]string{"memory": "PASS", "data_rate": "N/A", "latency": "PASS", "power": "FAIL", "accuracy": "N/A", "carbon_and_cost": "PASS"}
	for k, v := range want {
		if verdicts[k] != v {
			t.Errorf("%s: %s, want %s", k, verdicts[k], v)
		}
	}
}

func TestScenarioCommandAll(t *testing.T) {
	for _, args := range [][]string{{"scenario", "--all"}, {"scenario", "--all", "--mlsysim"}} {
		var so, se bytes.Buffer
		if code := run(args, &so, &se); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, se.String())
		}
		lines := strings.Split(strings.TrimSpace(so.String()), "\n")
		rows := 0
		for _, l := range lines[1:] {
			if !strings.HasPrefix(l, "(") {
				rows++
			}
		}
		if rows != 10 {
			t.Errorf("%v: %d rows:\n%s", args, rows, so.String())
		}
		mobile := ""
		for _, l := range lines {
			if strings.HasPrefix(l, "MobileAssistant ") {
				mobile = l
			}
		}
		// The registry's int4 fix turns mlsysim's FAIL into a PASS.
		wantMobile := "PASS"
		if len(args) == 3 {
			wantMobile = "FAIL"
		}
		if f := strings.Fields(mobile); len(f) < 10 || f[9] != wantMobile {
			t.Errorf("%v: MobileAssistant row %q, want overall %s", args, mobile, wantMobile)
		}
	}
	var so, se bytes.Buffer
	if code := run([]string{"scenario", "--all", "--json"}, &so, &se); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var arr []map[string]any
	if err := json.Unmarshal(so.Bytes(), &arr); err != nil || len(arr) != 10 {
		t.Errorf("%d results, %v", len(arr), err)
	}
}

func TestScenarioCommandExitCodes(t *testing.T) {
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"scenario"}, exitBadInput, "ChatbotServing"},
		{[]string{"scenario", "Chatbot"}, exitBadInput, "did you mean"},
		{[]string{"scenario", "ChatbotServing", "--all"}, exitBadInput, "not both"},
		{[]string{"scenario", "KeywordSpotting"}, exitOK, ""},
		{[]string{"scenario", "KeywordSpotting", "--fail-on-miss"}, exitCheckFailed, "targets missed: KeywordSpotting"},
		{[]string{"scenario", "ChatbotServing", "--fail-on-miss"}, exitOK, ""},
		{[]string{"scenario", "--all", "--fail-on-miss"}, exitCheckFailed, "FrontierTraining"},
	}
	for _, tt := range tests {
		var so, se bytes.Buffer
		if code := run(tt.args, &so, &se); code != tt.code {
			t.Errorf("%v: exit %d, want %d: %s", tt.args, code, tt.code, se.String())
		}
		if !strings.Contains(se.String(), tt.msg) {
			t.Errorf("%v: stderr %q lacks %q", tt.args, se.String(), tt.msg)
		}
	}
}

func TestVersionFlag(t *testing.T) {
	var so, se bytes.Buffer
	if code := run([]string{"--version"}, &so, &se); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(so.String(), version) {
		t.Errorf("--version printed %q, want %q", so.String(), version)
	}
}
