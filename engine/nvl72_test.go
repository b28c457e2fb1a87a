package engine

import (
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// megatronSegment is the Slurm segment (compute trays of 4 GPUs in one
// NVLink domain) NVIDIA's training scripts request on NVL72 racks
// (Megatron-Bridge scripts/performance/utils/executors.py): all the nodes
// when they are at most 18, else the largest divisor of the node count at
// most 18.
func megatronSegment(nodes int) int {
	if nodes <= 18 {
		return nodes
	}
	for s := 18; s > 0; s-- {
		if nodes%s == 0 {
			return s
		}
	}
	return 1
}

func TestNVLinkSegment(t *testing.T) {
	for _, tc := range []struct{ gpus, domain, host, want int }{
		{8, 72, 4, 8}, {64, 72, 4, 64}, {72, 72, 4, 72}, {128, 72, 4, 64}, {256, 72, 4, 64},
		{144, 72, 4, 72}, {576, 72, 4, 72}, {100, 72, 4, 20},
		{258, 72, 4, 72}, // no whole number of trays: left to DistNoNode
		{16, 8, 0, 8}, {12, 8, 0, 8}, {4, 8, 0, 4},
	} {
		if got := nvlinkSegment(tc.gpus, tc.domain, tc.host); got != tc.want {
			t.Errorf("nvlinkSegment(%d, %d, %d) = %d, want %d", tc.gpus, tc.domain, tc.host, got, tc.want)
		}
	}
	// The rule is the scripts' segment rule for every job of whole trays.
	for nodes := 1; nodes <= 400; nodes++ {
		if got, want := nvlinkSegment(4*nodes, 72, 4), 4*megatronSegment(nodes); got != want {
			t.Errorf("%d trays: segment of %d GPUs, the scripts' %d", nodes, got, want)
		}
	}
}

// nvl72Eval prices a training job on a copy of cluster sys whose fabric is
// fab: collectives inside the NVLink domain must not depend on it.
func nvl72Eval(t *testing.T, model, sys, fab string, f Fidelity, mutate func(*Config)) Result {
	t.Helper()
	reg := registry.Default()
	cl, err := reg.Cluster(sys)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := reg.Fabric(fab)
	if err != nil {
		t.Fatal(err)
	}
	c2 := *cl
	c2.Fabric = fb
	c := cfg(t, model, cl.Node.Accelerator.Key, func(c *Config) {
		c.Fidelity, c.Mode, c.Dist.System, c.Dist.Semantics = f, Training, &c2, DistNewest
		c.ResolveProfile()
		c.SeqLen, c.ZeroStage = 4096, 1
		mutate(c)
	})
	return Evaluate(&c)
}

// An NVL72 rack is one NVLink domain of 72 GPUs: tensor-, expert- and
// data-parallel groups inside it run at NVLink bandwidth, whatever the
// fabric between racks, and a 256-GPU job runs in four 64-GPU segments
// (not rejected because 72 does not divide 256). The same groups on
// 8-GPU DGX B200 nodes cross the fabric.
func TestNVL72DomainCollectives(t *testing.T) {
	for _, f := range []Fidelity{FidelityCalibrated, FidelityMLSysim} {
		// Qwen3-30B-A3B (128 experts), 64 GPUs, ep 64: the all-to-alls and the
		// gradient all-reduce stay in one rack.
		moe := func(c *Config) { c.Dist.GPUs, c.Dist.EP, c.BatchSize = 64, 64, 512 }
		fast := nvl72Eval(t, "Qwen3_30B_A3B", "SuperPOD_GB200", "InfiniBand_XDR", f, moe)
		slow := nvl72Eval(t, "Qwen3_30B_A3B", "SuperPOD_GB200", "Ethernet_10G", f, moe)
		if fast.Dist.Reason != DistOK || fast.Dist.CommEPS <= 0 || fast.Dist.CommS != slow.Dist.CommS {
			t.Errorf("%v: ep 64 in one NVL72: reason %q, comm %v with XDR, %v with 10GbE (want equal, EP %v)",
				f, fast.Dist.Reason, fast.Dist.CommS, slow.Dist.CommS, fast.Dist.CommEPS)
		}
		// A 256-GPU job: four segments of 64; tp 8 and ep 64 stay inside
		// a segment, only the data-parallel traffic crosses racks.
		big := func(c *Config) { c.Dist.GPUs, c.Dist.EP, c.BatchSize = 256, 64, 1024 }
		fast = nvl72Eval(t, "Qwen3_30B_A3B", "SuperPOD_GB200", "InfiniBand_XDR", f, big)
		slow = nvl72Eval(t, "Qwen3_30B_A3B", "SuperPOD_GB200", "Ethernet_10G", f, big)
		if fast.Dist.Reason != DistOK || fast.Dist.CommEPS != slow.Dist.CommEPS || !(slow.Dist.CommDPS > fast.Dist.CommDPS) {
			t.Errorf("%v: 256 GPUs on NVL72: reason %q, EP %v / %v (want equal), DP %v / %v (want slower on 10GbE)",
				f, fast.Dist.Reason, fast.Dist.CommEPS, slow.Dist.CommEPS, fast.Dist.CommDPS, slow.Dist.CommDPS)
		}
		dense := func(c *Config) { c.Dist.GPUs, c.Dist.TP, c.BatchSize = 256, 8, 256 }
		fast = nvl72Eval(t, "Llama3_70B", "SuperPOD_GB300", "InfiniBand_XDR", f, dense)
		slow = nvl72Eval(t, "Llama3_70B", "SuperPOD_GB300", "Ethernet_10G", f, dense)
		if fast.Dist.Reason != DistOK || fast.Dist.CommTPS != slow.Dist.CommTPS || !(slow.Dist.CommDPS > fast.Dist.CommDPS) {
			t.Errorf("%v: tp 8 on 256 GB300: reason %q, TP %v / %v (want equal), DP %v / %v",
				f, fast.Dist.Reason, fast.Dist.CommTPS, slow.Dist.CommTPS, fast.Dist.CommDPS, slow.Dist.CommDPS)
		}
		// The same 64-GPU expert-parallel job on 8-GPU nodes: the fabric
		// carries most of the all-to-all.
		reg := registry.Default()
		b200, _ := reg.Node("DGX_B200")
		ib, _ := reg.Fabric("InfiniBand_NDR")
		eth, _ := reg.Fabric("Ethernet_10G")
		onB200 := func(fb *registry.Fabric) Result {
			c := cfg(t, "Qwen3_30B_A3B", "B200", func(c *Config) {
				c.Fidelity, c.Mode, c.Dist.Semantics = f, Training, DistNewest
				c.Dist.System = &registry.Cluster{Key: "b200x8", Node: b200, Count: 8, Fabric: fb}
				c.ResolveProfile()
				c.SeqLen, c.ZeroStage = 4096, 1
				moe(c)
			})
			return Evaluate(&c)
		}
		if a, b := onB200(ib), onB200(eth); !(b.Dist.CommEPS > a.Dist.CommEPS) {
			t.Errorf("%v: ep 64 over 8 DGX B200: EP %v on NDR, %v on 10GbE (want slower)", f, a.Dist.CommEPS, b.Dist.CommEPS)
		}
	}
	// A job that is no whole number of compute trays has no placement.
	r := nvl72Eval(t, "Llama3_8B", "SuperPOD_GB200", "InfiniBand_NDR", FidelityCalibrated, func(c *Config) {
		c.Dist.GPUs, c.BatchSize = 258, 258
	})
	if r.Feasible || r.Dist.Reason != DistNoNode {
		t.Errorf("258 GPUs on NVL72 racks: feasible %v reason %q, want %q", r.Feasible, r.Dist.Reason, DistNoNode)
	}
}
