// Package deploy holds the job files that run sweeps on clusters (Slurm,
// Kubernetes); its test checks that they agree with the command and with
// the image the Makefile builds.
package deploy

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// The Kubernetes job runs the image `make image` builds, with the sweep
// on PATH, sharded and resumable, logging progress lines.
func TestKubernetesJob(t *testing.T) {
	data, err := os.ReadFile("kubernetes/sweep-indexed-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var job struct {
		Spec struct {
			Completions int `yaml:"completions"`
			Template    struct {
				Spec struct {
					Containers []struct {
						Image   string   `yaml:"image"`
						Command []string `yaml:"command"`
						Env     []struct {
							Name  string `yaml:"name"`
							Value string `yaml:"value"`
						} `yaml:"env"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(data, &job); err != nil {
		t.Fatal(err)
	}
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^IMAGE \?= (\S+)$`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("Makefile sets no IMAGE")
	}
	cs := job.Spec.Template.Spec.Containers
	if len(cs) != 1 {
		t.Fatalf("%d containers", len(cs))
	}
	c := cs[0]
	if c.Image != string(m[1]) {
		t.Errorf("job image %q, make image builds %q", c.Image, m[1])
	}
	cmd := strings.Join(c.Command, " ")
	for _, want := range []string{"sweep run ", "--shard auto", "--resume", "--progress log"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("command %q lacks %q", cmd, want)
		}
	}
	for _, e := range c.Env {
		if e.Name == "MLSYSIM_SHARD_COUNT" && e.Value != strconv.Itoa(job.Spec.Completions) {
			t.Errorf("MLSYSIM_SHARD_COUNT %s, completions %d", e.Value, job.Spec.Completions)
		}
	}
	df, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CGO_ENABLED=0", "./cmd/sweep", "/usr/local/bin/sweep", "FROM gcr.io/distroless/static"} {
		if !strings.Contains(string(df), want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}

// The Slurm script shards, resumes and logs progress lines.
func TestSlurmScript(t *testing.T) {
	data, err := os.ReadFile("slurm/sweep-array.sbatch")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--shard auto --resume", "--progress log=", "--merge"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("sweep-array.sbatch lacks %q", want)
		}
	}
}
