package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/registry"
)

// completeAssignments completes the key=value arguments of `sweep eval`:
// a parameter name (with "=" and no space after it) until the "=" is typed,
// then the parameter's values: the names of an enum, true/false, or the
// registry's entries of the kind a name parameter takes (--registry files
// included).
func completeAssignments(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	key, prefix, hasValue := strings.Cut(toComplete, "=")
	if !hasValue {
		given := map[string]bool{}
		for _, a := range args {
			k, _, _ := strings.Cut(a, "=")
			given[k] = true
		}
		var out []string
		for _, p := range engine.Params() {
			if !given[p.Name] && strings.HasPrefix(p.Name, key) {
				out = append(out, p.Name+"=\t"+firstSentence(p.Doc))
			}
		}
		return out, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
	}
	p := engine.LookupParam(key)
	if p == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var values []string
	switch p.Type {
	case engine.TypeEnum:
		values = p.Enum
	case engine.TypeBool:
		values = []string{"true", "false"}
	case engine.TypeRef:
		reg, err := loadRegistry(cmd)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		values = reg.Keys(p.RefKind)
		if p.RefKind == registry.KindGrid { // region: grids and datacenters
			values = append(values, reg.Keys(registry.KindDatacenter)...)
		}
	default:
		if p.Default != "" {
			values = []string{p.Default}
		}
	}
	var out []string
	for _, v := range values {
		if strings.HasPrefix(strings.ToLower(v), strings.ToLower(prefix)) {
			out = append(out, key+"="+v)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// firstSentence returns doc up to its first ": " or ". ", for a completion
// description.
func firstSentence(doc string) string {
	for _, sep := range []string{". ", "; "} {
		if i := strings.Index(doc, sep); i > 0 {
			doc = doc[:i]
		}
	}
	return doc
}
