package registry_test

import (
	"fmt"

	"github.com/mlsysim/mlsysim-go/registry"
)

// Look entries up by name, with or without a namespace, in any case.
func ExampleRegistry_Hardware() {
	r := registry.Default()
	h, err := r.Hardware("Cloud.H100")
	if err != nil {
		panic(err)
	}
	fmt.Println(h.Key, "|", h.Name, "|", h.MemCapacityBytes, "B |", h.PeakFLOPS/1e12, "TFLOP/s")
	_, err = r.Hardware("H1OO")
	fmt.Println(err)
	// Output:
	// H100 | NVIDIA H100 SXM5 | 8.589934592e+10 B | 989 TFLOP/s
	// unknown hardware "H1OO"; did you mean "H100"? (sweep list hardware shows them all)
}

func ExampleRegistry_Model() {
	m, _ := registry.Default().Model("llama3_8b")
	fmt.Println(m.Key, m.Class, m.Parameters, m.Layers)
	// Output: Llama3_8B transformer 8.03e+09 32
}

// List the scenarios shipped with this version.
func ExampleRegistry_Scenario() {
	r := registry.Default()
	for _, k := range r.Keys(registry.KindScenario) {
		s, _ := r.Scenario(k)
		sys := ""
		if s.Hardware != nil {
			sys = s.Hardware.Key
		} else {
			sys = s.Cluster.Key
		}
		fmt.Printf("%s: %s on %s\n", s.Key, s.Model.Key, sys)
	}
	// Output:
	// SmartDoorbell: WakeVision on ESP32_S3
	// TinySensor: AnomalyDetector on ESP32_S3
	// AutonomousVehicle: YOLOv8_Nano on JetsonOrinNX
	// AutonomousVehicle_Waymo: YOLOv8_Nano on JetsonOrinNX
	// MobileHealth: MobileNetV2 on iPhone15Pro
	// MobileAssistant: Llama3_8B on iPhone15Pro
	// LocalTraining: Llama3_8B on MacBookM3Max
	// FrontierTraining: GPT4 on Frontier_8K
	// ChatbotServing: Llama3_8B on H100
	// KeywordSpotting: DS_CNN on ESP32_S3
}

// Count the registries.
func ExampleRegistry_Keys() {
	r := registry.Default()
	fmt.Println(len(r.Keys(registry.KindHardware)) > 50, len(r.Keys(registry.KindModel)) > 40, len(r.Keys(registry.KindScenario)))
	// Output: true true 10
}
