// Package uninstall deletes an AntreaMonitoring and waits until it is gone:
// the chart's pre-delete hook runs it (manager uninstall) so that Helm
// removes the operator only after its finalizer has restored Antrea's conf
// and deleted what it owns.
package uninstall

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

// Run deletes AntreaMonitoring name (nothing to do when it is absent) and
// waits, polling every interval, until the API server no longer has it.
// When timeout passes first, the error names the finalizers still holding
// it and its Ready condition, which says why.
func Run(ctx context.Context, c client.Client, name string, interval, timeout time.Duration, logf func(string, ...any)) error {
	am := &monitoringv1alpha1.AntreaMonitoring{}
	am.Name = name
	if err := c.Delete(ctx, am); err != nil {
		if apierrors.IsNotFound(err) {
			logf("AntreaMonitoring %s does not exist: nothing to restore", name)
			return nil
		}
		return fmt.Errorf("deleting AntreaMonitoring %s: %w", name, err)
	}
	logf("Deleted AntreaMonitoring %s; waiting for the operator to restore Antrea's conf and remove its finalizer", name)
	err := wait.PollUntilContextTimeout(ctx, interval, timeout, true, func(ctx context.Context) (bool, error) {
		err := c.Get(ctx, client.ObjectKey{Name: name}, am)
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	if err == nil {
		logf("AntreaMonitoring %s is gone", name)
		return nil
	}
	why := ""
	if r := meta.FindStatusCondition(am.Status.Conditions, monitoringv1alpha1.ConditionReady); r != nil {
		why = fmt.Sprintf("; Ready is %s (%s): %s", r.Status, r.Reason, r.Message)
	}
	return fmt.Errorf("AntreaMonitoring %s is still there after %s, held by finalizers [%s]%s: is the operator running? (%w)",
		name, timeout, strings.Join(am.Finalizers, ", "), why, err)
}
