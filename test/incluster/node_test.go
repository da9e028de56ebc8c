//go:build incluster

package incluster

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var _ = Describe("The node", func() {
	It("runs a pod from a local image, on the pod network", func(ctx context.Context) {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "smoke"},
			Spec: corev1.PodSpec{
				Containers:                    []corev1.Container{{Name: "pause", Image: images.Pause, ImagePullPolicy: corev1.PullNever}},
				TerminationGracePeriodSeconds: ptr.To[int64](1),
			},
		}
		Expect(world.Client.Create(ctx, pod)).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(world.Client.Get(ctx, client.ObjectKeyFromObject(pod), pod)).To(Succeed())
			g.Expect(pod.Status.Phase).To(Equal(corev1.PodRunning))
			g.Expect(pod.Status.PodIP).To(HavePrefix("10.244.0."))
		}).WithContext(ctx).WithTimeout(time.Minute).Should(Succeed())
		Expect(world.Client.Delete(ctx, pod)).To(Succeed())
	}, NodeTimeout(2*time.Minute))
})
