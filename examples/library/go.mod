module example.com/library

go 1.26.0

require github.com/mlsysim/mlsysim-go v0.0.0

require github.com/goccy/go-yaml v1.19.2 // indirect

replace github.com/mlsysim/mlsysim-go => ../..
