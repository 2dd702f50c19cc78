package importer

import (
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestEngineLinksNoSandbox: the engine does not import the sandbox (a
// GraphQL server) nor a Charm module: a library user links neither. The
// front ends pass a sandbox in (importer.StartSandbox's starter).
func TestEngineLinksNoSandbox(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasSuffix(path, "/importer/sandbox") || strings.HasPrefix(path, "github.com/charmbracelet/") {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("checked %d files only", checked)
	}
}
