package controllers

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/version"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/antrea"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/catalog"
)

// What the running Antrea says about itself: cluster-scoped objects of
// crd.antrea.io/v1beta1 that antrea-controller (AntreaControllerInfo
// antrea-controller) and each agent (AntreaAgentInfo named after its Node)
// keep up to date. They are read as unstructured objects: the operator does
// not depend on Antrea's Go module, and reads only a few fields.
const (
	// AntreaCRDGroup is the API group of Antrea's CRDs.
	AntreaCRDGroup = "crd.antrea.io"
	// AntreaControllerInfoCRD and AntreaAgentInfoCRD are the CRDs whose
	// objects report Antrea's version; they exist once Antrea is installed.
	AntreaControllerInfoCRD = "antreacontrollerinfos.crd.antrea.io"
	AntreaAgentInfoCRD      = "antreaagentinfos.crd.antrea.io"
	// AntreaControllerInfoName is the one AntreaControllerInfo antrea-controller writes.
	AntreaControllerInfoName = "antrea-controller"
)

var (
	antreaControllerInfoGVK = schema.GroupVersionKind{Group: AntreaCRDGroup, Version: "v1beta1", Kind: "AntreaControllerInfo"}
	antreaAgentInfoGVK      = schema.GroupVersionKind{Group: AntreaCRDGroup, Version: "v1beta1", Kind: "AntreaAgentInfo"}
	// antreaInfoCRDs are the CRDs watched, and the kind each serves.
	antreaInfoCRDs = map[string]schema.GroupVersionKind{AntreaControllerInfoCRD: antreaControllerInfoGVK, AntreaAgentInfoCRD: antreaAgentInfoGVK}
)

// Bounds of what the status reports (see AntreaMonitoringStatus).
const (
	maxVersionLength    = 64
	maxAgentVersions    = 8
	maxInactiveGroups   = 8
	maxInactiveFamilies = 40
	maxInactiveMessage  = 512
	maxMissingMetrics   = 40
)

// waitSynced waits, at most antreaInfoReadTimeout, until cache c (of the
// objects what names) has started and synced. The manager starts a cache
// added to it in a goroutine of its own: the first reconcile after the CRDs
// appear (a fresh install) must wait for it, or its reads fail with "the
// cache is not started" (seen on a real node). Once started and synced this
// returns at once.
func waitSynced(ctx context.Context, c cache.Cache, what string) error {
	ctx, cancel := context.WithTimeout(ctx, antreaInfoReadTimeout)
	defer cancel()
	if !c.WaitForCacheSync(ctx) {
		return fmt.Errorf("the cache of %s did not start and sync within %s", what, antreaInfoReadTimeout)
	}
	return nil
}

// antreaInfoReadTimeout bounds a read of the cache of Antrea's info objects:
// one that cannot sync (no permission to list them) fails the reconcile
// instead of blocking it.
const antreaInfoReadTimeout = 10 * time.Second

// +kubebuilder:rbac:groups=crd.antrea.io,resources=antreacontrollerinfos;antreaagentinfos,verbs=get;list;watch

// agentInfo is what an AntreaAgentInfo says about its agent.
type agentInfo struct {
	// Version is the agent's version as it reports it (v2.7.0,
	// v2.8.0-dev-<commit>, UNKNOWN).
	Version string
	// APIPort is the port of the agent's apiserver (and /metrics), 0 when
	// not reported.
	APIPort int32
	// Pod is the agent's pod (podRef).
	Pod types.NamespacedName
}

// antreaInfo is what Antrea reports about itself.
type antreaInfo struct {
	// known: Antrea's CRDs are established and their objects cached; when
	// false nothing below is known.
	known bool
	// controllerVersion is AntreaControllerInfo antrea-controller's
	// version, "" when there is none.
	controllerVersion string
	// agents are the AntreaAgentInfo objects by Node name.
	agents map[string]agentInfo
}

// gatherAntreaInfo reads, from the cache, what Antrea reports about itself;
// nothing is known while its CRDs are not established. The first time both
// are, it starts their cache and the watches that wake every
// AntreaMonitoring when a version, API port or CA changes.
func (r *AntreaMonitoringReconciler) gatherAntreaInfo(ctx context.Context) (antreaInfo, error) {
	established, _, err := r.crdStates(ctx, AntreaAgentInfoCRD, AntreaControllerInfoCRD)
	if err != nil || !established[AntreaAgentInfoCRD] || !established[AntreaControllerInfoCRD] {
		return antreaInfo{}, err
	}
	if err := r.tracker.Ensure(ctx, func(crd string) bool { return established[crd] }, r.antreaInfoWatches()...); err != nil {
		return antreaInfo{}, err
	}
	c := r.tracker.Cache(antreaInfoCache)
	if c == nil { // not set up with a manager (unit tests)
		return antreaInfo{}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, antreaInfoReadTimeout)
	defer cancel()
	if err := waitSynced(ctx, c, "Antrea's info objects"); err != nil {
		return antreaInfo{}, err
	}
	info := antreaInfo{known: true}
	aci := &unstructured.Unstructured{}
	aci.SetGroupVersionKind(antreaControllerInfoGVK)
	switch err := c.Get(ctx, types.NamespacedName{Name: AntreaControllerInfoName}, aci); {
	case err == nil:
		info.controllerVersion, _, _ = unstructured.NestedString(aci.Object, "version")
	case client.IgnoreNotFound(err) != nil:
		return antreaInfo{}, fmt.Errorf("reading AntreaControllerInfo %s: %w", AntreaControllerInfoName, err)
	}
	if err := r.agentIndex.register(ctx, c); err != nil {
		return antreaInfo{}, err
	}
	info.agents = r.agentIndex.agents()
	return info, nil
}

// parseAgentInfo reads an AntreaAgentInfo: the Node it stands for (nodeRef,
// else its name, which Antrea sets to the Node's) and what it reports.
func parseAgentInfo(u *unstructured.Unstructured) (string, agentInfo) {
	var a agentInfo
	a.Version, _, _ = unstructured.NestedString(u.Object, "version")
	if port, ok, _ := unstructured.NestedInt64(u.Object, "apiPort"); ok && port > 0 && port <= 65535 {
		a.APIPort = int32(port)
	}
	a.Pod.Namespace, _, _ = unstructured.NestedString(u.Object, "podRef", "namespace")
	a.Pod.Name, _, _ = unstructured.NestedString(u.Object, "podRef", "name")
	node, _, _ := unstructured.NestedString(u.Object, "nodeRef", "name")
	if node == "" {
		node = u.GetName()
	}
	return node, a
}

// antreaInfoFields are the fields of AntreaControllerInfo and
// AntreaAgentInfo the operator reads; the cache keeps only these (not the
// apiCABundle, the largest field: the agents job does not verify the
// agents' certificates, see agentsTLS).
var antreaInfoFields = []string{"version", "apiPort", "podRef", "nodeRef"}

// stripAntreaInfo keeps what the operator reads of Antrea's info objects:
// their heartbeats, conditions and OVS details (rewritten every minute)
// are dropped.
func stripAntreaInfo(obj any) (any, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return obj, nil
	}
	kept := &unstructured.Unstructured{Object: map[string]any{}}
	kept.SetAPIVersion(u.GetAPIVersion())
	kept.SetKind(u.GetKind())
	kept.SetName(u.GetName())
	kept.SetUID(u.GetUID())
	kept.SetResourceVersion(u.GetResourceVersion())
	kept.SetCreationTimestamp(u.GetCreationTimestamp())
	kept.SetDeletionTimestamp(u.GetDeletionTimestamp())
	for _, f := range antreaInfoFields {
		if v, ok := u.Object[f]; ok {
			kept.Object[f] = v
		}
	}
	return kept, nil
}

// antreaInfoChanged passes creations, deletions and updates that change a
// field the operator reads, not the heartbeat every agent writes each minute.
func antreaInfoChanged() predicate.TypedPredicate[client.Object] {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		o, ok1 := e.ObjectOld.(*unstructured.Unstructured)
		n, ok2 := e.ObjectNew.(*unstructured.Unstructured)
		if !ok1 || !ok2 {
			return true
		}
		for _, f := range antreaInfoFields {
			if fmt.Sprint(o.Object[f]) != fmt.Sprint(n.Object[f]) {
				return true
			}
		}
		return false
	}}
}

// lastReported is what status last reported of Antrea, for a reconcile
// whose read of Antrea's info objects failed: the version is kept rather
// than forgotten, so neither the status nor the rules flap on a failed read.
func lastReported(status *monitoringv1alpha1.AntreaMonitoringStatus) antreaInfo {
	info := antreaInfo{known: status.AntreaVersion != "" || len(status.AgentVersions) > 0, controllerVersion: status.AntreaVersion}
	for i, v := range status.AgentVersions {
		if info.agents == nil {
			info.agents = map[string]agentInfo{}
		}
		info.agents[fmt.Sprint(i)] = agentInfo{Version: v}
	}
	return info
}

// runningAntrea is the Antrea the catalog judges families against: its
// version (antrea-controller's; while it reports none, the agents' when
// they agree) and the features its confs turn on (cm is Antrea's
// ConfigMap, nil when not found: the version's defaults).
func runningAntrea(info antreaInfo, cm *corev1.ConfigMap) catalog.Antrea {
	v := catalog.ParseVersion(info.controllerVersion)
	if v == nil {
		if versions := agentVersionSet(info); len(versions) == 1 {
			v = catalog.ParseVersion(versions[0])
		}
	}
	var agentConf, controllerConf string
	if cm != nil {
		agentConf, controllerConf = cm.Data[antrea.AgentConfKey], cm.Data[antrea.ControllerConfKey]
	}
	return catalog.Antrea{Version: v, Features: antreaFeatures(v, agentConf, controllerConf)}
}

// antreaFeatures reads the features from the confs. A conf that does not
// parse is reported by the AntreaMetricsEnabled condition already; here it
// counts as absent (the version's defaults).
func antreaFeatures(v *version.Version, agentConf, controllerConf string) catalog.Features {
	if f, err := catalog.FeaturesFromConf(v, agentConf, controllerConf); err == nil {
		return f
	}
	if _, err := catalog.FeaturesFromConf(v, agentConf, ""); err != nil {
		agentConf = ""
	}
	if _, err := catalog.FeaturesFromConf(v, "", controllerConf); err != nil {
		controllerConf = ""
	}
	if f, err := catalog.FeaturesFromConf(v, agentConf, controllerConf); err == nil {
		return f
	}
	return catalog.DefaultFeatures(v)
}

// agentVersionSet is the distinct versions the agents report, sorted.
func agentVersionSet(info antreaInfo) []string {
	set := map[string]bool{}
	for _, a := range info.agents {
		if a.Version != "" {
			set[a.Version] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// antreaInfoPhase reports what Antrea says about itself (its version, its
// agents' versions) and which metric families it holds at zero. It has no
// condition; a failed read fails the reconcile (and the status keeps what
// it last said).
func (r *AntreaMonitoringReconciler) antreaInfoPhase(_ context.Context, s *scope) result {
	reportAntrea(s.status, s.reported(), s.running, s.antrea.confs != nil)
	return result{err: s.infoErr}
}

// reportAntrea writes what Antrea reports and which families it holds at
// zero into status. inactiveMetrics needs Antrea's confs (confsRead).
func reportAntrea(status *monitoringv1alpha1.AntreaMonitoringStatus, info antreaInfo, a catalog.Antrea, confsRead bool) {
	status.AntreaVersion, status.AgentVersions, status.InactiveMetrics = "", nil, nil
	if info.known {
		status.AntreaVersion = truncate(info.controllerVersion, maxVersionLength)
		if versions := agentVersionSet(info); len(versions) > 0 && !slices.Equal(versions, []string{info.controllerVersion}) {
			for _, v := range versions[:min(len(versions), maxAgentVersions)] {
				status.AgentVersions = append(status.AgentVersions, truncate(v, maxVersionLength))
			}
			status.AgentVersions = slices.Compact(status.AgentVersions)
		}
	}
	if confsRead {
		status.InactiveMetrics = inactiveMetrics(a.Dormant())
	}
}

// inactiveMetrics is the status form of the families held at zero, bounded.
func inactiveMetrics(dormant []catalog.Dormant) []monitoringv1alpha1.InactiveMetrics {
	var out []monitoringv1alpha1.InactiveMetrics
	for _, d := range dormant {
		if len(d.Families) == 0 || len(out) == maxInactiveGroups {
			continue
		}
		families := slices.Sorted(slices.Values(d.Families))
		out = append(out, monitoringv1alpha1.InactiveMetrics{
			Condition: truncate(string(d.Condition), 64),
			Families:  families[:min(len(families), maxInactiveFamilies)],
			Message:   truncate(d.Message, maxInactiveMessage),
		})
	}
	return out
}

// expectedFamilies are the families a scrape of this Antrea must find: the
// ones it serves with a series from start-up, less those held at zero by a
// feature that is off (reported as inactive instead).
func expectedFamilies(a catalog.Antrea) []string {
	dormant := map[string]bool{}
	for _, d := range a.Dormant() {
		for _, f := range d.Families {
			dormant[f] = true
		}
	}
	var out []string
	for _, f := range a.Expected() {
		if !dormant[f.Name] {
			out = append(out, f.Name)
		}
	}
	sort.Strings(out)
	return out
}

// antreaKey identifies what the health check judges Antrea by: a change
// re-checks at once.
func antreaKey(a catalog.Antrea) string {
	return fmt.Sprintf("%v %+v", a.Version, a.Features)
}

// truncate cuts s to at most n bytes, on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
