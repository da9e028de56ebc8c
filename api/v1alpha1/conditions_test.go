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
	f, err := parser.ParseFile(token.NewFileSet(), "conditions.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Reason") {
					continue
				}
				value, err := strconv.Unquote(vs.Values[i].(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				n++
				if !strings.Contains(string(doc), "| `"+value+"` |") {
					t.Errorf("reason %s (%q) has no row in docs/troubleshooting.md", name.Name, value)
				}
			}
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
	f, err := parser.ParseFile(token.NewFileSet(), "conditions.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
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
				n++
				if name.Name != "Reason"+value && name.Name != "Condition"+value {
					t.Errorf("constant %s holds %q: name it Reason%[2]s or Condition%[2]s", name.Name, value)
				}
			}
		}
	}
	if n < 30 {
		t.Fatalf("found only %d constants in conditions.go", n)
	}
}
