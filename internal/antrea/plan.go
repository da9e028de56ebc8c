package antrea

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/antreaconf"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/shorthash"
)

// Annotations the operator keeps on Antrea's ConfigMap and workloads
// (defined in the API package, documented there).
const (
	OriginalAnnotation   = monitoringv1alpha1.OriginalEnablePrometheusMetricsAnnotation
	ConfigHashAnnotation = monitoringv1alpha1.ConfigHashAnnotation
)

// Plan is the edit of one ConfigMap.
type Plan struct {
	// Data and Annotations are the ConfigMap's new content when Changed.
	Data        map[string]string
	Annotations map[string]string
	// Changed lists the conf keys edited, sorted.
	Changed []string
	// Reverted lists the keys the operator had enabled before and found
	// switched off again by someone else, sorted.
	Reverted []string
	// Write says whether the ConfigMap must be written (data or annotations differ).
	Write bool
}

// InvalidConfError says which conf of which ConfigMap cannot be used.
type InvalidConfError struct {
	ConfigMap, Key string
	Err            error
}

func (e *InvalidConfError) Error() string {
	return fmt.Sprintf("%s in ConfigMap %s: %v", e.Key, e.ConfigMap, e.Err)
}

func (e *InvalidConfError) Unwrap() error { return e.Err }

// Effective reports enablePrometheusMetrics as Antrea reads each key
// (absent or commented out means Antrea's default, true).
func Effective(cm *corev1.ConfigMap, keys []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, k := range keys {
		conf, ok := cm.Data[k]
		if !ok {
			return nil, &InvalidConfError{ConfigMap: cm.Name, Key: k, Err: fmt.Errorf("key not found")}
		}
		s, err := antreaconf.Inspect(conf, antreaconf.MetricsKey, true)
		if err != nil {
			return nil, &InvalidConfError{ConfigMap: cm.Name, Key: k, Err: err}
		}
		out[k] = s.Value
	}
	return out, nil
}

// PlanEnable plans turning metrics on in keys. Nothing is planned for a conf
// whose effective value is already true, so a cluster with Antrea's defaults
// sees no write and no restart. Any invalid conf fails the whole plan: the
// ConfigMap is then left untouched.
func PlanEnable(cm *corev1.ConfigMap, keys []string) (Plan, error) {
	p := Plan{Data: maps.Clone(cm.Data), Annotations: maps.Clone(cm.Annotations)}
	if p.Annotations == nil {
		p.Annotations = map[string]string{}
	}
	original, err := decode[antreaconf.Setting](cm.Annotations[OriginalAnnotation])
	if err != nil {
		return Plan{}, &InvalidConfError{ConfigMap: cm.Name, Key: "annotation " + OriginalAnnotation, Err: err}
	}
	effective, err := Effective(cm, keys)
	if err != nil {
		return Plan{}, err
	}
	for _, k := range keys {
		if effective[k] {
			continue
		}
		conf, orig, err := antreaconf.Set(cm.Data[k], antreaconf.MetricsKey, true)
		if err != nil {
			return Plan{}, &InvalidConfError{ConfigMap: cm.Name, Key: k, Err: err}
		}
		if _, seen := original[k]; seen {
			p.Reverted = append(p.Reverted, k)
		} else {
			original[k] = orig
		}
		p.Data[k] = conf
		p.Changed = append(p.Changed, k)
	}
	if len(p.Changed) == 0 {
		return p, nil
	}
	p.Annotations[OriginalAnnotation] = encode(original)
	setHashes(cm, &p)
	p.Write = true
	return p, nil
}

// PlanRestore plans putting back what PlanEnable recorded. A conf someone
// changed since is left as they made it.
func PlanRestore(cm *corev1.ConfigMap) (Plan, error) {
	p := Plan{Data: maps.Clone(cm.Data), Annotations: maps.Clone(cm.Annotations)}
	raw, ok := cm.Annotations[OriginalAnnotation]
	if !ok {
		return p, nil
	}
	original, err := decode[antreaconf.Setting](raw)
	if err != nil {
		return Plan{}, &InvalidConfError{ConfigMap: cm.Name, Key: "annotation " + OriginalAnnotation, Err: err}
	}
	for _, k := range slices.Sorted(maps.Keys(original)) {
		conf, ok := cm.Data[k]
		if !ok {
			continue
		}
		restored, changed, err := antreaconf.Restore(conf, antreaconf.MetricsKey, true, original[k])
		if err != nil {
			return Plan{}, &InvalidConfError{ConfigMap: cm.Name, Key: k, Err: err}
		}
		if changed {
			p.Data[k] = restored
			p.Changed = append(p.Changed, k)
		}
	}
	// The ConfigMap goes back to its annotations before the operator: its
	// record and its config hash go (the restore's rollout uses RestoreHash).
	delete(p.Annotations, OriginalAnnotation)
	delete(p.Annotations, ConfigHashAnnotation)
	if len(p.Annotations) == 0 {
		p.Annotations = nil
	}
	p.Write = true // at least the record goes
	return p, nil
}

// setHashes records the rollout hash of each changed key. The hash covers
// the conf as written and the ConfigMap revision it replaced, so enabling
// again after someone reverted the edit (and Antrea restarted with metrics
// off) rolls Antrea out again even though the conf text is the same as the
// first time.
func setHashes(cm *corev1.ConfigMap, p *Plan) {
	hashes, err := decode[string](cm.Annotations[ConfigHashAnnotation])
	if err != nil {
		hashes = map[string]string{}
	}
	for _, k := range p.Changed {
		hashes[k] = ConfHash(p.Data[k], cm.ResourceVersion)
	}
	p.Annotations[ConfigHashAnnotation] = encode(hashes)
}

// ConfHash is the rollout hash of a conf written over a ConfigMap revision.
func ConfHash(conf, replacedRevision string) string {
	return shorthash.Of(replacedRevision, conf)
}

// RestoreHash is the rollout hash of a conf the operator restored: it
// depends on the conf alone, so a restore whose rollout failed is rolled
// out on the next try although the ConfigMap keeps no record of it.
func RestoreHash(conf string) string {
	return shorthash.Of("restored", conf)
}

// RestoredHashes returns, per key, the hash of its conf as restored.
func RestoredHashes(cm *corev1.ConfigMap, keys []string) map[string]string {
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		if conf, ok := cm.Data[k]; ok {
			out[k] = RestoreHash(conf)
		}
	}
	return out
}

// WantedHashes returns, per conf key, the hash workloads must carry.
func WantedHashes(cm *corev1.ConfigMap) map[string]string {
	h, err := decode[string](cm.Annotations[ConfigHashAnnotation])
	if err != nil {
		return nil
	}
	return h
}

// ManagedBy describes who else manages a ConfigMap, from its labels and
// annotations and from the managedFields entries that own the given data
// keys ("" when nothing says). Call it on the ConfigMap as read before the
// operator's own write, which takes those fields over.
func ManagedBy(cm *corev1.ConfigMap, ownManager string, keys []string) string {
	var parts []string
	if m := cm.Labels["app.kubernetes.io/managed-by"]; m != "" {
		s := "managed by " + m
		if r := cm.Annotations["meta.helm.sh/release-name"]; r != "" {
			s += fmt.Sprintf(" (release %s/%s)", cm.Annotations["meta.helm.sh/release-namespace"], r)
		}
		parts = append(parts, s)
	}
	var writers []string
	for _, mf := range cm.ManagedFields {
		if mf.Manager == ownManager || mf.FieldsV1 == nil || slices.Contains(writers, mf.Manager) {
			continue
		}
		var fields struct {
			Data map[string]any `json:"f:data"`
		}
		if json.Unmarshal(mf.FieldsV1.GetRawBytes(), &fields) != nil {
			continue
		}
		for _, k := range keys {
			if _, ok := fields.Data["f:"+k]; ok {
				writers = append(writers, mf.Manager)
				break
			}
		}
	}
	sort.Strings(writers)
	if len(writers) > 0 {
		parts = append(parts, "last written by "+strings.Join(writers, ", "))
	}
	return strings.Join(parts, "; ")
}

func decode[V any](raw string) (map[string]V, error) {
	m := map[string]V{}
	if raw == "" {
		return m, nil
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, err
	}
	return m, nil
}

func encode[V any](m map[string]V) string {
	b, _ := json.Marshal(m) // maps of strings and plain structs always marshal; keys are sorted
	return string(b)
}
