package catalog

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/version"
)

// Confs as Antrea ships them: gates commented out (featureGates is null),
// the switches explicit.
const (
	shippedAgentConf = `# FeatureGates is a map of feature names to bools that enable or disable experimental features.
featureGates:
# Enable AntreaProxy which provides ServiceLB for in-cluster Services.
#  AntreaProxy: true

# Enable flowexporter which exports polled conntrack connections as IPFIX flow records from each
# agent to a configured collector.
#  FlowExporter: false
#  AntreaPolicy: true

enablePrometheusMetrics: true
antreaProxy:
  # To disable AntreaProxy, set this to false.
  enable: true
  proxyAll: false
flowExporter:
  # Enable FlowExporter, a feature used to export polled conntrack connections as
  # IPFIX flow records from each agent to a configured collector.
  enable: false
  flowCollectorAddr: "flow-aggregator/flow-aggregator:14739:grpc"
  flowPollInterval: "5s"
`
	shippedControllerConf = `featureGates:
#  AntreaPolicy: true
#  NodeIPAM: true
enablePrometheusMetrics: true
nodeIPAM:
  enableNodeIPAM: false
  clusterCIDRs: []
selfSignedCert: true
`
)

func TestFeaturesFromConf(t *testing.T) {
	def := Features{Known: true, AntreaProxy: true, AntreaPolicy: true}
	with := func(mod func(*Features)) Features { f := def; mod(&f); return f }
	for _, tc := range []struct {
		name              string
		version           string // "" = unknown
		agent, controller string
		want              Features
	}{
		{"absent confs", "2.7.0", "", "", def},
		{"shipped confs", "2.7.0", shippedAgentConf, shippedControllerConf, def},
		{"shipped confs, unknown version", "", shippedAgentConf, shippedControllerConf, def},
		{"featureGates null", "1.6.0", "featureGates: null\n", "featureGates:\n", def},

		// FlowExporter: the gate alone before v1.13.0, the gate and the
		// switch after; the switch only adds a destination from v2.6.0.
		{"FE gate, v1.12", "1.12.0", "featureGates:\n  FlowExporter: true\n", "",
			with(func(f *Features) { f.FlowExporter, f.FlowExporterGate = true, true })},
		{"FE switch unknown to v1.12", "1.12.0", "flowExporter:\n  enable: true\n", "", def},
		{"FE gate without switch, v1.13", "1.13.0", "featureGates:\n  FlowExporter: true\n", "",
			with(func(f *Features) { f.FlowExporterGate = true })},
		{"FE gate and switch, v1.13", "1.13.0", "featureGates:\n  FlowExporter: true\nflowExporter:\n  enable: true\n", "",
			with(func(f *Features) { f.FlowExporter, f.FlowExporterGate = true, true })},
		{"FE switch without gate, v2.5", "2.5.0", "flowExporter:\n  enable: true\n", "", def},
		{"FE gate, switch false, v2.6", "2.6.0", "featureGates:\n  FlowExporter: true\nflowExporter:\n  enable: false\n", "",
			with(func(f *Features) { f.FlowExporterGate = true })},
		{"FE gate and switch, v2.7", "2.7.0", "featureGates:\n  FlowExporter: true\nflowExporter:\n  enable: true\n", "",
			with(func(f *Features) { f.FlowExporter, f.FlowExporterGate = true, true })},
		{"AllAlpha turns FE's gate on", "2.7.0", "featureGates:\n  AllAlpha: true\nflowExporter:\n  enable: true\n", "",
			with(func(f *Features) { f.FlowExporter, f.FlowExporterGate = true, true })},
		{"explicit gate beats AllAlpha", "2.7.0", "featureGates:\n  AllAlpha: true\n  FlowExporter: false\nflowExporter:\n  enable: true\n", "", def},
		{"AllBeta leaves the alpha FE gate", "2.7.0", "featureGates:\n  AllBeta: true\nflowExporter:\n  enable: true\n", "", def},

		// AntreaProxy: the gate (beta, then GA from v1.14.0), and
		// antreaProxy.enable from v1.14.0.
		{"AP gate off", "1.6.0", "featureGates:\n  AntreaProxy: false\n", "", with(func(f *Features) { f.AntreaProxy = false })},
		{"AP switch unknown to v1.13", "1.13.0", "antreaProxy:\n  enable: false\n", "", def},
		{"AP switch off, v1.14", "1.14.0", "antreaProxy:\n  enable: false\n", "", with(func(f *Features) { f.AntreaProxy = false })},
		{"AP switch off, unknown version", "", "antreaProxy:\n  enable: false\n", "", with(func(f *Features) { f.AntreaProxy = false })},
		{"AllBeta false turns beta AP off", "1.13.0", "featureGates:\n  AllBeta: false\n", "",
			with(func(f *Features) { f.AntreaProxy, f.AntreaPolicy = false, false })},
		{"AllBeta false leaves GA AP", "1.14.0", "featureGates:\n  AllBeta: false\n", "",
			with(func(f *Features) { f.AntreaPolicy = false })},

		// NodeIPAM: the controller's gate (alpha and off before v1.12.0,
		// beta and on from it) and enableNodeIPAM.
		{"NodeIPAM switch, v1.11", "1.11.0", "", "nodeIPAM:\n  enableNodeIPAM: true\n", def},
		{"NodeIPAM switch and gate, v1.11", "1.11.0", "", "featureGates:\n  NodeIPAM: true\nnodeIPAM:\n  enableNodeIPAM: true\n",
			with(func(f *Features) { f.NodeIPAM = true })},
		{"NodeIPAM switch and AllAlpha, v1.11", "1.11.0", "", "featureGates:\n  AllAlpha: true\nnodeIPAM:\n  enableNodeIPAM: true\n",
			with(func(f *Features) { f.NodeIPAM = true })},
		{"NodeIPAM switch, v1.12", "1.12.0", "", "nodeIPAM:\n  enableNodeIPAM: true\n", with(func(f *Features) { f.NodeIPAM = true })},
		{"NodeIPAM switch, AllBeta false, v1.12", "1.12.0", "",
			"featureGates:\n  AllBeta: false\n  AntreaPolicy: true\nnodeIPAM:\n  enableNodeIPAM: true\n", def},
		{"NodeIPAM gate in the agent's conf only", "1.11.0", "featureGates:\n  NodeIPAM: true\n", "nodeIPAM:\n  enableNodeIPAM: true\n", def},

		// AntreaPolicy needs both confs.
		{"AntreaPolicy off in the controller", "2.7.0", "", "featureGates:\n  AntreaPolicy: false\n",
			with(func(f *Features) { f.AntreaPolicy = false })},
		{"AntreaPolicy off in the agent", "2.7.0", "featureGates:\n  AntreaPolicy: false\n", "",
			with(func(f *Features) { f.AntreaPolicy = false })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ver *version.Version
			if tc.version != "" {
				ver = v(tc.version)
			}
			got, err := FeaturesFromConf(ver, tc.agent, tc.controller)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("FeaturesFromConf (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFeaturesFromConfErrors(t *testing.T) {
	for _, tc := range []struct {
		name, agent, controller, want string
	}{
		{"agent not YAML", "featureGates: [\n", "", "antrea-agent.conf"},
		{"agent a list", "- a\n- b\n", "", "antrea-agent.conf"},
		{"gate not a bool", "featureGates:\n  FlowExporter: maybe\n", "", "antrea-agent.conf"},
		{"controller not YAML", "", "nodeIPAM: {enableNodeIPAM: true\n", "antrea-controller.conf"},
		{"controller switch not a bool", "", "nodeIPAM:\n  enableNodeIPAM: [true]\n", "antrea-controller.conf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FeaturesFromConf(v("2.7.0"), tc.agent, tc.controller)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("FeaturesFromConf() = %v, want an error naming %s", err, tc.want)
			}
		})
	}
}

func TestDefaultFeatures(t *testing.T) {
	want := Features{Known: true, AntreaProxy: true, AntreaPolicy: true}
	for _, r := range []string{"1.6.0", "1.11.0", "1.12.0", "1.13.0", "1.14.0", "2.6.0", "2.7.0"} {
		if diff := cmp.Diff(want, DefaultFeatures(v(r))); diff != "" {
			t.Errorf("DefaultFeatures(%s) (-want +got):\n%s", r, diff)
		}
	}
	if diff := cmp.Diff(want, DefaultFeatures(nil)); diff != "" {
		t.Errorf("DefaultFeatures(nil) (-want +got):\n%s", diff)
	}
}
