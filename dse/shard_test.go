package dse

import (
	"errors"
	"testing"

	"github.com/mlsysim/mlsysim-go/outputs"
)

// Shards are contiguous, cover the grid once and start on part boundaries.
func TestShardRange(t *testing.T) {
	s := mustParse(t, smallSweep) // 336 configurations, parts of 80
	for _, n := range []int{1, 2, 3, 5, 7} {
		var at int64
		for k := range n {
			lo, hi := ShardRange(s, k, n)
			if lo != at || lo%s.Outputs.PartRows != 0 || hi < lo {
				t.Fatalf("n=%d shard %d: [%d, %d), want to start at %d on a part boundary", n, k, lo, hi, at)
			}
			at = hi
		}
		if at != int64(s.Size()) {
			t.Errorf("n=%d: shards end at %d, want %d", n, at, s.Size())
		}
	}
}

func TestParseShard(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	cases := []struct {
		name, arg string
		env       func(string) string
		k, n      int
		bad       bool
	}{
		{"explicit", "2/4", env(), 2, 4, false},
		{"explicit last", "3/4", env(), 3, 4, false},
		{"K = N", "4/4", env(), 0, 0, true},
		{"negative", "-1/4", env(), 0, 0, true},
		{"garbage", "two", env(), 0, 0, true},
		{"slurm 0-based", "auto", env("SLURM_ARRAY_TASK_ID", "3", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_COUNT", "8", "SLURM_ARRAY_TASK_MAX", "7"), 3, 8, false},
		{"slurm 1-based", "auto", env("SLURM_ARRAY_TASK_ID", "1", "SLURM_ARRAY_TASK_MIN", "1", "SLURM_ARRAY_TASK_COUNT", "4", "SLURM_ARRAY_TASK_MAX", "4"), 0, 4, false},
		{"slurm without count", "auto", env("SLURM_ARRAY_TASK_ID", "12", "SLURM_ARRAY_TASK_MIN", "10", "SLURM_ARRAY_TASK_MAX", "13"), 2, 4, false},
		{"slurm list of ids", "auto", env("SLURM_ARRAY_TASK_ID", "5", "SLURM_ARRAY_TASK_MIN", "1", "SLURM_ARRAY_TASK_COUNT", "3", "SLURM_ARRAY_TASK_MAX", "9"), 0, 0, true},
		{"slurm step", "auto", env("SLURM_ARRAY_TASK_ID", "2", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_COUNT", "4", "SLURM_ARRAY_TASK_STEP", "2"), 0, 0, true},
		{"kubernetes", "auto", env("JOB_COMPLETION_INDEX", "5", EnvShardCount, "16"), 5, 16, false},
		{"kubernetes without count", "auto", env("JOB_COMPLETION_INDEX", "5"), 0, 0, true},
		{"kubernetes index too large", "auto", env("JOB_COMPLETION_INDEX", "16", EnvShardCount, "16"), 0, 0, true},
		{"no scheduler", "auto", env(), 0, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, n, err := ParseShard(c.arg, c.env)
			if c.bad {
				if !errors.Is(err, ErrBadShard) {
					t.Errorf("got %d/%d, %v; want an ErrBadShard", k, n, err)
				}
				return
			}
			if err != nil || k != c.k || n != c.n {
				t.Errorf("got %d/%d, %v; want %d/%d", k, n, err, c.k, c.n)
			}
		})
	}
}

// Remaining keeps whole parts and rewrites short or missing ones.
func TestRemaining(t *testing.T) {
	s := mustParse(t, smallSweep)
	all := PartsOf(s, 0, int64(s.Size()), "results")
	done := []outputs.Part{all[0], {File: all[1].File, Lo: all[1].Lo, Hi: all[1].Lo + 40, Rows: 40}}
	keep, todo := Remaining(all, done)
	if len(keep) != 1 || keep[0] != all[0] || len(todo) != len(all)-1 || todo[0] != all[1] {
		t.Errorf("keep %v todo %v", keep, todo)
	}
}

// The front rebuilt from a run's front indexes is the run's front.
func TestFrontOfIndexes(t *testing.T) {
	s := mustParse(t, smallSweep)
	rep := runTo(t, s, t.TempDir(), 2)
	idx := FrontIndexes(rep.Front)
	f, err := FrontOf(s, idx)
	if err != nil {
		t.Fatal(err)
	}
	got := FrontIndexes(f)
	if len(got) == 0 || len(got) != len(idx) {
		t.Fatalf("rebuilt front has %d points, want %d", len(got), len(idx))
	}
	for i := range got {
		if got[i] != idx[i] {
			t.Fatalf("rebuilt front differs at %d: %d vs %d", i, got[i], idx[i])
		}
	}
	if len(CalibrationHash(s)) != 64 || InputsHash(s, "a") == InputsHash(s, "b") {
		t.Errorf("hashes: calibration %q; inputs must depend on the version", CalibrationHash(s))
	}
}
