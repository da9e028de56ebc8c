package catalog

import (
	"k8s.io/apimachinery/pkg/util/version"
)

// Antrea is one Antrea installation as far as its metrics go.
//
// The zero value is an Antrea of unknown version with its features not read:
// it serves the families every release serves, with the default features.
type Antrea struct {
	// Version is the release (ParseVersion); nil when unknown.
	Version *version.Version
	// Features are what its confs say; when not Known, DefaultFeatures of
	// Version apply.
	Features Features
}

// features returns the Features in force.
func (a Antrea) features() Features {
	if !a.Features.Known {
		return DefaultFeatures(a.Version)
	}
	return a.Features
}

// Holds says whether a condition holds for this Antrea. OVSMeters, a
// property of each Node, always counts as holding.
func (a Antrea) Holds(c Condition) bool {
	f := a.features()
	switch c {
	case "", OVSMeters:
		return true
	case AntreaProxy:
		return f.AntreaProxy
	case FlowExporter:
		return f.FlowExporter
	case NodeIPAM:
		return f.NodeIPAM
	case AntreaPolicy:
		return f.AntreaPolicy
	default:
		return false
	}
}

// serves says whether this Antrea has the family: exported, in its release
// (every release when the version is unknown) and registered.
func (a Antrea) serves(f Family) bool {
	return !f.NeverExported && f.InRelease(a.Version) && a.Holds(f.RegisteredIf)
}

// Served returns the families this Antrea has, by name, whether or not they
// have series yet.
func (a Antrea) Served() []Family {
	var out []Family
	for _, f := range std.families {
		if a.serves(f) {
			out = append(out, f)
		}
	}
	return out
}

// Expected returns the families a scrape of this Antrea finds with at least
// one series from the start, by name: the ones it serves that are not
// SeriesOnUse (at v1.13.0 the OVS meter family is not expected). With the
// version unknown, only families every release serves are. Families that
// stay at 0 (Dormant) are expected all the same.
func (a Antrea) Expected() []Family {
	var out []Family
	for _, f := range std.families {
		if a.serves(f) && !f.seriesOnUseAt(a.Version) {
			out = append(out, f)
		}
	}
	return out
}

// Dormant is a group of families this Antrea serves whose values stay at 0
// because a condition does not hold.
type Dormant struct {
	// Condition is the condition that does not hold.
	Condition Condition
	// Families are their names, sorted.
	Families []string
	// Message says why, for a status condition: stable text, no names of
	// objects and no times.
	Message string
}

// Dormant returns, per condition that does not hold (FlowExporter first,
// then AntreaPolicy), the served families held at 0 by it.
func (a Antrea) Dormant() []Dormant {
	var out []Dormant
	for _, c := range []Condition{FlowExporter, AntreaPolicy} {
		if a.Holds(c) {
			continue
		}
		d := Dormant{Condition: c, Message: a.dormantMessage(c)}
		for _, f := range std.families {
			if f.MovesIf == c && a.serves(f) {
				d.Families = append(d.Families, f.Name)
			}
		}
		if len(d.Families) > 0 {
			out = append(out, d)
		}
	}
	return out
}

func (a Antrea) dormantMessage(c Condition) string {
	if c == AntreaPolicy {
		return "The feature gate AntreaPolicy is off: Antrea-native policy status updates and the FQDN cache stay at 0."
	}
	f, v := a.features(), a.Version
	switch {
	case !f.FlowExporterGate:
		return "The agents' feature gate FlowExporter is off: the conntrack, denied-connection and flow collector families stay at 0."
	case v == nil || v.AtLeast(v2_6_0):
		return "The agents' feature gate FlowExporter is on but flowExporter.enable is false: conntrack is then polled only while a " +
			"FlowExporterDestination exists, which the operator does not read, so the conntrack, denied-connection and flow collector " +
			"families count as staying at 0."
	default:
		return "The agents' flowExporter.enable is false: the conntrack, denied-connection and flow collector families stay at 0."
	}
}

// Serves says whether this Antrea has the family of a name (a family or one
// of its series, see Lookup) at all: in its release and registered. With the
// version unknown, only families every release serves count.
func (a Antrea) Serves(name string) bool {
	f, ok := Lookup(name)
	return ok && a.serves(f)
}

// Live says whether the family of a name is served and its values can
// move: its MovesIf condition holds.
func (a Antrea) Live(name string) bool {
	f, ok := Lookup(name)
	return ok && a.serves(f) && a.Holds(f.MovesIf)
}
