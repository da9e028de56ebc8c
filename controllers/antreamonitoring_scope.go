package controllers

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apiextensions-apiserver/pkg/apihelpers"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/antrea"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/catalog"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/observed"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/promop"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
)

// scope is what one reconcile of one AntreaMonitoring works with: the
// object, what it read of the cluster (gathered up front, from the cache,
// before any write), and the time it started. The phases read what was
// gathered and never change it; each fills its part of status and of
// decided.
//
// Every read of a reconcile is made by gather, from the cache, except:
//   - the writes' own reads: the apply engine (internal/ssa) reads the
//     object it compares from the cache, and the API server only when a
//     create finds the object already there; a ConfigMap of Antrea's is
//     read again from the API server right before it is written (a write
//     with its resourceVersion as precondition, so an edit made meanwhile
//     is never lost); pruning lists the owner's objects from the cache;
//   - prometheus-operator's generated configuration (promop.ReadVerdicts,
//     API server), only while one of its InvalidConfiguration events about
//     an object of the operator's is not confirmed by a binding;
//   - the pods of a prometheus-operator Prometheus (API server), only when
//     a scrape-health check is due (the cache holds only the operator's
//     pods and Antrea's).
//
// An unchanged world thus makes no API call at all.
type scope struct {
	am  *monitoringv1alpha1.AntreaMonitoring
	all []monitoringv1alpha1.AntreaMonitoring
	// now is the clock's reading when the reconcile started.
	now time.Time

	// antrea is Antrea's configuration: its ConfigMaps and workloads.
	antrea antreaConfig
	// info is what Antrea reports about itself; infoErr says the read
	// failed (reported then holds what status last said instead).
	info    antreaInfo
	infoErr error
	// running is the Antrea the catalog judges metric families against:
	// its version and the features its confs turn on.
	running catalog.Antrea
	// cluster is what the Prometheus modes plan with; clusterErr says
	// its read failed (cluster is nil then).
	cluster    *observed.Cluster
	clusterErr error
	// fleet is what Antrea runs: the pods the health check expects.
	fleet    fleet
	fleetErr error
	// legacyRoles are the guide-named ClusterRoles earlier versions of the
	// operator owned, to let go of (see gatherLegacyRoles).
	legacyRoles    []*rbacv1.ClusterRole
	legacyRolesErr error
	// crd is the AntreaMonitoring CRD the API server serves (cached with its
	// schema), nil when unknown.
	crd    *apiextensionsv1.CustomResourceDefinition
	crdErr error

	// status is the status being built: each phase fills its own fields;
	// writeStatus adds the conditions and writes it once.
	status *monitoringv1alpha1.AntreaMonitoringStatus
	// decided is what the phases decided, for the phases after them.
	decided decided
}

// decided is what a phase decided that a later one reads.
type decided struct {
	// prometheus is the Prometheus phase's outcome, which the health
	// check asks and judges.
	prometheus prometheusResult
}

// antreaConfig is Antrea's configuration as gathered: its namespace's
// ConfigMaps and workloads, and the ConfigMap Antrea reads.
type antreaConfig struct {
	namespace string
	// watched: the operator's cache holds that namespace (--antrea-namespaces).
	watched bool
	// in is what was read (err: the read failed).
	in  antrea.Inputs
	err error
	// resolved is the ConfigMap Antrea reads, as spec.antrea.configMapName
	// or Antrea's workloads say.
	resolved antrea.Resolution
	// confs is that ConfigMap when found (nil otherwise): its confs say
	// which features, and so which metric families, Antrea has.
	confs *corev1.ConfigMap
}

// gather reads everything the phases work with, from the cache. A failed
// read is kept in the scope with its error: the phase that needs it
// reports it, the others go on.
func (r *AntreaMonitoringReconciler) gather(ctx context.Context, am *monitoringv1alpha1.AntreaMonitoring, all []monitoringv1alpha1.AntreaMonitoring) *scope {
	s := &scope{am: am, all: all, now: r.clock().Now(), status: am.Status.DeepCopy()}
	s.antrea = r.gatherAntreaConfig(ctx, am)
	s.info, s.infoErr = r.gatherAntreaInfo(ctx)
	s.running = runningAntrea(s.reported(), s.antrea.confs)
	s.fleet, s.fleetErr = r.gatherFleet(ctx, am.AntreaNamespace())
	s.cluster, s.clusterErr = r.gatherCluster(ctx, am, s)
	s.legacyRoles, s.legacyRolesErr = r.gatherLegacyRoles(ctx)
	s.crd, s.crdErr = getOptional[apiextensionsv1.CustomResourceDefinition](ctx, r.Client, "", monitoringv1alpha1.CRDName)
	return s
}

// reported is what is known of Antrea: what it reports, or, when reading
// that failed, what status last said (so neither the status nor the rules
// flap on a failed read).
func (s *scope) reported() antreaInfo {
	if s.infoErr != nil {
		return lastReported(&s.am.Status)
	}
	return s.info
}

// gatherAntreaConfig reads Antrea's ConfigMaps and workloads in the
// AntreaMonitoring's Antrea namespace and resolves the ConfigMap Antrea
// reads.
func (r *AntreaMonitoringReconciler) gatherAntreaConfig(ctx context.Context, am *monitoringv1alpha1.AntreaMonitoring) antreaConfig {
	c := antreaConfig{namespace: am.AntreaNamespace()}
	if c.watched = r.watches(c.namespace); !c.watched {
		return c
	}
	if c.in, c.err = r.gatherAntrea(ctx, c.namespace); c.err != nil {
		return c
	}
	c.in.ConfigMapName = am.Spec.Antrea.ConfigMapName
	c.resolved = antrea.ResolveConfigMap(c.in)
	if c.resolved.Found {
		c.confs = c.in.ConfigMaps[c.resolved.Name]
	}
	return c
}

// gatherCluster reads, from the cache only, everything the modes plan
// with: prometheus-operator's state, the namespaces, the ServiceAccount the
// spec names, grafana-operator's CRD and the operator's GrafanaDashboard
// objects, the managed Prometheus's Deployment and pods, Antrea's
// antrea-ca, and the Windows agents' apiPort (agentAPIPort, from the pods
// and AntreaAgentInfo objects s already gathered).
func (r *AntreaMonitoringReconciler) gatherCluster(ctx context.Context, am *monitoringv1alpha1.AntreaMonitoring, s *scope) (*observed.Cluster, error) {
	po, err := r.gatherPromOperator(ctx)
	if err != nil {
		return nil, err
	}
	c := &observed.Cluster{PrometheusOperator: po, Namespaces: map[string]*corev1.Namespace{},
		ServiceAccounts: map[types.NamespacedName]bool{}, Deployments: map[types.NamespacedName]*appsv1.Deployment{}}
	if c.Scrapers, err = r.gatherScrapers(ctx, po); err != nil {
		return nil, err
	}
	if err := r.gatherGrafana(ctx, c); err != nil {
		return nil, err
	}
	var nss corev1.NamespaceList
	if err := r.List(ctx, &nss); err != nil {
		return nil, fmt.Errorf("listing namespaces: %w", err)
	}
	for i := range nss.Items {
		c.Namespaces[nss.Items[i].Name] = &nss.Items[i]
	}
	if t := am.Spec.Prometheus.ScrapeConfig; t != nil {
		key := types.NamespacedName{Namespace: t.ServiceAccount.Namespace, Name: t.ServiceAccount.Name}
		sa, err := getOptional[corev1.ServiceAccount](ctx, r.Client, key.Namespace, key.Name)
		if err != nil {
			return nil, err
		}
		c.ServiceAccounts[key] = sa != nil
	}
	managed := render.ManagedDefaults(am.Spec.Prometheus.Managed)
	key := types.NamespacedName{Namespace: managed.Namespace, Name: render.NamesFor(am.Name).Prometheus()}
	d, err := getOptional[appsv1.Deployment](ctx, r.Client, key.Namespace, key.Name)
	if err != nil {
		return nil, err
	}
	c.Deployments[key] = d
	if d != nil {
		// Cached by the operator's labels its pod template carries.
		var pods corev1.PodList
		if err := r.List(ctx, &pods, client.InNamespace(key.Namespace), client.MatchingLabels(render.NamesFor(am.Name).ManagedPrometheusSelector())); err != nil {
			return nil, fmt.Errorf("listing the managed Prometheus's pods: %w", err)
		}
		c.ManagedPods = pods.Items
	}
	// Cached with Antrea's ConfigMaps (antrea-controller labels it
	// app=antrea); a change, such as a rotation, wakes every AntreaMonitoring.
	if r.watches(am.AntreaNamespace()) {
		if c.AntreaCA, err = getOptional[corev1.ConfigMap](ctx, r.Client, am.AntreaNamespace(), render.AntreaCAConfigMap); err != nil {
			return nil, err
		}
		if c.AgentAPIPort, err = agentAPIPort(s.fleet.running[render.ComponentAgent], s.fleetErr, s.info.agents, s.infoErr); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// gatherAntrea reads Antrea's ConfigMaps and workloads from the cache.
func (r *AntreaMonitoringReconciler) gatherAntrea(ctx context.Context, namespace string) (antrea.Inputs, error) {
	in := antrea.Inputs{ConfigMaps: map[string]*corev1.ConfigMap{}}
	var cms corev1.ConfigMapList
	if err := r.List(ctx, &cms, client.InNamespace(namespace)); err != nil {
		return in, fmt.Errorf("listing ConfigMaps in %s: %w", namespace, err)
	}
	for i := range cms.Items {
		in.ConfigMaps[cms.Items[i].Name] = &cms.Items[i]
	}
	var err error
	if in.Agent, err = getOptional[appsv1.DaemonSet](ctx, r.Client, namespace, antrea.AgentDaemonSet); err != nil {
		return in, err
	}
	if in.WindowsAgent, err = getOptional[appsv1.DaemonSet](ctx, r.Client, namespace, antrea.WindowsAgentDaemonSet); err != nil {
		return in, err
	}
	if in.Controller, err = getOptional[appsv1.Deployment](ctx, r.Client, namespace, antrea.ControllerDeployment); err != nil {
		return in, err
	}
	return in, nil
}

// getOptional reads an object that may not exist (nil, nil when absent).
func getOptional[T any, PT interface {
	*T
	client.Object
}](ctx context.Context, c client.Reader, namespace, name string) (PT, error) {
	obj := PT(new(T))
	if err := c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading %s/%s: %w", namespace, name, err)
	}
	return obj, nil
}

// crdEstablished says whether a (cached) CRD exists, is not being deleted
// and is established.
func crdEstablished(crd *apiextensionsv1.CustomResourceDefinition) bool {
	return crd != nil && crd.DeletionTimestamp.IsZero() && apihelpers.IsCRDConditionTrue(crd, apiextensionsv1.Established)
}

// crdStates reads CRDs from the cache (the CRD watch notices them coming
// and going): which are established (crdEstablished), and the
// prometheus-operator release (promop.VersionAnnotation) each one present
// and not being deleted carries.
func (r *AntreaMonitoringReconciler) crdStates(ctx context.Context, names ...string) (map[string]bool, map[string]string, error) {
	established, versions := map[string]bool{}, map[string]string{}
	for _, name := range names {
		crd, err := getOptional[apiextensionsv1.CustomResourceDefinition](ctx, r.Client, "", name)
		if err != nil {
			return established, versions, fmt.Errorf("reading CRD %s: %w", name, err)
		}
		if crd == nil || !crd.DeletionTimestamp.IsZero() {
			continue
		}
		versions[name] = crd.Annotations[promop.VersionAnnotation]
		if crdEstablished(crd) {
			established[name] = true
		}
	}
	return established, versions, nil
}
