package catalog

import (
	"fmt"

	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/util/version"
)

// Features is what an Antrea's confs say about the conditions families
// depend on, each with Antrea's defaults for the version applied.
type Features struct {
	// Known: the features were read from the confs or set to a version's
	// defaults. A zero Features (Known false) means "not read": an Antrea
	// holding one uses DefaultFeatures of its version instead.
	Known bool
	// AntreaProxy: AntreaProxy runs in the agents.
	AntreaProxy bool
	// FlowExporter: the agents' flow exporter polls conntrack, as far as the
	// confs tell. From v2.6.0 the poller runs while the exporter has a
	// destination: the static one (flowExporter.enable) or a
	// FlowExporterDestination object, which the operator does not read, so
	// FlowExporter is then gate && flowExporter.enable.
	FlowExporter bool
	// FlowExporterGate: the agents' feature gate FlowExporter is on (the
	// Dormant message says why the poller counts as off).
	FlowExporterGate bool
	// NodeIPAM: antrea-controller allocates Node Pod CIDRs.
	NodeIPAM bool
	// AntreaPolicy: the gate AntreaPolicy is on in both confs (the agent's
	// decides the FQDN cache, the controller's the status updates; Antrea
	// needs it on both sides to enforce its own policies).
	AntreaPolicy bool
}

// DefaultFeatures are the features of Antrea v with no conf edits (nil v:
// the newest release's defaults, which no release differs from).
func DefaultFeatures(v *version.Version) Features {
	f, _ := FeaturesFromConf(v, "", "")
	return f
}

// Conf file names, as Antrea's ConfigMap keys them.
const (
	AgentConfFile      = "antrea-agent.conf"
	ControllerConfFile = "antrea-controller.conf"
)

// Gate maturity, which decides what AllAlpha and AllBeta turn on.
type stage int

const (
	alpha stage = iota
	beta
	ga
)

// gateAt returns the stage and default of an Antrea feature gate at v.
func gateAt(gate string, v *version.Version) (stage, bool) {
	switch gate {
	case "AntreaProxy":
		if v.AtLeast(v1_14_0) {
			return ga, true
		}
		return beta, true
	case "NodeIPAM":
		if v.AtLeast(v1_12_0) {
			return beta, true
		}
		return alpha, false
	case "AntreaPolicy":
		return beta, true
	default: // FlowExporter
		return alpha, false
	}
}

var (
	v1_12_0 = version.MustParseSemantic("1.12.0")
	v1_13_0 = version.MustParseSemantic("1.13.0")
	v1_14_0 = version.MustParseSemantic("1.14.0")
	v2_6_0  = version.MustParseSemantic("2.6.0")
)

// gates is a conf's featureGates (null when every gate is commented out).
type gates map[string]bool

// enabled resolves a gate as component-base's featuregate does: an explicit
// value, else AllAlpha / AllBeta for a gate at that stage, else the default.
func (g gates) enabled(gate string, v *version.Version) bool {
	if on, ok := g[gate]; ok {
		return on
	}
	st, def := gateAt(gate, v)
	if on, ok := g["AllAlpha"]; ok && st == alpha {
		return on
	}
	if on, ok := g["AllBeta"]; ok && st == beta {
		return on
	}
	return def
}

type agentConf struct {
	FeatureGates gates `yaml:"featureGates"`
	AntreaProxy  struct {
		Enable *bool `yaml:"enable"`
	} `yaml:"antreaProxy"`
	FlowExporter struct {
		Enable *bool `yaml:"enable"`
	} `yaml:"flowExporter"`
}

type controllerConf struct {
	FeatureGates gates `yaml:"featureGates"`
	NodeIPAM     struct {
		EnableNodeIPAM *bool `yaml:"enableNodeIPAM"`
	} `yaml:"nodeIPAM"`
}

// FeaturesFromConf reads the features from the text of antrea-agent.conf
// and antrea-controller.conf of Antrea v; an empty text is a conf that sets
// nothing, so Antrea's defaults apply. A nil v reads the confs as the newest
// release does. Commented-out lines and a featureGates left null mean the
// defaults; AllAlpha and AllBeta apply to the gates at that stage in v that
// are not set explicitly. Keys a release does not know are ignored
// (antreaProxy.enable before v1.14.0, flowExporter.enable before v1.13.0).
// A conf that is no YAML mapping is an error naming the file.
func FeaturesFromConf(v *version.Version, agentText, controllerText string) (Features, error) {
	if v == nil {
		v = std.checkpoints[len(std.checkpoints)-1]
	}
	var agent agentConf
	if err := yaml.Unmarshal([]byte(agentText), &agent); err != nil {
		return Features{}, fmt.Errorf("reading %s: %w", AgentConfFile, err)
	}
	var controller controllerConf
	if err := yaml.Unmarshal([]byte(controllerText), &controller); err != nil {
		return Features{}, fmt.Errorf("reading %s: %w", ControllerConfFile, err)
	}
	or := func(b *bool, def bool) bool {
		if b == nil {
			return def
		}
		return *b
	}
	f := Features{Known: true}

	f.AntreaProxy = agent.FeatureGates.enabled("AntreaProxy", v)
	if v.AtLeast(v1_14_0) {
		f.AntreaProxy = f.AntreaProxy && or(agent.AntreaProxy.Enable, true)
	}

	f.FlowExporterGate = agent.FeatureGates.enabled("FlowExporter", v)
	f.FlowExporter = f.FlowExporterGate
	if v.AtLeast(v1_13_0) {
		// Before v2.6.0 the switch runs the exporter; from v2.6.0 it adds
		// the static destination, the only one the confs can tell of.
		f.FlowExporter = f.FlowExporter && or(agent.FlowExporter.Enable, false)
	}

	f.NodeIPAM = controller.FeatureGates.enabled("NodeIPAM", v) && or(controller.NodeIPAM.EnableNodeIPAM, false)
	f.AntreaPolicy = agent.FeatureGates.enabled("AntreaPolicy", v) && controller.FeatureGates.enabled("AntreaPolicy", v)
	return f, nil
}
