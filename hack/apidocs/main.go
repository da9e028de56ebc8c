// Command apidocs writes the API reference (docs/api.md) from the Go types
// of api/v1alpha1: every struct, its fields' JSON names, types, defaults
// and bounds (from the kubebuilder markers) and doc comments. `make docs`
// runs it; `make verify-gen` fails when docs/api.md is out of date.
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: apidocs <api package dir> <output.md>")
		os.Exit(2)
	}
	out, err := render(os.Args[1])
	if err == nil {
		err = os.WriteFile(os.Args[2], []byte(out), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type typeDoc struct {
	name, doc  string
	fields     []fieldDoc
	underlying string
	markers    []string
}

type fieldDoc struct {
	json, typ, doc string
	markers        []string
}

func render(dir string) (string, error) {
	types, err := collect(dir)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("# API reference: monitoring.antrea.io/v1alpha1\n\n")
	b.WriteString("Generated from `api/v1alpha1` by `make docs` (hack/apidocs); do not edit.\n\n")
	order := []string{"AntreaMonitoring", "AntreaMonitoringSpec", "AntreaMonitoringStatus"}
	var rest []string
	for n := range types {
		if n != "AntreaMonitoringList" && !slices.Contains(order, n) {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	for _, n := range append(order, rest...) {
		writeType(&b, types[n], types)
	}
	return b.String(), nil
}

// collect parses the package's files (generated ones aside) into type docs.
func collect(dir string) (map[string]*typeDoc, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	types := map[string]*typeDoc{}
	for _, path := range paths {
		base := filepath.Base(path)
		if strings.HasSuffix(base, "_test.go") || strings.HasPrefix(base, "zz_") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				if td := typeOf(gd, spec.(*ast.TypeSpec)); td != nil {
					types[td.name] = td
				}
			}
		}
	}
	return types, nil
}

func typeOf(gd *ast.GenDecl, ts *ast.TypeSpec) *typeDoc {
	if !ast.IsExported(ts.Name.Name) {
		return nil
	}
	doc, markers := split(gd.Doc)
	td := &typeDoc{name: ts.Name.Name, doc: doc, markers: markers}
	st, ok := ts.Type.(*ast.StructType)
	if !ok {
		td.underlying = typeString(ts.Type)
		return td
	}
	for _, fld := range st.Fields.List {
		tag := ""
		if fld.Tag != nil {
			tag = fld.Tag.Value
		}
		name := jsonName(tag)
		if name == "" || name == "-" {
			continue
		}
		fdoc, fmarkers := split(fld.Doc)
		td.fields = append(td.fields, fieldDoc{json: name, typ: typeString(fld.Type), doc: fdoc, markers: fmarkers})
	}
	return td
}

func writeType(b *strings.Builder, t *typeDoc, types map[string]*typeDoc) {
	fmt.Fprintf(b, "## %s\n\n", t.name)
	if t.doc != "" {
		fmt.Fprintf(b, "%s\n\n", t.doc)
	}
	if t.underlying != "" {
		fmt.Fprintf(b, "Type: `%s`.", t.underlying)
		if ms := describe(t.markers); ms != "" {
			fmt.Fprintf(b, " %s.", ms)
		}
		b.WriteString("\n\n")
		return
	}
	if len(t.fields) == 0 {
		return
	}
	b.WriteString("| field | type | validation | description |\n|---|---|---|---|\n")
	for _, f := range t.fields {
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", f.json, link(f.typ, types), describe(f.markers), strings.ReplaceAll(f.doc, "\n", " "))
	}
	b.WriteString("\n")
}

// split separates a doc comment's prose from its +markers.
func split(cg *ast.CommentGroup) (string, []string) {
	if cg == nil {
		return "", nil
	}
	var prose, markers []string
	for _, line := range strings.Split(cg.Text(), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "+"):
			markers = append(markers, strings.TrimPrefix(line, "+"))
		case line != "":
			prose = append(prose, line)
		}
	}
	return strings.Join(prose, " "), markers
}

func jsonName(tag string) string {
	i := strings.Index(tag, `json:"`)
	if i < 0 {
		return ""
	}
	rest := tag[i+6:]
	name := rest[:strings.IndexAny(rest, `",`)]
	if name == "" && strings.HasPrefix(rest, ",inline") {
		return "-"
	}
	return name
}

func typeString(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name
	case *ast.StarExpr:
		return typeString(t.X)
	case *ast.ArrayType:
		return "[]" + typeString(t.Elt)
	case *ast.MapType:
		return "map[" + typeString(t.Key) + "]" + typeString(t.Value)
	case *ast.SelectorExpr:
		return typeString(t.X) + "." + t.Sel.Name
	}
	return fmt.Sprintf("%T", e)
}

func link(typ string, types map[string]*typeDoc) string {
	base := strings.TrimPrefix(strings.TrimPrefix(typ, "[]"), "map[string]")
	if _, ok := types[base]; ok {
		return fmt.Sprintf("[%s](#%s)", typ, strings.ToLower(base))
	}
	return "`" + typ + "`"
}

// describe turns validation markers into prose.
func describe(markers []string) string {
	var out []string
	for _, m := range markers {
		switch {
		case strings.HasPrefix(m, "kubebuilder:default="):
			out = append(out, "default `"+strings.TrimPrefix(m, "kubebuilder:default=")+"`")
		case strings.HasPrefix(m, "kubebuilder:validation:Enum="):
			out = append(out, "one of `"+strings.ReplaceAll(strings.TrimPrefix(m, "kubebuilder:validation:Enum="), ";", "`, `")+"`")
		case strings.HasPrefix(m, "kubebuilder:validation:MaxLength="):
			out = append(out, "at most "+strings.TrimPrefix(m, "kubebuilder:validation:MaxLength=")+" characters")
		case strings.HasPrefix(m, "kubebuilder:validation:MaxItems="):
			out = append(out, "at most "+strings.TrimPrefix(m, "kubebuilder:validation:MaxItems=")+" items")
		case strings.HasPrefix(m, "kubebuilder:validation:MaxProperties="):
			out = append(out, "at most "+strings.TrimPrefix(m, "kubebuilder:validation:MaxProperties=")+" entries")
		case strings.HasPrefix(m, "kubebuilder:validation:Pattern="):
			out = append(out, "pattern "+strings.Trim(strings.TrimPrefix(m, "kubebuilder:validation:Pattern="), "`"))
		case m == "required":
			out = append(out, "required")
		case strings.HasPrefix(m, "kubebuilder:validation:XValidation:"):
			if i := strings.Index(m, `message="`); i >= 0 {
				out = append(out, "rule: "+strings.TrimSuffix(m[i+9:], `"`))
			}
		}
	}
	return strings.ReplaceAll(strings.Join(out, "; "), "|", "\\|")
}
