package controllers

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

// TestWriteStatus: the status is written once, with every phase's
// conditions and Ready; observedGeneration moves only when every phase
// succeeded; a failed reconcile returns its error and no RequeueAfter
// (controller-runtime ignores it then, and warns), a successful one the
// earliest requeue a phase asked for; an unchanged status is not written.
// An error a gather met and a phase returned is said once.
func TestWriteStatus(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := monitoringv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	rbacOK := trueCond(monitoringv1alpha1.ConditionRBACReady, monitoringv1alpha1.ReasonClusterRolesApplied, "in place")
	failed := errors.New("boom")
	for _, tc := range []struct {
		name        string
		results     []result
		wantErr     bool
		wantRequeue time.Duration
		wantObsGen  int64
		infoErr     error // the gather's, also returned by a phase
	}{
		{"success: the earliest requeue", []result{{conditions: []metav1.Condition{rbacOK}, requeueAfter: time.Minute}, {requeueAfter: 2 * time.Second}, {}},
			false, 2 * time.Second, 3, nil},
		{"a phase failed: its error alone", []result{{conditions: []metav1.Condition{rbacOK}, requeueAfter: time.Minute}, {err: failed, requeueAfter: 2 * time.Second}},
			true, 0, 1, nil},
		{"a gather failed and its phase said so: the error once", []result{{conditions: []metav1.Condition{rbacOK}}, {err: failed}},
			true, 0, 1, failed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			am := &monitoringv1alpha1.AntreaMonitoring{ObjectMeta: metav1.ObjectMeta{Name: "a", Generation: 3}}
			am.Status.ObservedGeneration = 1
			patches := 0
			c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(am).WithStatusSubresource(am).
				WithInterceptorFuncs(interceptor.Funcs{SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, p client.Patch, opts ...client.SubResourcePatchOption) error {
					patches++
					return c.SubResource(sub).Patch(ctx, obj, p, opts...)
				}}).Build()
			if err := c.Get(context.Background(), client.ObjectKeyFromObject(am), am); err != nil {
				t.Fatal(err)
			}
			r := &AntreaMonitoringReconciler{Client: c, Recorder: &events.FakeRecorder{}}
			s := &scope{am: am, status: am.Status.DeepCopy(), infoErr: tc.infoErr}
			res, err := r.writeStatus(context.Background(), s, tc.results)
			if (err != nil) != tc.wantErr || res.RequeueAfter != tc.wantRequeue {
				t.Fatalf("got %+v, %v; want RequeueAfter %s, error %v", res, err, tc.wantRequeue, tc.wantErr)
			}
			if tc.wantErr && (!errors.Is(err, failed) || strings.Count(err.Error(), failed.Error()) != 1) {
				t.Errorf("error %q does not wrap the phase's once", err)
			}
			var got monitoringv1alpha1.AntreaMonitoring
			if err := c.Get(context.Background(), client.ObjectKeyFromObject(am), &got); err != nil {
				t.Fatal(err)
			}
			if patches != 1 || got.Status.ObservedGeneration != tc.wantObsGen {
				t.Errorf("%d status writes, observedGeneration %d; want 1 write, %d", patches, got.Status.ObservedGeneration, tc.wantObsGen)
			}
			for _, typ := range []string{monitoringv1alpha1.ConditionRBACReady, monitoringv1alpha1.ConditionReady} {
				if c := meta.FindStatusCondition(got.Status.Conditions, typ); c == nil || c.ObservedGeneration != 3 {
					t.Errorf("condition %s = %+v, want it set for generation 3", typ, c)
				}
			}
			// The same outcome again writes nothing.
			s = &scope{am: &got, status: got.Status.DeepCopy()}
			if _, err := r.writeStatus(context.Background(), s, tc.results); (err != nil) != tc.wantErr || patches != 1 {
				t.Errorf("an unchanged status was written again (%d writes, %v)", patches, err)
			}
		})
	}
}

// TestGatherReadsOnly: gather takes the reconcile's time from the injected
// clock, reads what Antrea's namespace holds, and writes nothing.
func TestGatherReadsOnly(t *testing.T) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, monitoringv1alpha1.AddToScheme, apiextensionsv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	conf := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "antrea-config"},
		Data: map[string]string{"antrea-agent.conf": "", "antrea-controller.conf": ""}}
	writes := 0
	count := func() { writes++ }
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(conf).WithInterceptorFuncs(interceptor.Funcs{
		Create: func(context.Context, client.WithWatch, client.Object, ...client.CreateOption) error {
			count()
			return nil
		},
		Update: func(context.Context, client.WithWatch, client.Object, ...client.UpdateOption) error {
			count()
			return nil
		},
		Patch: func(context.Context, client.WithWatch, client.Object, client.Patch, ...client.PatchOption) error {
			count()
			return nil
		},
		Apply: func(context.Context, client.WithWatch, runtime.ApplyConfiguration, ...client.ApplyOption) error {
			count()
			return nil
		},
		Delete: func(context.Context, client.WithWatch, client.Object, ...client.DeleteOption) error {
			count()
			return nil
		},
	}).Build()
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	r := &AntreaMonitoringReconciler{Client: c, APIReader: c, AntreaNamespaces: []string{"kube-system"}, Clock: clocktesting.NewFakePassiveClock(t0)}
	am := &monitoringv1alpha1.AntreaMonitoring{ObjectMeta: metav1.ObjectMeta{Name: "a", Generation: 1}}
	s := r.gather(context.Background(), am, []monitoringv1alpha1.AntreaMonitoring{*am})
	if !s.now.Equal(t0) {
		t.Errorf("now = %s, want the injected clock's %s", s.now, t0)
	}
	if !s.antrea.watched || s.antrea.err != nil || !s.antrea.resolved.Found || s.antrea.confs == nil || s.antrea.confs.Name != "antrea-config" {
		t.Errorf("Antrea's configuration as gathered: %+v", s.antrea)
	}
	if s.clusterErr != nil || s.cluster == nil || s.fleetErr != nil || s.infoErr != nil {
		t.Errorf("gather failed: cluster %v, fleet %v, info %v", s.clusterErr, s.fleetErr, s.infoErr)
	}
	if writes != 0 {
		t.Errorf("gather made %d writes; it only reads", writes)
	}
}
