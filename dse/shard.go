package dse

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ShardRange returns the configurations [lo, hi) of shard k of n. Shards
// are contiguous runs of whole parts (PartRows configurations each), split
// as evenly as parts allow, so no two shards write the same part file and
// the union of the n shards is the grid. A shard may be empty when there
// are more shards than parts.
func ShardRange(s *Spec, k, n int) (lo, hi int64) {
	size := int64(s.Size())
	pr := s.Outputs.PartRows
	parts := (size + pr - 1) / pr
	first := parts * int64(k) / int64(n)
	last := parts * int64(k+1) / int64(n)
	return min(first*pr, size), min(last*pr, size)
}

// ErrBadShard is wrapped by ParseShard's errors.
var ErrBadShard = errors.New("bad shard")

// Environment variables read by ParseShard("auto").
const (
	// EnvShardCount gives the number of shards where the scheduler does not
	// export it (a Kubernetes Indexed Job: set it to .spec.completions).
	EnvShardCount = "MLSYSIM_SHARD_COUNT"
)

// ParseShard reads a --shard argument: "K/N" (0 ≤ K < N), or "auto", which
// takes them from the scheduler's environment through getenv:
//
//   - a Slurm job array: K = SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN,
//     N = SLURM_ARRAY_TASK_COUNT (or MAX − MIN + 1); the array must be a
//     contiguous range such as --array=0-15 or 1-16 (a step or a list of ids
//     is refused, as K would not cover 0..N−1);
//   - a Kubernetes Indexed Job: K = JOB_COMPLETION_INDEX, N from
//     MLSYSIM_SHARD_COUNT (Kubernetes does not export the completions);
//   - MLSYSIM_SHARD_COUNT also overrides N for Slurm.
func ParseShard(arg string, getenv func(string) string) (k, n int, err error) {
	if arg != "auto" {
		ks, ns, ok := strings.Cut(arg, "/")
		k, err1 := strconv.Atoi(ks)
		n, err2 := strconv.Atoi(ns)
		if !ok || err1 != nil || err2 != nil || n < 1 || k < 0 || k >= n {
			return 0, 0, fmt.Errorf("%w %q: want K/N with 0 ≤ K < N, e.g. 0/4, or auto", ErrBadShard, arg)
		}
		return k, n, nil
	}
	num := func(name string) (int, bool, error) {
		v := getenv(name)
		if v == "" {
			return 0, false, nil
		}
		x, err := strconv.Atoi(v)
		if err != nil || x < 0 {
			return 0, true, fmt.Errorf("%w: %s=%q is not a whole number", ErrBadShard, name, v)
		}
		return x, true, nil
	}
	override, hasOverride, err := num(EnvShardCount)
	if err != nil {
		return 0, 0, err
	}
	if id, ok, err := num("SLURM_ARRAY_TASK_ID"); err != nil {
		return 0, 0, err
	} else if ok {
		lo, _, err := num("SLURM_ARRAY_TASK_MIN")
		if err != nil {
			return 0, 0, err
		}
		mx, hasMax, err := num("SLURM_ARRAY_TASK_MAX")
		if err != nil {
			return 0, 0, err
		}
		cnt, hasCnt, err := num("SLURM_ARRAY_TASK_COUNT")
		if err != nil {
			return 0, 0, err
		}
		if step, _, _ := num("SLURM_ARRAY_TASK_STEP"); step > 1 {
			return 0, 0, fmt.Errorf("%w: the Slurm array has a step of %d; use a contiguous range (--array=0-%d)", ErrBadShard, step, max(cnt, 1)-1)
		}
		switch {
		case hasOverride:
			n = override
		case hasCnt:
			n = cnt
			if hasMax && mx-lo+1 != cnt {
				return 0, 0, fmt.Errorf("%w: the Slurm array ids %d-%d are not contiguous (%d tasks); use a range such as --array=0-%d", ErrBadShard, lo, mx, cnt, cnt-1)
			}
		case hasMax:
			n = mx - lo + 1
		default:
			return 0, 0, fmt.Errorf("%w: SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX", ErrBadShard)
		}
		k = id - lo
	} else if idx, ok, err := num("JOB_COMPLETION_INDEX"); err != nil {
		return 0, 0, err
	} else if ok {
		if !hasOverride {
			return 0, 0, fmt.Errorf("%w: JOB_COMPLETION_INDEX is set but not %s: set it to the Job's completions", ErrBadShard, EnvShardCount)
		}
		k, n = idx, override
	} else {
		return 0, 0, fmt.Errorf("%w: --shard auto needs a Slurm job array (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX and %s)", ErrBadShard, EnvShardCount)
	}
	if n < 1 || k < 0 || k >= n {
		return 0, 0, fmt.Errorf("%w: shard %d of %d from the environment is out of range", ErrBadShard, k, n)
	}
	return k, n, nil
}
