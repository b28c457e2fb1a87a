package main

import (
	"os"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/engine"
)

// The README says how every option of the vocabulary is priced: each
// parameter is named there, in backquotes.
func TestReadmeNamesEveryParameter(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, p := range engine.Params() {
		if !strings.Contains(readme, "`"+p.Name+"`") && !strings.Contains(readme, "`"+p.Name+"=") {
			t.Errorf("README.md does not name the parameter %s", p.Name)
		}
	}
}
