package render

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	promv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/observed"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/promop"
)

// prometheusOperatorMode hands monitors (or ScrapeConfig objects) to
// prometheus-operator (mode PrometheusOperator).
type prometheusOperatorMode struct{}

// PrometheusOperatedService is the headless Service prometheus-operator
// puts in front of every Prometheus's pods.
const PrometheusOperatedService = "prometheus-operated"

// Plan chooses the collector (a Prometheus or a PrometheusAgent object) and
// the monitors' namespace.
func (prometheusOperatorMode) Plan(am *monitoringv1alpha1.AntreaMonitoring, c *observed.Cluster) (Target, *Verdict) {
	spec := am.Spec.Prometheus.PrometheusOperator
	if spec == nil {
		spec = &monitoringv1alpha1.PrometheusOperatorTarget{}
	}
	if !c.PrometheusOperator.Served {
		return Target{}, scrapeBlocked(monitoringv1alpha1.ReasonPrometheusNotFound, "prometheus-operator's CRDs (monitoring.coreos.com) are not installed.")
	}
	var ref promop.Ref
	switch {
	case spec.Prometheus != nil:
		ref = promop.Ref{Kind: promop.PrometheusKind, Namespace: spec.Prometheus.Namespace, Name: spec.Prometheus.Name}
	case spec.PrometheusAgent != nil:
		ref = promop.Ref{Kind: promop.PrometheusAgentKind, Namespace: spec.PrometheusAgent.Namespace, Name: spec.PrometheusAgent.Name}
	}
	prom, ambiguous, why := promop.Choose(promop.Collectors(c.PrometheusOperator.Prometheuses, c.PrometheusOperator.Agents), ref.Kind, ref.Namespace, ref.Name)
	if prom == nil {
		reason := monitoringv1alpha1.ReasonPrometheusNotFound
		if ambiguous {
			reason = monitoringv1alpha1.ReasonAmbiguousPrometheus
		}
		return Target{}, scrapeBlocked(reason, why)
	}
	labels := make(map[string]string, len(spec.Labels))
	for k, v := range spec.Labels {
		labels[k] = string(v)
	}
	if len(labels) == 0 {
		labels = nil
	}
	p := PrometheusOperatorInput{
		Namespace:                defaultString(spec.Namespace, prom.Namespace),
		Labels:                   labels,
		UseScrapeConfig:          spec.UseScrapeConfig,
		Prometheus:               prom.Ref,
		PrometheusServiceAccount: monitoringv1alpha1.ObjectReference{Namespace: prom.Namespace, Name: promop.ServiceAccount(prom)},
		Shards:                   promop.Shards(prom),
		PortName:                 promop.PortName(prom),
		ListenLocal:              prom.Spec.ListenLocal,
	}
	crd := ServiceMonitorCRD
	if spec.UseScrapeConfig {
		crd = ScrapeConfigCRD
	}
	p.EndpointSlice = promop.EndpointSliceDiscovery(c.PrometheusOperator.Versions[crd])
	if old := TooOld(am, c.PrometheusOperator.Versions); len(old) > 0 {
		return Target{}, tooOldVerdict(old)
	}
	target := Target{PrometheusOperator: p, Prometheus: &monitoringv1alpha1.ObjectReference{Namespace: p.Prometheus.Namespace, Name: p.Prometheus.Name},
		PrometheusKind: prom.Kind}
	if c.Namespaces[p.Namespace] == nil {
		return target, scrapeBlocked(monitoringv1alpha1.ReasonNamespaceNotFound, fmt.Sprintf(
			"Namespace %s for the monitors (spec.prometheus.prometheusOperator.namespace, or the %s's namespace) does not exist.", p.Namespace, prom.Kind))
	}
	return target, nil
}

// Render renders the monitors (or ScrapeConfig objects), the metrics
// reader and its token, the binding and the rules. A PrometheusAgent is
// asked to select the monitors only: it evaluates no rules (the
// PrometheusRule is for a ruler that selects it).
func (prometheusOperatorMode) Render(in Input) (Rendered, error) {
	p := in.PrometheusOperator
	objs := prometheusOperator(in)
	// What the Prometheus must select: the monitors, then the rules.
	var selected, rules []client.Object
	for _, o := range objs {
		switch o.GetObjectKind().GroupVersionKind().Kind {
		case "ServiceMonitor", "PodMonitor", "ScrapeConfig":
			selected = append(selected, o)
		case "PrometheusRule":
			rules = append(rules, o)
		}
	}
	if !p.Prometheus.Agent() {
		selected = append(selected, rules...)
	}
	n := NamesFor(in.Owner.Name)
	pools := []Pool{{Name: "serviceMonitor/" + p.Namespace + "/" + n.ControllerMonitor() + "/0", Component: ComponentController},
		{Name: "podMonitor/" + p.Namespace + "/" + n.AgentMonitor() + "/0", Component: ComponentAgent}}
	if p.UseScrapeConfig {
		pools = []Pool{{Name: "scrapeConfig/" + p.Namespace + "/" + n.ControllerMonitor(), Component: ComponentController},
			{Name: "scrapeConfig/" + p.Namespace + "/" + n.AgentMonitor(), Component: ComponentAgent}}
	}
	return Rendered{
		Objects:   objs,
		Namespace: p.Namespace,
		Pools:     pools,
		Selected:  selected,
		ScrapeAs:  monitoringv1alpha1.ObjectReference{Namespace: p.Namespace, Name: n.MetricsReader()},
		Endpoint:  prometheusOperatorEndpoint(p),
	}, nil
}

// prometheusOperatorEndpoint asks the collector's pods on their web port,
// unless it listens on localhost only (spec.listenLocal): then only
// spec.prometheus.url can reach it. A PrometheusAgent serves its targets
// API but no query API.
func prometheusOperatorEndpoint(p PrometheusOperatorInput) Endpoint {
	if p.ListenLocal {
		return Endpoint{Agent: p.Prometheus.Agent(), Unknown: fmt.Sprintf("%s listens on localhost only (spec.listenLocal: true), so its pods cannot be asked from outside; set spec.prometheus.url to an address that reaches its API (e.g. a proxy beside it).",
			p.Prometheus)}
	}
	return Endpoint{Namespace: p.Prometheus.Namespace, PrometheusObject: p.Prometheus.Name, Kind: p.Prometheus.Kind, Shards: p.Shards, PortName: p.PortName, Agent: p.Prometheus.Agent()}
}

// Verdicts check that the collector selects what was rendered (its
// monitor, rule and scrapeConfig selectors and their namespace selectors)
// and that prometheus-operator accepted it.
func (prometheusOperatorMode) Verdicts(in Input, r Rendered, c *observed.Cluster) Verdicts {
	ref := in.PrometheusOperator.Prometheus
	prom, _, _ := promop.Choose(promop.Collectors(c.PrometheusOperator.Prometheuses, c.PrometheusOperator.Agents), ref.Kind, ref.Namespace, ref.Name)
	if prom == nil { // Plan chose it from the same cluster
		return Verdicts{Scrape: *scrapeBlocked(monitoringv1alpha1.ReasonPrometheusNotFound, ref.String()+" does not exist.")}
	}
	monitors := make([]promop.Monitor, 0, len(r.Selected))
	nsLabels := map[string]map[string]string{}
	for _, o := range r.Selected {
		monitors = append(monitors, promop.Monitor{Kind: o.GetObjectKind().GroupVersionKind().Kind, Namespace: o.GetNamespace(), Name: o.GetName(), Labels: o.GetLabels()})
		if ns := c.Namespaces[o.GetNamespace()]; ns != nil {
			nsLabels[ns.Name] = ns.Labels
		}
	}
	if problems := promop.SelectionProblems(prom, monitors, nsLabels); len(problems) > 0 {
		return Verdicts{Scrape: *scrapeBlocked(monitoringv1alpha1.ReasonNotSelectedByPrometheus, strings.Join(problems, "; ")+".")}
	}
	if rejected := rejections(r.Selected, c.PrometheusOperator, ref); len(rejected) > 0 {
		return Verdicts{Scrape: *scrapeBlocked(monitoringv1alpha1.ReasonRejectedByPrometheusOperator, strings.Join(rejected, "; ")+".")}
	}
	msg := fmt.Sprintf("The monitors in namespace %s are selected by the %s.", in.PrometheusOperator.Namespace, ref)
	if ref.Agent() && in.Alerts {
		msg += fmt.Sprintf(" A PrometheusAgent evaluates no rules: PrometheusRule %s/%s is there for a ruler that selects it (a ThanosRuler, or the remote store's ruler).", in.PrometheusOperator.Namespace, NamesFor(in.Owner.Name).Rules())
	}
	return Verdicts{Scrape: scrapeApplied(msg)}
}

// rejections lists the objects prometheus-operator did not accept for the
// Prometheus, with its reason and message: a binding to it whose Accepted
// condition is False, or, for an object without a binding to it (the
// StatusForConfigurationResources gate off), a confirmed InvalidConfiguration
// event. Such an object is left out of Prometheus's configuration although
// the Prometheus selects it.
func rejections(objs []client.Object, st observed.PrometheusOperator, prom promop.Ref) []string {
	var out []string
	for _, o := range objs {
		key := observed.ObjectKey(o)
		rejected := func(why string) {
			out = append(out, fmt.Sprintf("prometheus-operator rejected %s %s/%s for %s, so it is not in its configuration (%s)",
				o.GetObjectKind().GroupVersionKind().Kind, o.GetNamespace(), o.GetName(), prom, why))
		}
		bound := false
		for _, b := range st.Bindings[key] {
			if b.Resource != prom.Resource() || b.Namespace != prom.Namespace || b.Name != prom.Name {
				continue
			}
			bound = true
			for _, c := range b.Conditions {
				if c.Type == promv1.Accepted && c.Status == promv1.ConditionFalse {
					rejected(c.Reason + ": " + c.Message)
				}
			}
		}
		if bound {
			continue
		}
		for _, r := range st.Rejections[key] {
			if r.Kind == prom.Kind && r.Prometheus.Namespace == prom.Namespace && r.Prometheus.Name == prom.Name {
				rejected("its InvalidConfiguration event: " + r.Message)
			}
		}
	}
	return out
}

// prometheusOperator renders monitors (or ScrapeConfig objects) equivalent
// to the scrape jobs. prometheus-operator mounts no token file for
// PodMonitors, so the bearer token comes from a ServiceAccount token Secret
// of a metrics-reader ServiceAccount the operator creates beside them.
func prometheusOperator(in Input) []client.Object {
	p := in.PrometheusOperator
	n := NamesFor(in.Owner.Name)
	reader := monitoringv1alpha1.ObjectReference{Namespace: p.Namespace, Name: n.MetricsReader()}
	objs := []client.Object{
		&corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: meta(reader.Name, reader.Namespace)},
		&corev1.Secret{
			TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: metav1.ObjectMeta{Name: n.MetricsReaderToken(), Namespace: p.Namespace,
				Annotations: map[string]string{corev1.ServiceAccountNameKey: reader.Name}},
			Type: corev1.SecretTypeServiceAccountToken,
		},
		binding(n.PrometheusAntreaBinding(), PrometheusAntreaClusterRole, reader, p.PrometheusServiceAccount),
	}
	if in.Alerts {
		objs = append(objs, &promv1.PrometheusRule{
			TypeMeta:   metav1.TypeMeta{APIVersion: "monitoring.coreos.com/v1", Kind: "PrometheusRule"},
			ObjectMeta: metav1.ObjectMeta{Name: n.Rules(), Namespace: p.Namespace, Labels: maps.Clone(p.Labels)},
			Spec:       promv1.PrometheusRuleSpec{Groups: AlertRules(in.Antrea)},
		})
	}
	auth := &promv1.SafeAuthorization{Type: "Bearer", Credentials: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: n.MetricsReaderToken()}, Key: TokenKey}}
	tls := &promv1.SafeTLSConfig{InsecureSkipVerify: ptr.To(true)} // agents: see agentsTLS
	controllerTLS := tls
	if !in.InsecureSkipVerify {
		// prometheus-operator reads a CA only from the monitor's namespace:
		// a copy of antrea-ca lives next to the monitors.
		objs = append(objs, &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: meta(n.AntreaCA(), p.Namespace), Data: map[string]string{AntreaCAConfigMapKey: in.ControllerCA}})
		controllerTLS = &promv1.SafeTLSConfig{
			CA: promv1.SecretOrConfigMap{ConfigMap: &corev1.ConfigMapKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: n.AntreaCA()}, Key: AntreaCAConfigMapKey}},
			ServerName: ptr.To(ControllerServerName(in.AntreaNamespace)),
		}
	}
	keep := func(container string) promv1.RelabelConfig {
		return promv1.RelabelConfig{SourceLabels: []promv1.LabelName{"__meta_kubernetes_namespace", "__meta_kubernetes_pod_container_name"},
			Action: "keep", Regex: in.AntreaNamespace + ";" + container}
	}
	instance := promv1.RelabelConfig{SourceLabels: []promv1.LabelName{"__meta_kubernetes_pod_node_name", "__meta_kubernetes_pod_name"},
		Separator: ptr.To(";"), TargetLabel: "instance", Action: "replace"}
	// prometheus-operator labels a monitor's series job="<Service name>"
	// or "<namespace>/<PodMonitor>": relabelled to the guide's job names,
	// as in the other modes, so one rule file and one dashboard serve all.
	job := func(name string) promv1.RelabelConfig {
		return promv1.RelabelConfig{TargetLabel: "job", Replacement: ptr.To(name), Action: "replace"}
	}
	// Windows agents declare no port: no port selection, but their
	// port-less target gets the apiPort (portlessAgent).
	var portless []promv1.RelabelConfig
	for _, r := range portlessAgent(in.agentPort()) {
		portless = append(portless, promv1.RelabelConfig{SourceLabels: []promv1.LabelName{promv1.LabelName(r.SourceLabels[0]), promv1.LabelName(r.SourceLabels[1])},
			Regex: r.Regex, TargetLabel: r.TargetLabel, Replacement: ptr.To(r.Replacement), Action: "replace"})
	}
	agentRelabels := slices.Concat([]promv1.RelabelConfig{keep("antrea-agent")}, portless, []promv1.RelabelConfig{instance, job(AgentsJob)})
	if p.UseScrapeConfig {
		return append(objs, scrapeConfigObjects(in, n, auth, controllerTLS, tls, keep, instance, portless)...)
	}
	interval := promv1.Duration(in.ScrapeInterval)
	return append(objs,
		&promv1.ServiceMonitor{
			TypeMeta:   metav1.TypeMeta{APIVersion: "monitoring.coreos.com/v1", Kind: "ServiceMonitor"},
			ObjectMeta: metav1.ObjectMeta{Name: n.ControllerMonitor(), Namespace: p.Namespace, Labels: maps.Clone(p.Labels)},
			Spec: promv1.ServiceMonitorSpec{
				// Service antrea carries only app=antrea, and its port has no name.
				Selector:             metav1.LabelSelector{MatchLabels: map[string]string{"app": "antrea"}},
				NamespaceSelector:    promv1.NamespaceSelector{MatchNames: []string{in.AntreaNamespace}},
				ServiceDiscoveryRole: serviceDiscoveryRole(p.EndpointSlice),
				SampleLimit:          in.Series.promOpSampleLimit(),
				Endpoints: []promv1.Endpoint{{
					TargetPort:           ptr.To(intstr.FromString("api")),
					Scheme:               ptr.To(monitorScheme),
					Interval:             interval,
					RelabelConfigs:       []promv1.RelabelConfig{keep("antrea-controller"), instance, job(ControllersJob)},
					MetricRelabelConfigs: in.Series.promOpRelabelings(),
					HTTPConfigWithProxyAndTLSFiles: promv1.HTTPConfigWithProxyAndTLSFiles{HTTPConfigWithTLSFiles: promv1.HTTPConfigWithTLSFiles{
						HTTPConfigWithoutTLS: promv1.HTTPConfigWithoutTLS{Authorization: auth},
						TLSConfig:            &promv1.TLSConfig{SafeTLSConfig: *controllerTLS},
					}},
				}},
			},
		},
		&promv1.PodMonitor{
			TypeMeta:   metav1.TypeMeta{APIVersion: "monitoring.coreos.com/v1", Kind: "PodMonitor"},
			ObjectMeta: metav1.ObjectMeta{Name: n.AgentMonitor(), Namespace: p.Namespace, Labels: maps.Clone(p.Labels)},
			Spec: promv1.PodMonitorSpec{
				Selector:          metav1.LabelSelector{MatchLabels: map[string]string{"app": "antrea", "component": "antrea-agent"}},
				NamespaceSelector: promv1.NamespaceSelector{MatchNames: []string{in.AntreaNamespace}},
				SampleLimit:       in.Series.promOpSampleLimit(),
				PodMetricsEndpoints: []promv1.PodMetricsEndpoint{{
					Scheme:               ptr.To(monitorScheme),
					Interval:             interval,
					RelabelConfigs:       agentRelabels,
					MetricRelabelConfigs: in.Series.promOpRelabelings(),
					HTTPConfigWithProxy: promv1.HTTPConfigWithProxy{HTTPConfig: promv1.HTTPConfig{
						HTTPConfigWithoutTLS: promv1.HTTPConfigWithoutTLS{Authorization: auth},
						TLSConfig:            tls,
					}},
				}},
			},
		},
	)
}

// scrapeConfigObjects are the ScrapeConfig (monitoring.coreos.com/v1alpha1)
// equivalents of the two jobs.
func scrapeConfigObjects(in Input, n Names, auth *promv1.SafeAuthorization, controllerTLS, agentTLS *promv1.SafeTLSConfig,
	keep func(string) promv1.RelabelConfig, instance promv1.RelabelConfig, portless []promv1.RelabelConfig) []client.Object {
	p := in.PrometheusOperator
	sc := func(name, job string, role promv1alpha1.KubernetesRole, selector, container string, tls *promv1.SafeTLSConfig, extra []promv1.RelabelConfig) *promv1alpha1.ScrapeConfig {
		return &promv1alpha1.ScrapeConfig{
			TypeMeta:   metav1.TypeMeta{APIVersion: "monitoring.coreos.com/v1alpha1", Kind: "ScrapeConfig"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: p.Namespace, Labels: maps.Clone(p.Labels)},
			Spec: promv1alpha1.ScrapeConfigSpec{
				JobName: ptr.To(job),
				KubernetesSDConfigs: []promv1alpha1.KubernetesSDConfig{{
					Role:       role,
					Namespaces: &promv1alpha1.NamespaceDiscovery{Names: []string{in.AntreaNamespace}},
					Selectors:  []promv1alpha1.K8SSelectorConfig{{Role: role, Label: ptr.To(selector)}},
				}},
				ScrapeInterval:       ptr.To(promv1.Duration(in.ScrapeInterval)),
				Scheme:               ptr.To(promv1.SchemeHTTPS),
				Authorization:        auth,
				TLSConfig:            tls,
				RelabelConfigs:       slices.Concat([]promv1.RelabelConfig{keep(container)}, extra, []promv1.RelabelConfig{instance}),
				MetricRelabelConfigs: in.Series.promOpRelabelings(),
				SampleLimit:          in.Series.promOpSampleLimit(),
			},
		}
	}
	controllersRole := promv1alpha1.KubernetesRoleEndpoint
	if p.EndpointSlice {
		controllersRole = promv1alpha1.KubernetesRoleEndpointSlice
	}
	return []client.Object{
		sc(n.ControllerMonitor(), ControllersJob, controllersRole, AntreaAppSelector, "antrea-controller", controllerTLS, nil),
		sc(n.AgentMonitor(), AgentsJob, promv1alpha1.KubernetesRolePod, AntreaAgentSelector, "antrea-agent", agentTLS, portless),
	}
}

// monitorScheme is the ServiceMonitor's and PodMonitor's scheme, in lower
// case: their CRDs took only "http" and "https" before prometheus-operator
// v0.87, and promv1.SchemeHTTPS ("HTTPS") was refused there (ScrapeConfig
// objects keep it: their CRD took upper case only until v0.87).
const monitorScheme = promv1.Scheme("https")

// serviceDiscoveryRole is the ServiceMonitor's discovery role: EndpointSlice
// where its CRD takes the field, else unset (the Prometheus's default).
func serviceDiscoveryRole(endpointSlice bool) *promv1.ServiceDiscoveryRole {
	if !endpointSlice {
		return nil
	}
	return ptr.To(promv1.EndpointSliceRole)
}
