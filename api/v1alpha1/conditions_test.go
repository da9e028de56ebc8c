package v1alpha1

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestEveryReasonIsDocumented keeps docs/troubleshooting.md in step with
// conditions.go: each Reason constant must have a row.
func TestEveryReasonIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/troubleshooting.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for name, value := range constants(t) {
		if !strings.HasPrefix(name, "Reason") {
			continue
		}
		n++
		if !strings.Contains(string(doc), "| `"+value+"` |") {
			t.Errorf("reason %s (%q) has no row in docs/troubleshooting.md", name, value)
		}
	}
	if n < 25 {
		t.Fatalf("found only %d reasons in conditions.go", n)
	}
}

// TestConstantNamesSayTheirValues: a condition type or reason constant is
// named after its value (ReasonX = "X"), so what a reader greps in the
// code is what users see in the status.
func TestConstantNamesSayTheirValues(t *testing.T) {
	all := constants(t)
	for name, value := range all {
		if name != "Reason"+value && name != "Condition"+value {
			t.Errorf("constant %s holds %q: name it Reason%[2]s or Condition%[2]s", name, value)
		}
	}
	if len(all) < 30 {
		t.Fatalf("found only %d constants in conditions.go", len(all))
	}
}

// constants are the string constants of conditions.go, by name.
func constants(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "conditions.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				value, err := strconv.Unquote(vs.Values[i].(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				out[name.Name] = value
			}
		}
	}
	return out
}
