// Package apicheck holds the tests that guard mlsysim-go's stable API
// (docs/api-stability.md): snapshots of the exported identifiers of the
// stable packages and of the registry names shipped in this version, and a
// program outside the module that uses the library as the documentation
// shows. It has no code of its own.
//
// A stable identifier that disappears or changes its signature, or a
// shipped registry name that no longer resolves, fails `go test ./...`.
// Additions are fine; after adding to the stable API, regenerate the
// snapshots with
//
//	go test ./internal/apicheck -update
package apicheck
