package render

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/observed"
)

// Mode is one kind of Prometheus setup. Everything the operator knows about
// a mode lives in the type implementing it (one file each) and its line in
// Modes; the controller only gathers, calls these, applies and prunes.
// Implementations are pure: no client, clock or randomness, and they change
// none of their arguments.
type Mode interface {
	// Plan checks the mode's preconditions against the observed cluster
	// and returns where the mode delivers (see Target). A returned verdict
	// (not OK) blocks the apply: the objects of the mode in place stay as
	// they are; the controller reports it as ScrapeConfigured.
	Plan(am *monitoringv1alpha1.AntreaMonitoring, c *observed.Cluster) (Target, *Verdict)
	// Render returns the mode's objects and what the controller needs to
	// know about them.
	Render(in Input) (Rendered, error)
	// Verdicts are the mode's judgements once its objects are applied:
	// whether the scrape configuration is in force and, for a mode that
	// runs Prometheus, whether it is ready.
	Verdicts(in Input, r Rendered, c *observed.Cluster) Verdicts
}

// Verdict is a mode's judgement on one thing it checks: the controller's
// status file makes it a condition. Reason is one of api/v1alpha1's reasons;
// Message names objects and settings only, never times or counts that move,
// so an unchanged world gives an unchanged verdict.
type Verdict struct {
	OK      bool
	Reason  string
	Message string
}

// Verdicts are a mode's verdicts once applied.
type Verdicts struct {
	// Scrape: the scrape configuration is delivered and in force
	// (ScrapeConfigured).
	Scrape Verdict
	// PrometheusReady: the Prometheus the mode runs (mode Managed) is
	// ready; nil for a mode that runs none.
	PrometheusReady *Verdict
}

// Target is what a mode's Plan chose: where it delivers, with its settings.
type Target struct {
	// Prometheus is what status.prometheus reports: the managed
	// Deployment, or the prometheus-operator Prometheus (or PrometheusAgent).
	Prometheus *monitoringv1alpha1.ObjectReference
	// PrometheusKind is its kind (status.prometheusKind): Deployment,
	// Prometheus or PrometheusAgent.
	PrometheusKind string
	// Managed holds the managed Prometheus's settings, defaults applied.
	Managed monitoringv1alpha1.ManagedPrometheus
	// ScrapeConfig is where a plain Prometheus gets its jobs.
	ScrapeConfig monitoringv1alpha1.ScrapeConfigTarget
	// PrometheusOperator holds what the prometheus-operator mode needs.
	PrometheusOperator PrometheusOperatorInput
}

// For returns in with the mode's target filled in.
func (in Input) For(t Target) Input {
	in.Prometheus, in.Managed, in.ScrapeConfig, in.PrometheusOperator = t.Prometheus, t.Managed, t.ScrapeConfig, t.PrometheusOperator
	return in
}

// Modes is the registry of modes (Auto is resolved before it is used).
var Modes = map[monitoringv1alpha1.PrometheusMode]Mode{
	monitoringv1alpha1.ModeManaged:            managedMode{},
	monitoringv1alpha1.ModeScrapeConfig:       scrapeConfigMode{},
	monitoringv1alpha1.ModePrometheusOperator: prometheusOperatorMode{},
}

// Rendered is a mode's render: the objects to create (Tigera's "objects to
// create") and the kinds to search for objects to delete, with what the
// controller needs to check and report on them.
type Rendered struct {
	// Objects the mode wants, labelled and owned.
	Objects []client.Object
	// Prune are the kinds whose objects of this AntreaMonitoring that are
	// not in Objects must go: what this mode's siblings (or an earlier
	// render) may have left behind.
	Prune []Kind
	// Namespaces the objects need, created when missing (never deleted).
	Namespaces []string
	// Namespace is the mode's own namespace (the dashboard's default).
	Namespace string
	// Pools are the mode's scrape pools, as Prometheus names them.
	Pools []Pool
	// ScrapeAs is the ServiceAccount whose token Prometheus scrapes Antrea
	// with (what must be allowed to get /metrics).
	ScrapeAs monitoringv1alpha1.ObjectReference
	// Selected are the objects (of Objects) a prometheus-operator
	// Prometheus must select.
	Selected []client.Object
	// Endpoint is where the mode's Prometheus serves its HTTP API.
	Endpoint Endpoint
}

// Pool is one scrape pool and the Antrea component it scrapes.
type Pool struct {
	Name string
	// Component is antrea-controller or antrea-agent (the pods' component label).
	Component string
}

// The components of Antrea, as their pods' component label says.
const (
	ComponentController = "antrea-controller"
	ComponentAgent      = "antrea-agent"
)

// antreaPools are the pools of the jobs of Antrea's guide.
var antreaPools = []Pool{{Name: ControllersJob, Component: ComponentController}, {Name: AgentsJob, Component: ComponentAgent}}

// Endpoint is a Prometheus to query for scrape health: a Service, or the
// pods of a prometheus-operator Prometheus (one per shard).
type Endpoint struct {
	// PrometheusObject, in mode PrometheusOperator, is the Prometheus (or
	// PrometheusAgent, see Kind) object in Namespace whose pods answer
	// (every shard is asked).
	PrometheusObject string
	// Kind is PrometheusObject's kind (promop.PrometheusKind when empty).
	Kind string
	// Shards of that Prometheus: every one is asked.
	Shards             int32
	Namespace, Service string
	Port               int32
	// PortName is the Service port's name (for the API server's proxy),
	// or the web port's name on the pods of PrometheusObject.
	PortName string
	// Unknown, when the mode cannot know where Prometheus is, says what the
	// user must set (spec.prometheus.url).
	Unknown string
	// Agent: a Prometheus in agent mode, which serves its targets API but
	// no query API (missing metric families cannot be asked for).
	Agent bool
}

// ControllerCA returns the CA the controller job verifies with (antrea-ca's
// ca.crt), or a blocking verdict (ScrapeConfigured) when it is missing or holds no
// certificate: rendering the job without it would break the controller's
// scrape (or, in mode PrometheusOperator, have the monitor rejected).
func ControllerCA(cm *corev1.ConfigMap, antreaNamespace string) (string, *Verdict) {
	const fix = "antrea-controller publishes it at start-up and when it rotates its certificate; set spec.antrea.insecureSkipVerify: true to scrape the controller without verification (insecure)"
	if cm == nil {
		return "", scrapeBlocked(monitoringv1alpha1.ReasonAntreaCANotFound, fmt.Sprintf(
			"ConfigMap %s/%s, whose key %s the controller job verifies antrea-controller's certificate with, does not exist: %s.", antreaNamespace, AntreaCAConfigMap, AntreaCAConfigMapKey, fix))
	}
	pemData := cm.Data[AntreaCAConfigMapKey]
	if !holdsCertificate(pemData) {
		return "", scrapeBlocked(monitoringv1alpha1.ReasonAntreaCANotFound, fmt.Sprintf(
			"Key %s of ConfigMap %s/%s holds no PEM certificate, so the controller job could not verify antrea-controller: %s.", AntreaCAConfigMapKey, antreaNamespace, AntreaCAConfigMap, fix))
	}
	return pemData, nil
}

// holdsCertificate says whether s has at least one PEM certificate that parses.
func holdsCertificate(s string) bool {
	rest := []byte(s)
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return false
		}
		if b.Type == "CERTIFICATE" {
			if _, err := x509.ParseCertificate(b.Bytes); err == nil {
				return true
			}
		}
	}
}

// Served says whether objects of kind k can be read and written: always
// for Kubernetes' own kinds, once its CRD is served for other projects'.
func (k Kind) Served(c *observed.Cluster) bool {
	switch {
	case k.PrometheusOperator:
		return c.PrometheusOperator.ServesCRD(k.CRD)
	case k.CRD != "":
		return c.Established[k.CRD]
	default:
		return true
	}
}

// Prometheus renders the objects of in.Mode (see Render).
func Prometheus(in Input) ([]client.Object, error) {
	r, err := Render(in)
	return r.Objects, err
}

// Render renders in.Mode: the mode's objects, and the dashboard when asked
// for. Every object carries the operator's labels and OwnerLabel, and an
// ownerReference to the AntreaMonitoring unless its kind is retained.
func Render(in Input) (Rendered, error) {
	mode, ok := Modes[in.Mode]
	if !ok {
		return Rendered{}, fmt.Errorf("cannot render mode %q", in.Mode)
	}
	r, err := mode.Render(in)
	if err != nil {
		return Rendered{}, fmt.Errorf("rendering mode %s: %w", in.Mode, err)
	}
	if in.Dashboard {
		ns := in.DashboardNamespace
		if ns == "" {
			ns = r.Namespace
		}
		r.Objects = append(r.Objects, dashboards(in, ns)...)
	}
	for _, o := range r.Objects {
		o.SetLabels(MonitorLabels(in.Owner.Name, o.GetLabels()))
		if k, _ := KindFor(o.GetObjectKind().GroupVersionKind()); !k.Retained {
			o.SetOwnerReferences(ownedBy(in.Owner))
		}
	}
	r.Prune = prunedKinds()
	return r, nil
}

// prunedKinds are the kinds any mode may create per AntreaMonitoring and
// that are pruned: a mode switch leaves the previous mode's objects behind.
func prunedKinds() []Kind {
	var out []Kind
	for _, k := range Kinds {
		if k.Pruned {
			out = append(out, k)
		}
	}
	return out
}

// scrapeApplied is the verdict of a scrape configuration in force.
func scrapeApplied(message string) Verdict {
	return Verdict{OK: true, Reason: monitoringv1alpha1.ReasonScrapeApplied, Message: message}
}

// scrapeBlocked is the verdict of a scrape configuration that cannot be
// applied, or is applied but not in force.
func scrapeBlocked(reason, message string) *Verdict {
	return &Verdict{Reason: reason, Message: message}
}
