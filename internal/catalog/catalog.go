// Package catalog knows Antrea's Prometheus metric families, v1.6.0 to
// v2.7.0: which component serves each, its type and labels, the releases
// that have it, and the configuration it needs to exist (RegisteredIf) or to
// move off 0 (MovesIf). From an Antrea's version and confs (Antrea) it tells
// which families that Antrea serves, which a scrape must find, and which stay
// at 0.
//
// The data is families.yaml, embedded and parsed strictly when the package
// is loaded; the package's tests check it against Antrea's per-release
// family counts.
package catalog

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/util/version"
)

// Component is the Antrea process that serves a family.
type Component string

const (
	// Agent is antrea-agent (Linux and Windows run the same code).
	Agent Component = "agent"
	// Controller is antrea-controller.
	Controller Component = "controller"
)

// Type is a family's Prometheus type.
type Type string

const (
	Counter   Type = "counter"
	Gauge     Type = "gauge"
	Histogram Type = "histogram"
	// Summary: no Antrea family since v0.10.0 is one.
	Summary Type = "summary"
)

// Condition is a piece of Antrea configuration a family depends on.
type Condition string

const (
	// AntreaProxy: AntreaProxy runs in the agent (gate AntreaProxy, and
	// antreaProxy.enable from v1.14.0). On by default.
	AntreaProxy Condition = "AntreaProxy"
	// FlowExporter: the agent's flow exporter polls conntrack (gate
	// FlowExporter; also flowExporter.enable from v1.13.0). Off by default.
	FlowExporter Condition = "FlowExporter"
	// NodeIPAM: antrea-controller allocates Node Pod CIDRs (gate NodeIPAM and
	// nodeIPAM.enableNodeIPAM). Off by default.
	NodeIPAM Condition = "NodeIPAM"
	// AntreaPolicy: Antrea-native policies are on (gate AntreaPolicy, in
	// both confs). On by default.
	AntreaPolicy Condition = "AntreaPolicy"
	// OVSMeters: the Node's OVS supports meters (Linux, kernel 4.18 or
	// later; never Windows). A property of each Node that no conf states, so
	// an Antrea always counts it as holding; the meter family stays at 0 on
	// Nodes without it.
	OVSMeters Condition = "OVSMeters"
)

// Family is one Antrea metric family.
type Family struct {
	// Name is the family's name, as exposed (counters carry no _total).
	Name string `yaml:"name"`
	// Component serves the family.
	Component Component `yaml:"component"`
	// Type is the family's Prometheus type. It has not changed in any
	// family between v1.6.0 and v2.7.0.
	Type Type `yaml:"type"`
	// Labels are its label names in the newest release, the constant label
	// ip_family of the antrea_proxy_* families included.
	Labels []string `yaml:"labels"`
	// LabelsByRelease lists earlier label sets, for the releases that had
	// them (antrea_agent_ovs_flow_count before v1.12.0).
	LabelsByRelease []LabelSet `yaml:"labelsByRelease"`
	// Releases is the semver range of the releases that define the family,
	// e.g. ">=1.6.0 <1.13.0"; "||" separates alternatives. Empty for a
	// family that is never exported.
	Releases string `yaml:"releases"`
	// RegisteredIf is the condition without which the family is not
	// registered at all (AntreaProxy, NodeIPAM), or "".
	RegisteredIf Condition `yaml:"registeredIf"`
	// MovesIf is the condition without which the family is present but its
	// values stay at 0 (FlowExporter, AntreaPolicy, OVSMeters), or "".
	MovesIf Condition `yaml:"movesIf"`
	// SeriesOnUse: a vector none of whose series exists before Antrea uses
	// it, so a scrape may lack it without anything being wrong.
	SeriesOnUse bool `yaml:"seriesOnUse"`
	// SeriesOnUseIn is a release range in which the family is SeriesOnUse
	// although later ones create its series up front (the OVS meter family
	// at v1.13.0).
	SeriesOnUseIn string `yaml:"seriesOnUseIn"`
	// Cumulative: a gauge whose value only grows until the process (or the
	// source it copies) restarts, so rate(), increase() and resets() are
	// right on it as on a counter.
	Cumulative bool `yaml:"cumulative"`
	// RenamedFrom and RenamedTo link the old and new names of a renamed
	// family.
	RenamedFrom string `yaml:"renamedFrom"`
	RenamedTo   string `yaml:"renamedTo"`
	// NeverExported: defined in Antrea's code but never registered, so no
	// release exposes it. Lookup finds it so that a query using it can be
	// told it will never match.
	NeverExported bool `yaml:"neverExported"`
}

// LabelSet is the label names a family had in a range of releases.
type LabelSet struct {
	Releases string   `yaml:"releases"`
	Labels   []string `yaml:"labels"`
}

// SeriesNames are the names of the series the family exposes: the name
// itself, or a histogram's _bucket, _sum and _count and a summary's _sum and
// _count (and the summary's quantiles under the name itself).
func (f Family) SeriesNames() []string {
	switch f.Type {
	case Histogram:
		return []string{f.Name + "_bucket", f.Name + "_sum", f.Name + "_count"}
	case Summary:
		return []string{f.Name, f.Name + "_sum", f.Name + "_count"}
	default:
		return []string{f.Name}
	}
}

// InRelease says whether release v defines the family. A nil v (unknown
// version) counts as every release: true only for a family every release
// defines.
func (f Family) InRelease(v *version.Version) bool {
	return std.ranges[f.Name].containsAll(v, std.checkpoints)
}

// LabelsAt returns the label names the family has at release v (nil v: the
// newest release's).
func (f Family) LabelsAt(v *version.Version) []string {
	if v != nil {
		for _, ls := range f.LabelsByRelease {
			if r, err := parseRange(ls.Releases); err == nil && r.contains(v) {
				return ls.Labels
			}
		}
	}
	return f.Labels
}

// seriesOnUseAt says whether the family has no series up front at release v.
func (f Family) seriesOnUseAt(v *version.Version) bool {
	if f.SeriesOnUse {
		return true
	}
	r := std.seriesOnUse[f.Name]
	if v == nil {
		// Unknown version: it may be the release without series.
		return r.containsAny(std.checkpoints)
	}
	return r.contains(v)
}

//go:embed families.yaml
var familiesYAML []byte

type data struct {
	Checkpoints []string `yaml:"checkpoints"`
	Families    []Family `yaml:"families"`
}

type catalog struct {
	families    []Family // by name
	byName      map[string]int
	ranges      map[string]versionRange
	seriesOnUse map[string]versionRange
	checkpoints []*version.Version
}

// std is the catalog of families.yaml; load's checks run in the tests, so
// a bad edit of the data fails them before it can panic here.
var std = func() *catalog {
	c, err := load(familiesYAML)
	if err != nil {
		panic(err)
	}
	return c
}()

var (
	knownTypes      = []Type{Counter, Gauge, Histogram, Summary}
	knownComponents = []Component{Agent, Controller}
	registeredIfs   = []Condition{"", AntreaProxy, NodeIPAM}
	movesIfs        = []Condition{"", FlowExporter, AntreaPolicy, OVSMeters}
	familyName      = regexp.MustCompile(`^antrea_[a-z_]+[a-z]$`)
)

// load parses and checks the catalog's data.
func load(b []byte) (*catalog, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var d data
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("parsing families.yaml: %w", err)
	}
	c := &catalog{byName: map[string]int{}, ranges: map[string]versionRange{}, seriesOnUse: map[string]versionRange{}}
	for _, s := range d.Checkpoints {
		v, err := version.ParseSemantic(s)
		if err != nil {
			return nil, fmt.Errorf("checkpoint %q: %w", s, err)
		}
		if n := len(c.checkpoints); n > 0 && !c.checkpoints[n-1].LessThan(v) {
			return nil, fmt.Errorf("checkpoint %s is not after %s", v, c.checkpoints[n-1])
		}
		c.checkpoints = append(c.checkpoints, v)
	}
	if len(c.checkpoints) == 0 {
		return nil, errors.New("no checkpoints")
	}
	c.families = slices.Clone(d.Families)
	slices.SortFunc(c.families, func(a, b Family) int { return strings.Compare(a.Name, b.Name) })
	var errs []error
	for i, f := range c.families {
		if _, dup := c.byName[f.Name]; dup {
			errs = append(errs, fmt.Errorf("%s: listed twice", f.Name))
		}
		c.byName[f.Name] = i
		if err := c.check(f); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.Name, err))
		}
	}
	for _, f := range c.families {
		if err := c.checkLinks(f); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.Name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// check checks one family and records its ranges.
func (c *catalog) check(f Family) error {
	if err := checkFields(f); err != nil {
		return err
	}
	if !f.NeverExported {
		r, err := parseRange(f.Releases)
		if err != nil {
			return fmt.Errorf("releases: %w", err)
		}
		if !r.containsAny(c.checkpoints) {
			return fmt.Errorf("releases %q holds no checkpoint", f.Releases)
		}
		c.ranges[f.Name] = r
	}
	if f.SeriesOnUseIn != "" {
		r, err := parseRange(f.SeriesOnUseIn)
		if err != nil {
			return fmt.Errorf("seriesOnUseIn: %w", err)
		}
		c.seriesOnUse[f.Name] = r
	}
	for _, ls := range f.LabelsByRelease {
		if _, err := parseRange(ls.Releases); err != nil {
			return fmt.Errorf("labelsByRelease: %w", err)
		}
	}
	return nil
}

// checkFields checks that a family's fields hold known values.
func checkFields(f Family) error {
	switch {
	case !familyName.MatchString(f.Name):
		return errors.New("not an Antrea family name")
	case !slices.Contains(knownTypes, f.Type):
		return fmt.Errorf("unknown type %q", f.Type)
	case !slices.Contains(knownComponents, f.Component):
		return fmt.Errorf("unknown component %q", f.Component)
	case !slices.Contains(registeredIfs, f.RegisteredIf):
		return fmt.Errorf("registeredIf %q is none of %q", f.RegisteredIf, registeredIfs)
	case !slices.Contains(movesIfs, f.MovesIf):
		return fmt.Errorf("movesIf %q is none of %q", f.MovesIf, movesIfs)
	}
	return checkFlags(f)
}

// checkFlags checks that a family's flags agree with each other.
func checkFlags(f Family) error {
	switch {
	case f.Cumulative && f.Type != Gauge:
		return errors.New("cumulative applies to gauges only")
	case f.SeriesOnUse && f.SeriesOnUseIn != "":
		return errors.New("seriesOnUse and seriesOnUseIn together")
	case f.NeverExported != (f.Releases == ""):
		return errors.New("a family has releases unless it is never exported")
	case f.NeverExported && (f.RegisteredIf != "" || f.MovesIf != "" || f.SeriesOnUse || f.SeriesOnUseIn != ""):
		return errors.New("a never exported family has no conditions")
	}
	return nil
}

// checkLinks checks that renames point at each other, and that no other
// family's series (a histogram's X_count, say) has this family's name.
func (c *catalog) checkLinks(f Family) error {
	if f.RenamedTo != "" {
		to, ok := c.byName[f.RenamedTo]
		if !ok || c.families[to].RenamedFrom != f.Name {
			return fmt.Errorf("renamedTo %s, which is not renamed from it", f.RenamedTo)
		}
		for _, v := range c.checkpoints {
			if c.ranges[f.Name].contains(v) && c.ranges[f.RenamedTo].contains(v) {
				return fmt.Errorf("release %s has both it and %s", v, f.RenamedTo)
			}
		}
	}
	if f.RenamedFrom != "" {
		if from, ok := c.byName[f.RenamedFrom]; !ok || c.families[from].RenamedTo != f.Name {
			return fmt.Errorf("renamedFrom %s, which is not renamed to it", f.RenamedFrom)
		}
	}
	for _, g := range c.families {
		for _, s := range g.SeriesNames() {
			if s != g.Name && s == f.Name {
				return fmt.Errorf("it is also a series of %s", g.Name)
			}
		}
	}
	return nil
}

// Families returns every family, never exported ones included, by name.
func Families() []Family {
	return slices.Clone(std.families)
}

// Lookup finds the family of a series name: the family's own name (for a
// histogram, the family name is no series: see SeriesNames), a histogram's
// <name>_bucket, _sum or _count, or a summary's <name>_sum or _count.
// A suffix the family's type does not have is not found. Never exported
// families are found, with NeverExported set.
func Lookup(series string) (Family, bool) {
	if i, ok := std.byName[series]; ok {
		return std.families[i], true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(series, suffix)
		if !ok {
			continue
		}
		if i, ok := std.byName[base]; ok && slices.Contains(std.families[i].SeriesNames(), series) {
			return std.families[i], true
		}
	}
	return Family{}, false
}

var leadingSemver = regexp.MustCompile(`^v?(\d+\.\d+\.\d+)`)

// ParseVersion reads the version an Antrea reports (AntreaControllerInfo
// and AntreaAgentInfo .version): "v2.4.1" is 2.4.1, and a development
// build's "v2.8.0-dev-abc123" its leading release, 2.8.0. It returns nil
// for "UNKNOWN", "" or anything without a leading x.y.z.
func ParseVersion(s string) *version.Version {
	m := leadingSemver.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return nil
	}
	v, err := version.ParseSemantic(m[1])
	if err != nil {
		return nil
	}
	return v
}

// versionRange is a parsed release range: alternatives ("||") of
// comparisons that must all hold.
type versionRange [][]comparison

type comparison struct {
	op string
	v  *version.Version
}

var comparisonRe = regexp.MustCompile(`^(>=|<=|>|<|=)?v?(\d+\.\d+\.\d+)$`)

// parseRange parses ">=1.6.0 <1.13.0 || >=2.0.0": space-separated
// comparisons (>=, >, <=, <, = or a bare version for =), alternatives
// separated by "||".
func parseRange(s string) (versionRange, error) {
	var r versionRange
	for alt := range strings.SplitSeq(s, "||") {
		fields := strings.Fields(alt)
		if len(fields) == 0 {
			return nil, fmt.Errorf("range %q has an empty alternative", s)
		}
		var all []comparison
		for _, f := range fields {
			m := comparisonRe.FindStringSubmatch(f)
			if m == nil {
				return nil, fmt.Errorf("range %q: %q is no comparison", s, f)
			}
			v, err := version.ParseSemantic(m[2])
			if err != nil {
				return nil, fmt.Errorf("range %q: %w", s, err)
			}
			op := m[1]
			if op == "" {
				op = "="
			}
			all = append(all, comparison{op: op, v: v})
		}
		r = append(r, all)
	}
	return r, nil
}

func (c comparison) holds(v *version.Version) bool {
	switch c.op {
	case ">=":
		return v.AtLeast(c.v)
	case ">":
		return v.GreaterThan(c.v)
	case "<=":
		return !v.GreaterThan(c.v)
	case "<":
		return v.LessThan(c.v)
	default:
		return v.EqualTo(c.v)
	}
}

// contains says whether v is in the range (never for a nil v).
func (r versionRange) contains(v *version.Version) bool {
	if v == nil {
		return false
	}
	for _, alt := range r {
		if !slices.ContainsFunc(alt, func(c comparison) bool { return !c.holds(v) }) {
			return true
		}
	}
	return false
}

func (r versionRange) containsAny(vs []*version.Version) bool {
	return slices.ContainsFunc(vs, r.contains)
}

// containsAll is contains, with a nil v meaning every checkpoint.
func (r versionRange) containsAll(v *version.Version, checkpoints []*version.Version) bool {
	if v != nil {
		return r.contains(v)
	}
	return len(r) > 0 && !slices.ContainsFunc(checkpoints, func(c *version.Version) bool { return !r.contains(c) })
}
