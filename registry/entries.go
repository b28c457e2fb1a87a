package registry

import (
	"github.com/mlsysim/mlsysim-go/units"
)

func (c *checker) fabric(x rawFabric) *Fabric {
	e := "fabric " + x.Key
	f := &Fabric{
		Key: x.Key, Name: x.Name, Aliases: x.Aliases, Topology: x.Topology,
		BandwidthBps:     c.get(e, "bandwidth", x.Bandwidth, units.DimByteRate),
		LatencyS:         c.get(e, "latency", x.Latency, units.DimTime),
		Oversubscription: c.number(e, "oversubscription", x.Oversubscription, 0, 1e6),
		Source:           x.Source,
	}
	if f.Topology == "" {
		f.Topology = "fat-tree" // mlsysim NetworkFabric default
	}
	if !contains([]string{"fat-tree", "dragonfly", "ring", "torus", "torus_3d", "switch"}, f.Topology) {
		c.errorf(e, "topology %q, want fat-tree, dragonfly, ring, torus, torus_3d or switch", f.Topology)
	}
	if f.Oversubscription == 0 {
		f.Oversubscription = 1
	}
	if f.Oversubscription < 1 {
		c.errorf(e, "oversubscription must be ≥ 1")
	}
	if f.BandwidthBps <= 0 {
		c.errorf(e, "bandwidth must be positive")
	}
	if x.Source == "" {
		c.errorf(e, "source is missing")
	}
	return f
}

func (c *checker) grid(x rawGrid) *Grid {
	e := "grid " + x.Key
	g := &Grid{
		Key: x.Key, Name: x.Name, Aliases: x.Aliases,
		CarbonGPerKWh: c.number(e, "carbon_intensity_g_kwh", x.CarbonIntensity, 0, 1e5),
		PUE:           c.number(e, "pue", x.PUE, 0, 100),
		PrimarySource: x.PrimarySource,
		Lat:           c.number(e, "lat", x.Lat, -90, 90), Lon: c.number(e, "lon", x.Lon, -180, 180),
		RenewablePct:       c.number(e, "renewable_pct", x.RenewablePct, 0, 100),
		ElectricityUSDPerK: c.number(e, "electricity_usd_per_kwh", x.ElectricityPrice, 0, 1e4), Source: x.Source,
	}
	if x.WUE != nil {
		g.WUELPerKWh = c.number(e, "wue_l_kwh", *x.WUE, 0, 1e4)
	} else {
		c.errorf(e, "wue_l_kwh is missing (write 0 for none)")
	}
	if g.PUE < 1 {
		c.errorf(e, "pue must be ≥ 1")
	}
	if g.ElectricityUSDPerK == 0 {
		g.ElectricityUSDPerK = 0.12 // mlsysim Pricing.Cloud.ElectricityPerKwh
	}
	if x.Source == "" {
		c.errorf(e, "source is missing")
	}
	return g
}

func (c *checker) constant(x rawConstant) *Constant {
	e := "constant " + x.Key
	if !x.Value.set {
		c.errorf(e, "value is missing")
	}
	if x.Source == "" {
		c.errorf(e, "source is missing")
	}
	return &Constant{Key: x.Key, Name: x.Name, Value: x.Value.v, Unit: x.Value.dim.Unit(), Source: x.Source}
}

func (c *checker) node(r *Registry, x rawNode) *Node {
	e := "node " + x.Key
	n := &Node{
		Key: x.Key, Name: x.Name, Aliases: x.Aliases,
		AcceleratorsPerNode: c.count(e, "accelerators_per_node", x.AcceleratorsPerNode),
		AcceleratorsPerHost: c.count(e, "accelerators_per_host", x.AcceleratorsPerHost),
		IntraNodeBps:        c.get(e, "intra_node_bandwidth", x.IntraNodeBandwidth, units.DimByteRate),
		IntraNodeLatencyS:   c.get(e, "intra_node_latency", x.IntraNodeLatency, units.DimTime),
		NICsPerNode:         c.count(e, "nics_per_node", x.NICsPerNode),
		PSUsPerNode:         c.count(e, "psus_per_node", x.PSUsPerNode),
		Source:              x.Source,
	}
	n.Accelerator = ref(r, c, e, "accelerator", x.Accelerator, r.Hardware)
	if n.Accelerator == nil {
		c.errorf(e, "accelerator is missing")
	}
	if n.AcceleratorsPerNode < 1 {
		c.errorf(e, "accelerators_per_node must be ≥ 1")
	}
	if h := n.AcceleratorsPerHost; h > 0 && n.AcceleratorsPerNode > 0 && n.AcceleratorsPerNode%h != 0 {
		c.errorf(e, "accelerators_per_host %d must divide accelerators_per_node %d", h, n.AcceleratorsPerNode)
	}
	if n.NICsPerNode == 0 {
		n.NICsPerNode = 1
	}
	if n.PSUsPerNode == 0 {
		n.PSUsPerNode = 2
	}
	if n.IntraNodeLatencyS == 0 {
		n.IntraNodeLatencyS = 500e-9 // mlsysim Tech NVLink latency
	}
	if x.Source == "" {
		c.errorf(e, "source is missing")
	}
	return n
}

func (c *checker) cluster(r *Registry, x rawCluster) *Cluster {
	e := "cluster " + x.Key
	cl := &Cluster{Key: x.Key, Name: x.Name, Aliases: x.Aliases, Count: c.count(e, "count", x.Count),
		MTBFHours: c.number(e, "mtbf_hours", x.MTBFHours, 0, MaxQuantity), Source: x.Source}
	cl.Node = ref(r, c, e, "node", x.Node, r.Node)
	cl.Fabric = ref(r, c, e, "fabric", x.Fabric, r.Fabric)
	cl.Grid = ref(r, c, e, "region", x.Region, r.Grid)
	cl.Datacenter = ref(r, c, e, "datacenter", x.Datacenter, r.Datacenter)
	if cl.Node == nil || cl.Fabric == nil {
		c.errorf(e, "needs a node and a fabric")
	}
	if cl.Count < 1 {
		c.errorf(e, "count must be ≥ 1")
	}
	if x.Source == "" {
		c.errorf(e, "source is missing")
	}
	return cl
}

func (c *checker) scenario(r *Registry, x rawScenario) *Scenario {
	e := "scenario " + x.Key
	s := &Scenario{
		Key: x.Key, Name: x.Name, Aliases: x.Aliases, Description: x.Description, Application: x.Application,
		BatchSize:      c.count(e, "batch_size", x.BatchSize),
		SLALatencyS:    c.get(e, "sla_latency", x.SLALatency, units.DimTime),
		TargetAccuracy: c.number(e, "target_accuracy", x.TargetAccuracy, 0, 1),
		PowerBudgetW:   c.get(e, "power_budget", x.PowerBudget, units.DimPower),
		DataRateBps:    c.get(e, "data_rate", x.DataRate, units.DimByteRate),
		Fix:            x.Fix,
		Source:         x.Source,
	}
	s.Model = ref(r, c, e, "workload", x.Workload, r.Model)
	if s.Model == nil {
		c.errorf(e, "workload is missing")
	}
	if h, err := r.Hardware(x.System); err == nil {
		s.Hardware = h
	} else if cl, err2 := r.Cluster(x.System); err2 == nil {
		s.Cluster = cl
	} else {
		c.errorf(e, "system: %v", err)
	}
	s.Precision = FP16
	if x.Precision != "" {
		p, err := ParsePrecision(x.Precision)
		if err != nil {
			c.errorf(e, "precision: %v", err)
		}
		s.Precision = p
	}
	if s.BatchSize == 0 {
		s.BatchSize = 1
	}
	if x.Source == "" {
		c.errorf(e, "source is missing")
	}
	return s
}
