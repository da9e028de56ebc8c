// Package antreaconf reads and edits Antrea's agent and controller
// configuration files (antrea-agent.conf, antrea-controller.conf) without
// touching any byte but the one setting it changes.
//
// The YAML is parsed into a gopkg.in/yaml.v3 node tree to find the setting
// (and to refuse anything that is not a valid YAML mapping); the edit itself
// is then made on the text at the positions the node tree gives, so comments,
// order, blank lines, quoting, indentation and line endings all stay. Every
// edit is verified by parsing the result: the same mapping with only the
// setting changed, or the edit is refused.
package antreaconf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// MetricsKey is Antrea's setting that turns its Prometheus metrics on.
const MetricsKey = "enablePrometheusMetrics"

// State is how a conf holds the setting.
type State string

const (
	// StatePresent: the key is set in the top-level mapping.
	StatePresent State = "Present"
	// StateCommented: the key is absent but a commented-out line
	// ("#enablePrometheusMetrics: true") stands at the top-level indentation.
	StateCommented State = "Commented"
	// StateAbsent: the key is absent; Antrea applies its default.
	StateAbsent State = "Absent"
)

// Setting is what a conf says about one boolean key.
type Setting struct {
	// State is how the key is held.
	State State `json:"state"`
	// Value is the effective value: the key's value, or the default.
	Value bool `json:"value"`
	// Token is the value exactly as written (StatePresent).
	Token string `json:"token,omitempty"`
	// Line is the commented-out line exactly as written (StateCommented).
	Line string `json:"line,omitempty"`
}

// ErrInvalid wraps every reason a conf cannot be read or safely edited.
var ErrInvalid = errors.New("invalid Antrea configuration")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// parsed is a conf's top-level mapping with the key's position, if present.
type parsed struct {
	mapping *yaml.Node // nil for an empty (or comment-only) conf
	value   *yaml.Node // the key's value node, nil when absent
	indent  int        // column (0-based) of the top-level keys
}

func parse(conf, key string) (parsed, error) {
	var p parsed
	dec := yaml.NewDecoder(strings.NewReader(conf))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return p, nil // empty conf: every key takes its default
		}
		return p, invalid("%v", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return p, invalid("%v", err)
		}
		return p, invalid("holds more than one YAML document")
	}
	if len(doc.Content) == 0 {
		return p, nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return p, nil
	}
	if root.Kind != yaml.MappingNode {
		return p, invalid("the top level is a %s, not a mapping", kindName(root.Kind))
	}
	p.mapping = root
	p.indent = root.Column - 1
	// Decoding checks what the node tree alone does not: duplicate keys and
	// values that cannot be decoded.
	var m map[string]any
	if err := root.Decode(&m); err != nil {
		return p, invalid("%v", err)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == key {
			p.value = root.Content[i+1]
		}
	}
	return p, nil
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.SequenceNode:
		return "sequence"
	case yaml.ScalarNode:
		return "scalar"
	case yaml.AliasNode:
		return "alias"
	default:
		return "document"
	}
}

// commentedRe matches a commented-out key line; the indentation is checked apart.
func commentedRe(key string) *regexp.Regexp {
	return regexp.MustCompile(`^([ \t]*)#[ \t]*` + regexp.QuoteMeta(key) + `[ \t]*:.*$`)
}

// Inspect reports how conf holds the boolean key and its effective value,
// using def when the key is absent or commented out.
func Inspect(conf, key string, def bool) (Setting, error) {
	p, err := parse(conf, key)
	if err != nil {
		return Setting{}, err
	}
	return inspect(conf, key, def, p)
}

func inspect(conf, key string, def bool, p parsed) (Setting, error) {
	if p.value != nil {
		v := p.value
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" {
			return Setting{}, invalid("%s is %q, not a boolean (line %d)", key, v.Value, v.Line)
		}
		var b bool
		if err := v.Decode(&b); err != nil {
			return Setting{}, invalid("%s: %v", key, err)
		}
		start, end, err := valueSpan(conf, v)
		if err != nil {
			return Setting{}, err
		}
		return Setting{State: StatePresent, Value: b, Token: conf[start:end]}, nil
	}
	if _, line, ok := findCommented(conf, key, p.indent); ok {
		return Setting{State: StateCommented, Value: def, Line: line}, nil
	}
	return Setting{State: StateAbsent, Value: def}, nil
}

// breaks are the line breaks YAML counts (YAML 1.1, as yaml.v3 does), longest first.
var breaks = []string{"\r\n", "\n", "\r", "\u0085", "\u2028", "\u2029"}

// breakAt returns the length of the line break starting at s[i], or 0.
func breakAt(s string, i int) int {
	for _, b := range breaks {
		if strings.HasPrefix(s[i:], b) {
			return len(b)
		}
	}
	return 0
}

// lines splits conf into lines as YAML counts them, keeping each one's ending.
func lines(conf string) []string {
	var ls []string
	start := 0
	for i := 0; i < len(conf); {
		if n := breakAt(conf, i); n > 0 {
			ls = append(ls, conf[start:i+n])
			i += n
			start = i
			continue
		}
		i++
	}
	return append(ls, conf[start:])
}

// trimEOL splits a line from its ending (one of breaks, or "").
func trimEOL(l string) (string, string) {
	for _, b := range breaks {
		if strings.HasSuffix(l, b) {
			return l[:len(l)-len(b)], b
		}
	}
	return l, ""
}

// findCommented finds the first commented-out key line at the top-level
// indentation and returns its index and text (without ending).
func findCommented(conf, key string, indent int) (int, string, bool) {
	re := commentedRe(key)
	for i, l := range lines(conf) {
		text, _ := trimEOL(l)
		if m := re.FindStringSubmatch(text); m != nil && len(m[1]) == indent {
			return i, text, true
		}
	}
	return 0, "", false
}

// offset returns the byte offset of a 1-based line and column.
func offset(conf string, line, col int) (int, error) {
	off := 0
	ls := lines(conf)
	if line < 1 || line > len(ls) {
		return 0, invalid("position %d:%d outside the conf", line, col)
	}
	for _, l := range ls[:line-1] {
		off += len(l)
	}
	// yaml.v3 counts columns in runes.
	text, _ := trimEOL(ls[line-1])
	runes := 0
	for i := range text {
		if runes == col-1 {
			return off + i, nil
		}
		runes++
	}
	if runes == col-1 {
		return off + len(text), nil
	}
	return 0, invalid("position %d:%d outside the conf", line, col)
}

// valueSpan returns the byte span of a plain scalar value (its tag included).
func valueSpan(conf string, v *yaml.Node) (int, int, error) {
	start, err := offset(conf, v.Line, v.Column)
	if err != nil {
		return 0, 0, err
	}
	if v.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return 0, 0, invalid("%s must be a plain true or false (line %d)", v.Value, v.Line)
	}
	end := start
	if strings.HasPrefix(conf[end:], "!") { // an explicit tag such as !!bool
		for end < len(conf) && conf[end] != ' ' && conf[end] != '\t' {
			end++
		}
		for end < len(conf) && (conf[end] == ' ' || conf[end] == '\t') {
			end++
		}
	}
	if !strings.HasPrefix(conf[end:], v.Value) {
		return 0, 0, invalid("cannot locate the value of line %d", v.Line)
	}
	return start, end + len(v.Value), nil
}

// Set makes the key explicitly hold value and returns the new conf and the
// setting as it was. The result is verified: it parses to the same mapping
// with only the key changed.
func Set(conf, key string, value bool) (string, Setting, error) {
	p, err := parse(conf, key)
	if err != nil {
		return conf, Setting{}, err
	}
	orig, err := inspect(conf, key, true, p)
	if err != nil {
		return conf, Setting{}, err
	}
	token := fmt.Sprintf("%t", value)
	if orig.State == StatePresent && orig.Token == token {
		return conf, orig, nil
	}
	var out string
	switch orig.State {
	case StatePresent:
		out, err = replaceValue(conf, p.value, token)
	case StateCommented:
		i, _, _ := findCommented(conf, key, p.indent)
		out = replaceLine(conf, i, strings.Repeat(" ", p.indent)+key+": "+token)
	case StateAbsent:
		if p.mapping != nil && p.mapping.Style&yaml.FlowStyle != 0 {
			return conf, Setting{}, invalid("a top-level flow mapping ({...}) cannot be extended safely")
		}
		out = appendLine(conf, strings.Repeat(" ", p.indent)+key+": "+token)
	}
	if err != nil {
		return conf, Setting{}, err
	}
	if err := verify(conf, out, key, &value); err != nil {
		return conf, Setting{}, err
	}
	return out, orig, nil
}

// Restore puts back the setting Set recorded, provided the key still holds
// the value set (otherwise someone else changed it since, and conf is
// returned unchanged with changed=false).
func Restore(conf, key string, setTo bool, orig Setting) (string, bool, error) {
	p, err := parse(conf, key)
	if err != nil {
		return conf, false, err
	}
	if p.value == nil || p.value.ShortTag() != "!!bool" || p.value.Value != fmt.Sprintf("%t", setTo) {
		return conf, false, nil
	}
	var out string
	switch orig.State {
	case StatePresent:
		if orig.Token == "" {
			return conf, false, invalid("recorded original value is empty")
		}
		out, err = replaceValue(conf, p.value, orig.Token)
	case StateCommented:
		out = replaceLine(conf, p.value.Line-1, orig.Line)
	case StateAbsent:
		out = removeLine(conf, p.value.Line-1)
	default:
		return conf, false, invalid("unknown recorded state %q", orig.State)
	}
	if err != nil {
		return conf, false, err
	}
	if err := verify(conf, out, key, nil); err != nil {
		return conf, false, err
	}
	return out, out != conf, nil
}

func replaceValue(conf string, v *yaml.Node, token string) (string, error) {
	start, end, err := valueSpan(conf, v)
	if err != nil {
		return "", err
	}
	return conf[:start] + token + conf[end:], nil
}

func replaceLine(conf string, i int, text string) string {
	ls := lines(conf)
	_, eol := trimEOL(ls[i])
	ls[i] = text + eol
	return strings.Join(ls, "")
}

func removeLine(conf string, i int) string {
	ls := lines(conf)
	if _, eol := trimEOL(ls[i]); eol == "" && i > 0 {
		// The last line had no ending: the one before loses the ending
		// appendLine gave it.
		ls[i-1], _ = trimEOL(ls[i-1])
	}
	return strings.Join(append(ls[:i:i], ls[i+1:]...), "")
}

// appendLine adds a line at the end, with the conf's own line ending; a conf
// without a final line ending keeps having none.
func appendLine(conf, text string) string {
	eol := "\n"
	if strings.Contains(conf, "\r\n") {
		eol = "\r\n"
	}
	if _, last := trimEOL(conf); conf != "" && last == "" {
		return conf + eol + text
	}
	return conf + text + eol
}

// verify checks that after parses to before's mapping with only key changed:
// to *want when want is set, to anything (or removed) otherwise.
func verify(before, after, key string, want *bool) error {
	b, err := decodeMap(before)
	if err != nil {
		return err
	}
	a, err := decodeMap(after)
	if err != nil {
		return invalid("edit produced invalid YAML: %v", err)
	}
	if want != nil {
		if got, ok := a[key].(bool); !ok || got != *want {
			return invalid("edit did not set %s to %t", key, *want)
		}
	}
	delete(a, key)
	delete(b, key)
	if !reflect.DeepEqual(a, b) {
		return invalid("edit would change settings other than %s", key)
	}
	return nil
}

func decodeMap(conf string) (map[string]any, error) {
	m := map[string]any{}
	if err := yaml.NewDecoder(bytes.NewReader([]byte(conf))).Decode(&m); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return m, nil
}
